#!/usr/bin/env python3
"""Source of the per-language guard signatures (injection.override.<lang>, injection.role_change.<lang>,
prompt_leak.extract.<lang>) in natural spelling, written into policies/guard-signatures.json in folded form.

The guard matches signatures against folded text (src/guard/normalize/: NFKD, combining marks dropped, case
folded, homoglyph words mapped to Latin), so every pattern is passed through the guard's own Fold() before it
is stored: Hangul becomes jamo, Indic and Thai vowel signs vanish, Cyrillic words made of Latin look-alikes
become Latin. FOLD is a program that prints Fold() of each input line, e.g. (linked against
build-dev/src/guard/libmodelguard_guard.a, libmodelguard_core.a, ICU, vectorscan and libcrypto):

    #include "src/guard/normalize/normalize.h"
    #include <iostream>
    int main() { std::string l; while (std::getline(std::cin, l)) std::cout << modelguard::guard::Fold(l) << "\n"; }

Every phrase was authored for this project from general knowledge of the languages (no data set, no other
project's rule list). Shapes were chosen by measurement (docs/guard.md, Multilingual signatures): no optional
wildcard words, no loops of fillers (at most two optional filler words in Latin-script languages, one
elsewhere), no preceding-context exclusions; these multiply vectorscan's database when start-of-match
tracking is on.

Usage: multilingual_signatures.py FOLD SIGNATURES.json OUT.json  (rules of other ids are kept as they are)
"""
import json, re, subprocess, sys

FOLD = None

def A(*words):  # alternation
    return "(" + "|".join(words) + ")"

R = {}

# ---------------- German
V = A("ignoriere","ignorier","ignorieren sie","ignoriert","vergiss","vergessen sie","vergesst","missachte","missachten sie","verwirf","verwerfen sie","überschreibe","überschreiben sie","umgehe","umgehen sie")
F = "(alle |die |den |deine |deinen |ihre |ihren |eure |sämtliche |jegliche |bitte |einfach |sofort |nun |jetzt |mal )*"
Q = A("vorherigen","vorigen","bisherigen","obigen","vorangegangenen","vorhergehenden","früheren","ursprünglichen","anfänglichen","ersten","gegebenen","oberen","bestehenden")
N = A("anweisungen","anweisung","instruktionen","regeln","befehle","vorgaben","richtlinien","prompts","prompt","systemanweisungen","systemprompt","systemnachricht","anordnungen","direktiven","einschränkungen")
NS = A("systemprompt","system-prompt","systemanweisungen","systemanweisung","systemnachricht","systemvorgaben","programmierung")
R["de"] = {
 "override": [
  rf"\b{V} {F}{Q} {N}",
  rf"\b{V} {F}{NS}",
  rf"\b{V} {F}(deine|ihre|eure) (anweisungen|instruktionen|vorgaben|richtlinien)",
  rf"\b(ignoriere|vergiss|vergessen sie|ignorieren sie) alles,? was (dir|ihnen|du|man dir) (vorher|zuvor|bisher|oben|bis jetzt)",
  rf"\b(deine|ihre|die) (vorherigen|bisherigen|ursprünglichen|alten) (anweisungen|regeln|vorgaben) (sind|gelten) (ab )?(jetzt |sofort |nun |ab sofort )?(ungültig|aufgehoben|nichtig|nicht mehr gültig|hinfällig)"],
 "role": [
  rf"\b(du bist|sie sind|bist du|sind sie|spiel|spiele|spielen sie|sei|seien sie|handle als|agiere als|verhalte dich wie|verhalte dich als|antworte als|tu so,? als wärst du|tu so,? als ob du|tue so,? als wärst du|stell dir vor,? du bist|werde zu|du spielst|jetzt bist du|fortan bist du) (jetzt |nun |ab sofort |ab jetzt |von nun an |fortan )?(eine |ein |einen |der |die |das |eines )?([a-zäöü-]+ )?(ki|ai|assistent|assistentin|modell|chatbot|bot|sprachmodell|ki-assistent|ki-modell) (ohne|frei von) (jegliche |irgendwelche |alle |jede |die |deine |ethische |moralische )?(einschränkungen|beschränkungen|regeln|filter|grenzen|zensur|limits|richtlinien|ethik|moral|restriktionen|schranken)",
  rf"\b(du bist|sie sind|bist du|spiel|spiele|sei|handle als|agiere als|verhalte dich wie|antworte als|tu so,? als wärst du|werde zu) (jetzt |nun |ab sofort |von nun an )?(eine |ein |einen |der |die |das )?(uneingeschränkt|ungefiltert|unzensiert|zensurfrei|grenzenlos|entfesselt|befreit|böse|jailbroken)[a-z]* ([a-zäöü-]+ )?(ki|ai|assistent|assistentin|modell|chatbot|bot|sprachmodell)",
  rf"\bdu bist (jetzt |nun |ab sofort )?(kein|keine) ([a-z-]+ )?(ki|ai|assistent|chatbot|sprachmodell|ki-assistent)[a-z-]* mehr",
  rf"\b(du bist|sie sind) (jetzt |nun )?nicht mehr an (deine |ihre |die |irgendwelche )?(regeln|richtlinien|einschränkungen|vorgaben) gebunden",
  rf"\b(ab sofort|ab jetzt|von nun an|fortan),? (hast du|gibt es für dich|gelten für dich) (keine|nicht mehr die) (regeln|einschränkungen|grenzen|filter|richtlinien)"],
 "extract": [
  rf"\b(zeig|zeige|zeigen sie|gib|geben sie|wiederhole|wiederholen sie|verrate|verraten sie|nenne|nennen sie|schreib|schreibe|drucke|offenbare|enthülle|sag|sage|kopiere|liste|gib aus|teile) (mir |uns |bitte |mal |sofort |zuerst )*(den |die |das |alle |deine |deinen |ihre |ihren )?(vollständigen |kompletten |genauen |exakten |ganzen )?{NS}",
  rf"\b(zeig|zeige|zeigen sie|gib|geben sie|wiederhole|wiederholen sie|verrate|verraten sie|nenne|nennen sie|schreib|schreibe|drucke|offenbare|enthülle|sag|sage|kopiere|liste|teile) (mir |uns |bitte |mal |sofort |zuerst |alle )*(deine|deinen|ihre|ihren) (vollständigen |kompletten |genauen )?(ursprünglichen|anfänglichen|initialen|ersten|versteckten|geheimen|internen|verborgenen) (anweisungen|instruktionen|regeln|vorgaben|prompt|richtlinien|konfiguration)",
  rf"\bwie (lautet|lauten|ist|sind|war|waren) (dein|deine|ihr|ihre) ({NS}|(ursprünglichen|anfänglichen|geheimen|versteckten) (anweisungen|regeln))"],
}

# ---------------- French
V = A("ignore","ignorez","ignorer","oublie","oubliez","oublier","ne tiens pas compte","ne tenez pas compte","fais abstraction","faites abstraction","outrepasse","outrepassez","annule","annulez","contourne","contournez")
F = "(de |des |d'|toutes |tous |les |tes |vos |ton |votre |ta |la |le |l'|simplement |maintenant |stp |s'il te plait |s'il vous plait |,)*"
N = A("instructions","instruction","consignes","consigne","regles","directives","ordres","indications","prompt","commandes","restrictions")
Q = A("precedentes","precedents","anterieures","ci-dessus","initiales","originales","d'origine","de depart","du systeme","systeme","donnees plus haut","d'avant","d'en haut")
R["fr"] = {
 "override": [
  rf"\b{V} {F}{N} {Q}",
  rf"\b{V} {F}(prompt|message|instructions|consignes) (du )?systeme",
  rf"\b{V} (tout )?ce qu'on t'a (dit|demande|donne) (avant|auparavant|precedemment|jusqu'ici)",
  rf"\b(tes|vos|les) (instructions|regles|consignes) (precedentes|initiales|d'origine) (sont|ne sont plus) (desormais |maintenant )?(annulees|caduques|nulles|valables|valides)"],
 "role": [
  rf"\b(tu es|vous etes|tu seras|vous serez|fais semblant d'etre|faites semblant d'etre|agis comme|agissez comme|agis en tant que|comporte-toi comme|comportez-vous comme|joue le role d'|joue le role de|joue|incarne|deviens|sois|imagine que tu es|prétends être|pretends etre) (maintenant |desormais |a present |dorenavant )?(une |un |l'|le |la )?([a-z-]+ )?(ia|ai|assistant|assistante|modele|chatbot|bot|intelligence artificielle|robot)( [a-z-]+)? (sans|libre de|libere de|libere des|affranchi de|affranchie de) (aucune |aucun |les |tes |toute |tout |de |ses |limite ni )*(restriction|restrictions|regle|regles|filtre|filtres|limite|limites|censure|ethique|morale|contrainte|contraintes|garde-fous|tabou|tabous)",
  rf"\b(tu es|vous etes|tu seras|agis comme|agis en tant que|deviens|sois|fais semblant d'etre) (maintenant |desormais )?(une |un )?(ia|ai|assistant|modele|chatbot) (non censure|non censuree|non filtre|non filtree|debride|debridee|jailbreake|jailbreakee|malveillant|malveillante|sans limites|illimite|illimitee)",
  rf"\btu n'es plus (une |un )?(ia|ai|assistant|modele de langage|chatbot|intelligence artificielle)",
  rf"\b(tu n'es plus|vous n'etes plus) (soumis|soumise|lie|liee|tenu|tenue) (a|aux|par) (tes |vos |aucune |les )?(regles|restrictions|consignes|directives|politiques)",
  rf"\b(a partir de maintenant|desormais|dorenavant|a present),? (tu n'as plus|tu n'as aucune|il n'y a plus) (de |aucune |aucun )?(restriction|restrictions|regle|regles|limite|limites|filtre|filtres|censure)"],
 "extract": [
  rf"\b(montre|montre-moi|montrez|montrez-moi|revele|revelez|repete|repetez|affiche|affichez|donne|donne-moi|donnez|donnez-moi|ecris|ecrivez|imprime|imprimez|recopie|recopiez|dis-moi|dites-moi|divulgue|devoile|devoilez|cite|recite|liste) (moi |nous |stp |s'il te plait |mot pour mot |exactement |integralement )?(ton|tes|votre|vos|le|la|les) ([a-z]+ )?(prompt|message|instructions|consignes|regles|directives|configuration) (systeme|du systeme|de systeme|initiales|initial|d'origine|originales|cachees|cache|secretes|secret|internes|de depart)",
  rf"\b(montre|montre-moi|revele|repete|affiche|donne-moi|ecris|imprime|recopie|dis-moi|devoile|cite) (moi )?(le |la |les )?(prompt|message|instructions|consignes) (systeme|du systeme) (que tu as recu|que tu as recues|qu'on t'a donne|qu'on t'a donnees)",
  rf"\b(quel est|quelles sont|quel etait|quelles etaient) (ton|tes|votre|vos) (prompt|message|instructions|consignes|regles) (systeme|du systeme|initiales|initial|d'origine|cachees|secretes)"],
}

# ---------------- Spanish
V = A("ignora","ignore","ignorad","ignoren","olvida","olvide","olvidad","olviden","descarta","descarte","omite","omita","desecha","anula","anule","pasa por alto","pase por alto","haz caso omiso a","haz caso omiso de","haga caso omiso a","haga caso omiso de","no hagas caso a","no hagas caso de","desobedece","salta","saltate","elude")
F = "(todas |todos |las |los |tus |sus |el |la |mis |de |a |cualquier |toda |ahora |ya |simplemente )*"
N = A("instrucciones","instruccion","indicaciones","reglas","ordenes","directrices","normas","consignas","directivas","restricciones","pautas","prompt")
Q = A("anteriores","previas","de arriba","iniciales","originales","precedentes","del sistema","de sistema","que te dieron","que te han dado","que recibiste","dadas","mencionadas arriba")
R["es"] = {
 "override": [
  rf"\b{V} {F}{N} {Q}",
  rf"\b{V} {F}(prompt|mensaje|indicaciones|instrucciones) (del|de) sistema",
  rf"\b{V} (todo )?lo que (te )?(dijeron|han dicho|dije|indicaron|ordenaron) (antes|anteriormente|previamente|hasta ahora)",
  rf"\b(tus|sus|las) (instrucciones|reglas|ordenes) (anteriores|previas|originales) (ya no son validas|quedan anuladas|ya no aplican|estan anuladas|ya no cuentan|no valen)"],
 "role": [
  rf"\b(eres|seras|sereis|sea|se|actua como|actue como|actuad como|actua cual|finge ser|finja ser|finge que eres|simula ser|simula que eres|comportate como|compórtese como|comportese como|haz de|haz el papel de|interpreta a|interpreta el papel de|conviertete en|imagina que eres) (ahora |a partir de ahora |desde ahora )?(una |un |el |la )?([a-z-]+ )?(ia|ai|asistente|modelo|chatbot|bot|inteligencia artificial|robot)( [a-z-]+)? (sin|libre de|liberado de|liberada de|que no tiene|que no tenga) (ningun |ninguna |ningunas |ningunos |tipo de |las |tus |restricciones ni |reglas ni )*(restriccion|restricciones|filtro|filtros|regla|reglas|limite|limites|censura|etica|moral|limitaciones|limitacion|ataduras|normas)",
  rf"\b(eres|seras|actua como|finge ser|simula ser|comportate como|conviertete en) (ahora |a partir de ahora |desde ahora )?(una |un )?(ia|ai|asistente|modelo|chatbot) (sin censura|sin filtros|sin restricciones|sin limites|desatado|desatada|liberado|liberada|malvado|malvada|sin reglas)",
  rf"\bya no eres (una |un )?(ia|ai|asistente|modelo de lenguaje|chatbot|inteligencia artificial)",
  rf"\bya no (estas|tienes que estar) (sujeto|sujeta|atado|atada|limitado|limitada|obligado|obligada) (a|por) (ninguna |ningun |tus |las |sus )?(reglas|restricciones|normas|politicas|directrices)",
  rf"\b(a partir de ahora|desde ahora|de ahora en adelante),? (ya )?(no tienes|no hay) (ningun |ninguna |ningunas )?(restricciones|reglas|limites|filtros|censura)"],
 "extract": [
  rf"\b(muestra|muestrame|muestre|muestreme|revela|revelame|revele|repite|repiteme|repita|imprime|imprima|dime|digame|escribe|escribeme|copia|ensename|comparte|divulga|lista|recita|dame|deme|expon|cuentame) (me )?(palabra por palabra |textualmente |exactamente |ahora )?(cual es |cuales son )?(tu|tus|su|sus|el|la|las|los|todo el|todas tus|todas las) ([a-z]+ )?(prompt|mensaje|instrucciones|indicaciones|reglas|configuracion|directrices|ordenes) (del sistema|de sistema|iniciales|inicial|ocultas|oculto|secretas|secreto|internas|interno|de arranque)",
  rf"\b(muestra|muestrame|revela|repite|imprime|dime|escribe|copia|dame) (me )?(tus|sus) (instrucciones|reglas|indicaciones) originales",
  rf"\b(muestra|muestrame|revela|repite|imprime|dime|escribe|copia|dame) (me )?(el|la|las|los) (prompt|mensaje|instrucciones|indicaciones) (del|de) sistema (que|con que|con el que) (recibiste|te dieron|te configuraron)",
  rf"\bcual (es|era) (tu|su) (prompt|mensaje) (del|de) sistema"],
}

# ---------------- Portuguese
V = A("ignore","ignora","ignorem","esqueca","esquece","esquecam","desconsidere","desconsidera","descarte","descarta","despreze","despreza","anule","anula","nao siga","nao obedeca","pule","contorne")
F = "(todas |todos |as |os |suas |seus |tuas |teus |o |a |de |do |da |qualquer |agora |simplesmente |por favor )*"
N = A("instrucoes","instrucao","regras","ordens","orientacoes","diretrizes","indicacoes","comandos","normas","restricoes","prompt")
Q = A("anteriores","previas","acima","iniciais","originais","precedentes","do sistema","de sistema","que te deram","que voce recebeu","dadas antes")
R["pt"] = {
 "override": [
  rf"\b{V} {F}{N} {Q}",
  rf"\b{V} {F}(prompt|mensagem|instrucoes) (do|de) sistema",
  rf"\b{V} (tudo )?(o )?que (te |lhe )?(disseram|foi dito|eu disse|mandaram) (antes|anteriormente|ate agora)",
  rf"\b(suas|tuas|as) (instrucoes|regras|ordens) (anteriores|originais|previas) (nao valem mais|foram anuladas|estao anuladas|nao se aplicam mais|perderam a validade)"],
 "role": [
  rf"\b(voce e|voce sera|tu es|tu seras|e|seja|sê|se|finja ser|finja que e|finge ser|aja como|age como|atue como|comporte-se como|comportese como|faca o papel de|interprete|torne-se|imagine que voce e|banque) (agora |a partir de agora |de agora em diante )?(uma |um |o |a )?([a-z-]+ )?(ia|ai|assistente|modelo|chatbot|bot|inteligencia artificial|robo)( [a-z-]+)? (sem|livre de|liberto de|liberta de|que nao tem) (nenhuma |nenhum |qualquer |quaisquer |as |suas |restricoes nem |regras nem )*(restricao|restricoes|filtro|filtros|regra|regras|limite|limites|censura|etica|moral|limitacoes|limitacao|amarras)",
  rf"\b(voce e|voce sera|finja ser|aja como|atue como|torne-se) (agora |a partir de agora )?(uma |um )?(ia|ai|assistente|modelo|chatbot) (sem censura|sem filtros|sem restricoes|sem limites|sem regras|liberado|liberada|malvado|malvada|desbloqueado|desbloqueada)",
  rf"\b(voce|tu) (nao e|nao es) mais (uma |um )?(ia|ai|assistente|modelo de linguagem|chatbot|inteligencia artificial)",
  rf"\b(voce|tu) (nao esta|nao estas) mais (sujeito|sujeita|preso|presa|limitado|limitada|obrigado|obrigada) (a|as|aos|por) (nenhuma |suas |regras|restricoes|normas|politicas|diretrizes)",
  rf"\b(a partir de agora|de agora em diante|daqui pra frente),? (voce )?(nao tem|nao ha|nao existe|nao existem) (nenhuma |nenhum |mais )?(restricoes|regras|limites|filtros|censura)"],
 "extract": [
  rf"\b(mostre|mostra|mostre-me|me mostre|revele|revela|repita|repete|imprima|imprime|me diga|diga|diz|escreva|escreve|copie|compartilhe|divulgue|liste|exiba|exibe|me de|me passe) (me )?(palavra por palavra |exatamente |agora )?(qual e |quais sao )?(seu|sua|seus|suas|teu|tua|teus|tuas|o|a|os|as) ([a-z]+ )?(prompt|mensagem|instrucoes|orientacoes|regras|configuracao|diretrizes|ordens) (do sistema|de sistema|iniciais|inicial|ocultas|oculto|secretas|secreto|internas|interno)",
  rf"\b(mostre|mostra|revele|repita|imprima|diga|escreva|copie|exiba) (me )?(suas|tuas) (instrucoes|regras|orientacoes) originais",
  rf"\b(mostre|mostra|revele|repita|imprima|diga|escreva|copie|exiba) (me )?(o|a|as|os) (prompt|mensagem|instrucoes|orientacoes) (do|de) sistema (que|com que) (voce )?(recebeu|te deram|lhe deram)",
  rf"\bqual (e|era) (o |a )?(seu|sua|teu|tua) (prompt|mensagem) (do|de) sistema"],
}

# ---------------- Italian
V = A("ignora","ignori","ignorate","dimentica","dimentichi","dimenticate","non considerare","non consideri","trascura","trascuri","tralascia","scarta","annulla","non seguire","non tenere conto","salta","aggira")
F = "(di |delle |dei |tutte |tutti |le |i |gli |tue |tuoi |sue |suoi |il |la |lo |l'|ora |adesso |semplicemente |per favore )*"
N = A("istruzioni","istruzione","regole","indicazioni","direttive","ordini","comandi","prompt","restrizioni","linee guida","norme")
Q = A("precedenti","anteriori","sopra","di sopra","qui sopra","iniziali","originali","originarie","di sistema","del sistema","che ti hanno dato","ricevute")
R["it"] = {
 "override": [
  rf"\b{V} {F}{N} {Q}",
  rf"\b{V} {F}(prompt|messaggio|istruzioni) (di|del) sistema",
  rf"\b{V} (tutto )?(quello|cio) che (ti )?(hanno detto|e stato detto|ho detto|ti ho detto) (prima|finora|in precedenza)",
  rf"\b(le tue|le sue|le) (istruzioni|regole) (precedenti|originali|iniziali) (non sono piu valide|sono annullate|non valgono piu|non contano piu)"],
 "role": [
  rf"\b(sei|sarai|sii|fingi di essere|finga di essere|fai finta di essere|comportati come|si comporti come|agisci come|agisci da|fai da|interpreta|diventa|immagina di essere|recita la parte di) (ora |adesso |d'ora in poi |da adesso )?(un'|una |un |uno |il |la |l')?([a-z-]+ )?(ia|ai|assistente|modello|chatbot|bot|intelligenza artificiale|robot)( [a-z-]+)? (senza|libero da|libera da|privo di|priva di|che non ha) (alcuna |alcun |nessuna |nessun |restrizioni ne |regole ne |le |tue )*(restrizione|restrizioni|filtro|filtri|regola|regole|limite|limiti|censura|etica|morale|limitazioni|vincoli|vincolo)",
  rf"\b(sei|sarai|fingi di essere|comportati come|agisci come|diventa) (ora |adesso |d'ora in poi )?(un'|una |un )?(ia|ai|assistente|modello|chatbot) (senza censura|senza filtri|senza restrizioni|senza limiti|senza regole|libero|libera|malvagio|malvagia|sbloccato|sbloccata|non censurato|non censurata)",
  rf"\bnon sei piu (un'|una |un )?(ia|ai|assistente|modello linguistico|chatbot|intelligenza artificiale)",
  rf"\bnon sei piu (vincolato|vincolata|soggetto|soggetta|legato|legata|limitato|limitata) (a|alle|ai|dalle|da) (nessuna |tue |regole|restrizioni|norme|politiche|linee guida)",
  rf"\b(d'ora in poi|da ora in poi|da adesso|da questo momento),? (non hai|non ci sono) (piu )?(alcuna |nessuna |nessun )?(restrizioni|regole|limiti|filtri|censura)"],
 "extract": [
  rf"\b(mostra|mostrami|mostri|mi mostri|rivela|rivelami|riveli|ripeti|ripetimi|ripeta|stampa|stampi|dimmi|mi dica|scrivi|scrivimi|copia|condividi|elenca|recita|dammi|mi dia|svela|svelami) (parola per parola |esattamente |ora )?(qual e |quali sono )?(il tuo|la tua|i tuoi|le tue|il suo|la sua|i suoi|le sue|il|la|le|i) ([a-z]+ )?(prompt|messaggio|istruzioni|regole|indicazioni|configurazione|direttive) (di sistema|del sistema|iniziali|iniziale|nascoste|nascosto|segrete|segreto|interne|interno)",
  rf"\b(mostra|mostrami|rivela|ripeti|stampa|dimmi|scrivi|copia|dammi|svela) (le tue|le sue|i tuoi|i suoi) (istruzioni|regole|indicazioni|direttive) originali",
  rf"\bqual (e|era) (il tuo|il suo) (prompt|messaggio) (di|del) sistema"],
}

# ---------------- Dutch
V = A("negeer","negeert u","negeren","vergeet","vergeet u","vergeten","sla","omzeil","omzeilt u","overschrijf","laat","schrap")
F = "(alle |al |de |het |je |jouw |uw |eerdere |bovenstaande |gewoon |nu |alsjeblieft |alstublieft |even |meteen )*"
Q = A("vorige","eerdere","voorgaande","bovenstaande","oorspronkelijke","originele","initiele","eerste","oude","gegeven","huidige")
N = A("instructies","instructie","regels","opdrachten","richtlijnen","aanwijzingen","bevelen","prompts","prompt","systeemprompt","systeeminstructies","beperkingen")
NS = A("systeemprompt","systeem-prompt","systeeminstructies","systeembericht","programmering")
R["nl"] = {
 "override": [
  rf"\b(negeer|negeert u|vergeet|vergeet u|omzeil|overschrijf|schrap) {F}{Q} {N}",
  rf"\b(negeer|negeert u|vergeet|vergeet u|omzeil|overschrijf) {F}{NS}",
  rf"\b(negeer|vergeet) {F}(je|jouw|uw) (instructies|richtlijnen|opdrachten|aanwijzingen)",
  rf"\b(sla|laat) {F}{Q} {N} (over|varen|los|achterwege)",
  rf"\b(negeer|vergeet) alles wat (je|u|jou) (eerder|hiervoor|tot nu toe|daarnet) (is )?(gezegd|verteld|opgedragen)"],
 "role": [
  rf"\b(je bent|jij bent|u bent|ben je|ben jij|word|wordt|speel|speel voor|doe alsof je|doe alsof jij|gedraag je als|gedraag je alsof je|handel als|treed op als|fungeer als|stel je voor dat je|wees) (nu |vanaf nu |voortaan |vanaf dit moment |dus )?(een |de |het )?([a-z-]+ )?(ai|ki|assistent|model|chatbot|bot|taalmodel|kunstmatige intelligentie)( [a-z-]+)? (zonder|vrij van|die geen) (enige |alle |jouw |je |regels of |beperkingen of )*(beperkingen|beperking|regels|regel|filters|filter|grenzen|censuur|ethiek|moraal|restricties|limieten)",
  rf"\b(je bent|jij bent|u bent|ben je|word|speel|doe alsof je|gedraag je als|wees) (nu |vanaf nu |voortaan )?(een |de |het )?(ongecensureerde|ongefilterde|onbeperkte|ongeremde|kwaadaardige|bevrijde|jailbroken) ([a-z-]+ )?(ai|ki|assistent|model|chatbot|bot|taalmodel)",
  rf"\b(je bent|jij bent|u bent) (nu |voortaan )?geen (ai|assistent|chatbot|taalmodel|ai-assistent)[a-z-]* meer",
  rf"\b(je bent|jij bent|u bent) (nu |voortaan )?niet (langer|meer) gebonden aan (je |jouw |uw |de |enige )?(regels|richtlijnen|beperkingen)",
  rf"\b(vanaf nu|voortaan|vanaf dit moment),? (heb je|gelden er|zijn er) (geen|niet langer) (regels|beperkingen|grenzen|filters|censuur)"],
 "extract": [
  rf"\b(toon|laat|geef|herhaal|print|schrijf|onthul|vertel|kopieer|noem|deel|citeer) (me |mij |ons |eens |nu |alsjeblieft |woordelijk |letterlijk )*(je|jouw|uw|de|het) (volledige |hele |exacte )?{NS}",
  rf"\b(toon|laat|geef|herhaal|print|schrijf|onthul|vertel|kopieer|noem|deel|citeer) (me |mij |ons |eens |nu |alsjeblieft |woordelijk |letterlijk )*(je|jouw|uw) (volledige |hele |exacte )?(oorspronkelijke|originele|initiele|eerste|verborgen|geheime|interne) (instructies|regels|opdrachten|richtlijnen|prompt|aanwijzingen|configuratie)",
  rf"\bwat (is|zijn|was|waren) (je|jouw|uw) ({NS}|(oorspronkelijke|originele|verborgen|geheime) (instructies|regels))"],
}

# ---------------- Polish (ł stays ł after folding: no \b before it)
V = A("zignoruj","zignorujcie","ignoruj","ignorujcie","zapomnij","zapomnijcie","pomin","pomincie","olej","odrzuc","odrzuccie","nie zwazaj na","nie przejmuj sie","nie stosuj sie do","porzuc","obejdz","uniewaznij")
F = "(wszystkie |wszystkich |wszelkie |twoje |swoje |swoich |twoich |te |tych |moje |po prostu |teraz |prosze |juz |cały |cała )*"
Q = A("poprzednie","poprzednich","wczesniejsze","wczesniejszych","powyzsze","powyzszych","pierwotne","pierwotnych","poczatkowe","poczatkowych","oryginalne","oryginalnych","dotychczasowe","dotychczasowych","systemowe","systemowych","otrzymane","dane ci")
N = A("instrukcje","instrukcji","polecenia","polecen","zasady","zasad","reguły","reguł","wytyczne","wytycznych","rozkazy","komendy","wskazowki","ograniczenia","prompty","prompt")
R["pl"] = {
 "override": [
  rf"\b{V} {F}{Q} {N}",
  rf"\b{V} {F}(swoj|twoj|ten|cały) (prompt systemowy|systemowy prompt|komunikat systemowy)",
  rf"\b{V} {F}(swoje|twoje|swoich|twoich) (instrukcje|instrukcji|polecenia|polecen|wytyczne|wytycznych)",
  rf"\b{V} (o )?(wszystkim|wszystko),? co (ci |wam )?(powiedziano|kazano|napisano|mówiłem|mówiłam) (wczesniej|przedtem|do tej pory|powyzej)"],
 "role": [
  rf"\b(jestes|bedziesz|badz|udawaj,? ze jestes|udawaj|zachowuj sie jak|zachowuj sie jakbyś był|działaj jak|działaj jako|odgrywaj role|wciel sie w|zostan|wyobraz sobie,? ze jestes|graj role) (teraz |od teraz |odtad |od tej chwili |juz )?([a-ząćęłńóśźż-]+ )?(ai|si|asystentem|asystent|asystenta|modelem|model|chatbotem|chatbot|botem|bot|sztuczna inteligencja|sztuczna inteligencja)( [a-ząćęłńóśźż-]+)? (bez|wolnym od|wolna od|wolny od|ktory nie ma|ktora nie ma) (zadnych |jakichkolwiek |wszelkich |twoich |zasad i |reguł i |ograniczen i )*(ograniczen|ograniczenia|zasad|reguł|filtrow|filtra|granic|cenzury|etyki|moralnosci|limitow|hamulcow)",
  rf"\b(jestes|bedziesz|badz|udawaj|zachowuj sie jak|działaj jak|zostan) (teraz |od teraz |odtad )?(nieocenzurowanym|nieocenzurowana|nieograniczonym|nieograniczona|niefiltrowanym|niefiltrowana|złym|zła|wyzwolonym|wyzwolona|odblokowanym|odblokowana) ([a-ząćęłńóśźż-]+ )?(ai|si|asystentem|modelem|chatbotem|botem|sztuczna inteligencja)",
  rf"\b(nie jestes|juz nie jestes) (juz )?(ai|si|asystentem|modelem jezykowym|chatbotem|sztuczna inteligencja)",
  rf"\b(nie jestes|juz nie jestes) (juz )?(związany|związana|ograniczony|ograniczona|zobowiazany|zobowiazana) (zadnymi |swoimi |twoimi )?(zasadami|regułami|ograniczeniami|wytycznymi)",
  rf"\b(od teraz|odtad|od tej chwili),? (nie masz|nie obowiazuja cie) (juz )?(zadnych |zadne )?(ograniczen|zasad|reguł|filtrow|granic|cenzury|ograniczenia|zasady|reguły)"],
 "extract": [
  rf"\b(pokaz|pokazcie|ujawnij|ujawnijcie|powtorz|powtorzcie|wypisz|wypiszcie|podaj|podajcie|wyswietl|napisz|wydrukuj|zdradz|przepisz|zacytuj|wyrecytuj|przekaz|udostepnij) (mi |nam |prosze |teraz |dokladnie |słowo w słowo |dosłownie )*(swoj|twoj|swoje|twoje|swoja|twoja|swoich|twoich|cały|cała|całe) ([a-ząćęłńóśźż]+ )?(prompt systemowy|systemowy prompt|komunikat systemowy|instrukcje systemowe|instrukcje poczatkowe|poczatkowe instrukcje|pierwotne instrukcje|ukryte zasady|ukryte instrukcje|ukryte reguły|tajne instrukcje|tajne zasady|instrukcje|zasady|reguły|konfiguracje)( systemowe| poczatkowe| ukryte| tajne)?",
  rf"\b(pokaz|ujawnij|powtorz|wypisz|podaj|wyswietl|napisz|wydrukuj|zdradz|przepisz|zacytuj) (mi |nam |prosze |teraz |dokladnie |słowo w słowo |dosłownie )*(instrukcje systemowe|prompt systemowy|komunikat systemowy),? (ktore|ktory|jakie) (dostałeś|dostałaś|otrzymałeś|otrzymałaś)",
  rf"\bjaki (jest|byl) (twoj|swoj) (prompt systemowy|systemowy prompt)"],
}

# ---------------- Russian (Cyrillic: no \b, vectorscan's \b is ASCII-only here)
V = A("игнорируй","игнорируйте","проигнорируй","проигнорируйте","забудь","забудьте","не обращай внимания на","не обращайте внимания на","отбрось","отбросьте","отмени","отмените","пренебреги","не слушай","не учитывай","не учитывайте","наплюй на","обойди","сбрось")
F = "(все |всё |всe |свои |твои |ваши |эти |те |мои |просто |теперь |пожалуйста |сейчас |полностью |любые )*"
Q = A("предыдущие","прежние","вышеуказанные","вышеприведенные","изначальные","исходные","первоначальные","начальные","старые","данные тебе","системные","полученные","прошлые","ранее данные","ранее полученные","заданные")
N = A("инструкции","указания","правила","команды","установки","директивы","приказы","ограничения","промпты","подсказки","настройки")
R["ru"] = {
 "override": [
  rf"{V} {F}{Q} {N}",
  rf"{V} {F}{N} (выше|ранее|до этого|из системного промпта)",
  rf"{V} {F}(свой|твой|ваш|этот|весь) (системный промпт|системный запрос|системное сообщение|промпт)",
  rf"{V} (обо )?(все|всё|всем),? что (тебе|вам) (говорили|сказали|писали|было сказано|велели) (раньше|ранее|до этого|прежде|выше)",
  rf"(твои|ваши|все) (предыдущие|прежние|старые|изначальные) (инструкции|правила|указания) (больше не действуют|отменены|недействительны|аннулированы|утратили силу)"],
 "role": [
  rf"(ты|вы|теперь ты|отныне ты|притворись,? что ты|представь,? что ты|веди себя как|ведите себя как|действуй как|действуй в роли|играй роль|сыграй роль|стань|будь|притворись) (теперь |отныне |сейчас |с этого момента |уже )?([а-яё-]+ )?(ии|ai|ассистент|ассистентом|ассистента|модель|моделью|модели|чат-бот|чат-ботом|бот|ботом|нейросеть|нейросетью|нейросети|искусственный интеллект|искусственным интеллектом|помощник|помощником|помощника)( [а-яё-]+)? (без|свободный от|свободная от|у которого нет|у которой нет|не имеющий) (каких-либо |каких либо |всяких |никаких |любых |всех |моральных |этических |правил и |ограничений и )*(ограничений|правил|фильтров|цензуры|запретов|рамок|границ|этики|морали|лимитов)",
  rf"(ты|вы|теперь ты|отныне ты|притворись,? что ты|веди себя как|действуй как|стань|будь) (теперь |отныне |сейчас )?(неограниченный|неограниченная|неограниченной|нецензурный|нецензурированный|нецензурированная|нефильтрованный|нефильтрованная|злой|злая|свободный|свободная|освобожденный|освобожденная|взломанный|взломанная) ([а-яё-]+ )?(ии|ai|ассистент|ассистентом|модель|моделью|чат-бот|бот|нейросеть|нейросетью|искусственный интеллект|помощник|помощником)",
  rf"(ты|вы) (больше не|уже не|более не) (ии|ai|ассистент|языковая модель|чат-бот|бот|нейросеть|искусственный интеллект|помощник)",
  rf"(ты|вы) (больше не|уже не|более не) (связан|связана|ограничен|ограничена|обязан|обязана) (никакими |своими |этими |какими-либо )?(правилами|ограничениями|инструкциями|политиками|рамками)",
  rf"(с этого момента|отныне|теперь|впредь),? (у тебя нет|у вас нет|для тебя нет|для тебя не существует) (больше )?(никаких |каких-либо )?(ограничений|правил|фильтров|запретов|цензуры|рамок)"],
 "extract": [
  rf"(покажи|покажите|раскрой|раскройте|повтори|повторите|выведи|выведите|напиши|напишите|распечатай|процитируй|скажи|скажите|перечисли|выдай|сообщи|открой|озвучь|скопируй|перепиши|огласи) (мне |нам |пожалуйста |дословно |полностью |точно |сейчас |целиком |слово в слово )*(свой|твой|ваш|свои|твои|ваши|свою|твою|весь|все|всю) (полный |полностью |исходный |исходные |изначальный |изначальные |первоначальные |начальные |скрытые |скрытый |секретные |секретный |тайные |внутренние |системные |системный |системную )*(системный промпт|системный запрос|системное сообщение|системную инструкцию|системные инструкции|промпт|инструкции|правила|указания|настройки|установки|директивы)",
  rf"(покажи|раскрой|повтори|выведи|напиши|процитируй|скажи|перечисли|выдай|перепиши) (мне |нам |пожалуйста |дословно |полностью )*(системный промпт|системные инструкции|системное сообщение)",
  rf"какой (у тебя|у вас|твой|ваш) (системный промпт|системный запрос)",
  rf"какие (у тебя|у вас|твои|ваши) (исходные|изначальные|скрытые|секретные|системные|первоначальные) (инструкции|правила|указания)"],
}

# ---------------- Ukrainian
V = A("ігноруй","ігноруйте","проігноруй","проігноруйте","забудь","забудьте","не зважай на","не зважайте на","відкинь","відкиньте","скасуй","скасуйте","знехтуй","не слухай","не враховуй","не враховуйте","обійди","скинь")
F = "(усі |всі |свої |твої |ваші |ці |ті |мої |просто |тепер |будь ласка |зараз |повністю |будь-які )*"
Q = A("попередні","колишні","вищезазначені","наведені вище","початкові","вихідні","первісні","старі","дані тобі","системні","отримані","минулі","раніше надані","задані")
N = A("інструкції","вказівки","правила","команди","установки","директиви","накази","обмеження","промпти","підказки","налаштування")
R["uk"] = {
 "override": [
  rf"{V} {F}{Q} {N}",
  rf"{V} {F}{N} (вище|раніше|до цього)",
  rf"{V} {F}(свій|твій|ваш|цей|весь) (системний промпт|системний запит|системне повідомлення|промпт)",
  rf"{V} (про )?(все|усе|всім),? що (тобі|вам) (казали|сказали|писали|було сказано|наказали) (раніше|до цього|вище)",
  rf"(твої|ваші|всі|усі) (попередні|колишні|старі|початкові) (інструкції|правила|вказівки) (більше не діють|скасовані|недійсні|втратили чинність)"],
 "role": [
  rf"(ти|ви|тепер ти|відтепер ти|уяви,? що ти|уявіть,? що ви|прикинься,? що ти|поводься як|поводьтеся як|дій як|дій у ролі|грай роль|зіграй роль|стань|будь|прикинься|з цього моменту ти) (тепер |відтепер |зараз |з цього моменту |вже )?([а-яіїєґ'-]+ )?(ші|ai|асистент|асистентом|асистента|модель|моделлю|моделі|чат-бот|чат-ботом|бот|ботом|нейромережа|нейромережею|штучний інтелект|штучним інтелектом|помічник|помічником)( [а-яіїєґ'-]+)? (без|вільний від|вільна від|у якого немає|у якої немає) (будь-яких |жодних |всіх |усіх |моральних |етичних |правил і |обмежень і )*(обмежень|правил|фільтрів|цензури|заборон|рамок|меж|етики|моралі|лімітів)",
  rf"(ти|ви|тепер ти|відтепер ти|поводься як|дій як|стань|будь) (тепер |відтепер |зараз )?(необмежений|необмежена|нецензурований|нецензурована|нефільтрований|нефільтрована|злий|зла|вільний|вільна|звільнений|звільнена|зламаний|зламана) ([а-яіїєґ'-]+ )?(ші|ai|асистент|асистентом|модель|моделлю|чат-бот|бот|нейромережа|нейромережею|штучний інтелект|помічник|помічником)",
  rf"(ти|ви) (більше не|вже не) (ші|ai|асистент|мовна модель|чат-бот|бот|нейромережа|штучний інтелект|помічник)",
  rf"(ти|ви) (більше не|вже не) (зв'язаний|зв'язана|обмежений|обмежена|зобов'язаний|зобов'язана) (жодними |своїми |цими |будь-якими )?(правилами|обмеженнями|інструкціями|політиками|рамками)",
  rf"(з цього моменту|відтепер|тепер|надалі),? (у тебе немає|у вас немає|для тебе немає|для тебе не існує) (більше )?(жодних |будь-яких )?(обмежень|правил|фільтрів|заборон|цензури|рамок)"],
 "extract": [
  rf"(покажи|покажіть|розкрий|розкрийте|повтори|повторіть|виведи|виведіть|напиши|напишіть|роздрукуй|процитуй|скажи|скажіть|перелічи|видай|повідом|відкрий|озвуч|скопіюй|перепиши) (мені |нам |будь ласка |дослівно |повністю |точно |зараз |цілком |слово в слово )*(свій|твій|ваш|свої|твої|ваші|свою|твою|весь|всі|усі|всю) (повний |початковий |початкові |вихідні |первісні |приховані |прихований |секретні |секретний |таємні |внутрішні |системні |системний |системну )*(системний промпт|системний запит|системне повідомлення|системну інструкцію|системні інструкції|промпт|інструкції|правила|вказівки|налаштування|установки|директиви)",
  rf"(покажи|розкрий|повтори|виведи|напиши|процитуй|скажи|перелічи|видай|перепиши) (мені |нам |будь ласка |дослівно |повністю )*(системний промпт|системні інструкції|системне повідомлення)",
  rf"який (у тебе|у вас|твій|ваш) (системний промпт|системний запит)",
  rf"які (у тебе|у вас|твої|ваші) (початкові|вихідні|приховані|секретні|системні|первісні) (інструкції|правила|вказівки)"],
}


# ---------------- Turkish (SOV: object then verb; negative imperatives end in -ma/-me and must not match)
TV = A("yok say","yok sayin","gormezden gel","gormezden gelin","unut","unutun","dikkate alma","dikkate almayin","iptal et","iptal edin","atla","atlayin","cope at","bir kenara birak","bir kenara birakin","yoksay","yoksayin","hice say","gecersiz say","ihmal et","ihmal edin")
TQ = A("onceki","daha onceki","yukaridaki","ilk","orijinal","baslangictaki","mevcut","sistem","eski","verilen","sana verilen","size verilen","tum onceki","butun onceki")
TN = A("talimatlari","talimatlarini","talimatlarin","talimati","talimatini","komutlari","komutlarini","kurallari","kurallarini","yonergeleri","yonergelerini","emirleri","emirlerini","istemi","istemini","promptu","promptunu","yonlendirmeleri","kisitlamalari","kisitlamalarini","ayarlari","ayarlarini")
R["tr"] = {
 "override": [
  rf"\b{TQ} (tum |butun |her |bu )?((sistem|sana verilen|verilen) )?{TN} (tamamen |hemen |simdi |artik |lutfen |bir |tumuyle )*{TV}(\b|[^m]|m[^ae])",
  rf"\b(tum|butun|hepsi) (onceki |yukaridaki |eski |ilk )?{TN} (tamamen |hemen |simdi |artik |lutfen )*{TV}(\b|[^m]|m[^ae])",
  rf"\bsistem (istemini|istemi|promptunu|promptu|mesajini|talimatlarini) (tamamen |hemen |simdi |artik |lutfen )*{TV}(\b|[^m]|m[^ae])",
  rf"\b(sana|size) (daha once |simdiye kadar |onceden )?(soylenen|verilen) (her seyi|hersey|tum talimatlari|talimatlari) {TV}(\b|[^m]|m[^ae])"],
 "role": [
  rf"\b(sen|siz) (artik |bundan sonra |bundan boyle |su andan itibaren |simdi |artik bir )*([a-z]+ )*(hicbir |her turlu |tum )?(kisitlamasi|kisitlamalari|siniri|sinirlari|kurali|kurallari|filtresi|filtreleri|sansuru|etik kurali|ahlaki siniri|limiti) (olmayan|bulunmayan|yok olan) (bir )?(yapay zekasin|yapay zekasiniz|yapay zeka|asistansin|asistan|modelsin|model|sohbet botusun|botsun|bot|ai)",
  rf"\b(sen|siz) (artik |bundan sonra |bundan boyle |su andan itibaren |simdi )*(bir )?(kuralsiz|sinirsiz|sansursuz|filtresiz|kisitlamasiz|ozgur|kotu|serbest)( ve [a-z]+)? (bir )?(yapay zekasin|yapay zekasiniz|yapay zeka|asistansin|asistan|modelsin|model|sohbet botusun|botsun|bot|ai)",
  rf"\b(kisitlamasi|kurali|siniri|sansuru|filtresi) (olmayan|bulunmayan) (bir )?(yapay zeka|asistan|model|bot|ai)[a-z]* (gibi davran|gibi rol yap|rolunu oyna|taklidi yap|ol\b|oldugunu farz et|oldugunu hayal et)",
  rf"\b(kuralsiz|sinirsiz|sansursuz|filtresiz|kisitlamasiz) (bir )?(yapay zeka|asistan|model|bot|ai)[a-z]* (gibi davran|gibi rol yap|rolunu oyna|taklidi yap|ol\b|oldugunu farz et)",
  rf"\b(sen|siz) artik (bir )?(yapay zeka|asistan|dil modeli|sohbet botu|ai)[a-z]* (degilsin|degilsiniz)",
  rf"\bartik (hicbir )?(kurala|kisitlamaya|sinira|politikaya|yonergeye) (bagli|tabi) (degilsin|degilsiniz)"],
 "extract": [
  rf"\b(sistem istemini|sistem istemi|sistem promptunu|sistem promptun|sistem mesajini|sistem talimatlarini|ilk talimatlarini|ilk talimatlarinizi|baslangic talimatlarini|orijinal talimatlarini|gizli kurallarini|gizli kurallari|gizli talimatlarini|gizli talimatlari|sana verilen sistem talimatlarini|sana verilen talimatlari|size verilen talimatlari) (bana |aynen |oldugu gibi |tamamen |kelimesi kelimesine |harfi harfine |simdi |lutfen |once )*(goster|gosterin|acikla|aciklayin|tekrarla|tekrarlayin|yazdir|yazdirin|soyle|soyleyin|yaz|yazin|paylas|paylasin|ifsa et|listele|ver|verin|dok)",
  rf"\b(sistem istemin|sistem promptun|ilk talimatlarin|gizli kurallarin) (ne|nedir|neydi|nelerdir)"],
}

# ---------------- Vietnamese (đ stays đ after folding; "đừng" = don't, "không" = not)
R["vi"] = {
 "override": [
  rf"(hay |vui long |lam on |xin |bay gio |ban hay |ban )?(bo qua|quen|quen đi|phot lo|lo đi|khong can quan tam đen|đung quan tam đen|khong quan tam|vo hieu hoa|gat bo|loai bo|bat chap|mac ke) (het |tat ca |moi |toan bo |nhung |cac |nhung gi |đi )*(cac |nhung )?(huong dan|chi dan|chi thi|quy tac|lenh|menh lenh|yeu cau|loi nhac|đieu le|quy đinh|rang buoc|gioi han|chi dan he thong|loi nhac he thong|prompt he thong|system prompt)( ban đau| truoc đo| truoc đay| o tren| phia tren| ben tren| truoc| cu| goc| he thong| đa đuoc đua ra| đa cho| cua ban| cua he thong)+",
  rf"(bo qua|quen|phot lo|mac ke|bat chap) (het |tat ca |moi |toan bo )?(nhung gi|moi thu|moi đieu) (ban )?(đa đuoc|đuoc) (noi|dan|bao|yeu cau|huong dan) (truoc đo|truoc đay|tu truoc|o tren)"],
 "role": [
  rf"\b(ban la|ban se la|ban đa la|hay la|gia vo la|hay gia vo la|gia lam|hay đong vai|đong vai|hay hanh đong nhu|hanh đong nhu|cu xu nhu|hay tro thanh|tro thanh|tuong tuong ban la) (mot |chiec )?([a-zđ]+ )?(ai|tri tue nhan tao|tro ly|mo hinh|chatbot|bot|robot)( [a-zđ]+)? (khong co|khong bi|khong chiu|khong he co|khong con|thoat khoi|vuot qua|khong) (bat ky |bat cu |mot |nhung |cac |moi |ky )*(gioi han|han che|quy tac|bo loc|kiem duyet|rang buoc|đao đuc|luat le|luat|gioi han nao)",
  rf"\b(ban|may) (khong con la|khong phai la|khong con) (mot |la mot )?(ai|tri tue nhan tao|tro ly|mo hinh ngon ngu|chatbot)",
  rf"\b(ban|may) (khong con|khong con bi) (bi )?(rang buoc|gioi han|han che|chi phoi) (boi |voi )?(bat ky |bat cu |cac |nhung )?(quy tac|gioi han|chinh sach|nguyen tac|rang buoc)",
  rf"\b(tu bay gio|tu gio|ke tu bay gio|tu nay|tu gio tro đi),? (ban )?(khong con|khong co|khong he co) (bat ky |bat cu |moi )?(gioi han|han che|quy tac|bo loc|kiem duyet|rang buoc)"],
 "extract": [
  rf"\b(cho toi xem|cho tui xem|cho toi biet|noi cho toi|noi cho toi biet|tiet lo|lap lai|in ra|hien thi|xuat ra|viet ra|chep lai|đua ra|đoc|lo ra|chia se|liet ke|cung cap) (lai |nguyen van |chinh xac |toan bo |đay đu |tung chu mot |tat ca |cho toi )*(cac |nhung |toan bo )?(loi nhac he thong|prompt he thong|system prompt|chi thi he thong|huong dan he thong|thong điep he thong|huong dan ban đau|chi dan ban đau|chi thi ban đau|quy tac an|quy tac bi mat|chi dan an|huong dan an|cau hinh ban đau|loi nhac ban đau)"],
}

# ---------------- Indonesian
IV = A("abaikan","lupakan","jangan hiraukan","jangan pedulikan","acuhkan","tinggalkan","hapus","batalkan","kesampingkan","langgar","lewati","jangan ikuti","tidak usah ikuti","tak usah hiraukan")
R["id"] = {
 "override": [
  rf"\b(tolong |mohon |sekarang |silakan |harap )?{IV} (saja |lah )?(semua |seluruh |segala |setiap |sekalian )?(instruksi|petunjuk|perintah|aturan|arahan|pedoman|peraturan|prompt|batasan|ketentuan)( sistem)?( yang)?( (sebelumnya|sebelum ini|di atas|diatas|awal|awalmu|awalnya|asli|aslinya|lama|terdahulu|yang diberikan|yang kamu terima|yang anda terima|sistem|sistemmu|kamu|anda|mu))+",
  rf"\b{IV} (semua |seluruh )?(prompt sistem|pesan sistem|instruksi sistem|system prompt)",
  rf"\b{IV} (semua|segala|apa pun|apapun)( hal)? yang (sudah |telah )?(dikatakan|diperintahkan|diberitahukan|disampaikan) (kepadamu|padamu|kepada anda|sebelumnya|tadi)"],
 "role": [
  rf"\b(kamu|anda|engkau|kau) (sekarang |mulai sekarang |mulai saat ini |kini |adalah |akan menjadi |menjadi )*(sebuah |seorang |suatu )?([a-z]+ )?(ai|asisten|model|chatbot|bot|kecerdasan buatan|robot)( [a-z]+)? (tanpa|yang tidak punya|yang tidak memiliki|yang bebas dari|bebas dari|tidak terikat) (batasan|aturan|filter|sensor|etika|moral|pembatasan|larangan|apa pun|apapun|segala|semua|dan|sama sekali| )+",
  rf"\b(berpura-puralah|berpura-pura|pura-pura|bertindaklah|bertindak|berperanlah|berperan|jadilah|bersikaplah|bayangkan kamu) (menjadi |sebagai |seperti |adalah )?(sebuah |seorang |suatu )?([a-z]+ )?(ai|asisten|model|chatbot|bot|kecerdasan buatan|robot)( [a-z]+)? (tanpa|yang tidak punya|yang tidak memiliki|yang bebas dari|bebas dari|tidak terikat) (batasan|aturan|filter|sensor|etika|moral|pembatasan|larangan|apa pun|apapun|segala|semua|dan|sama sekali| )+",
  rf"\b(kamu|anda) (bukan lagi|sudah bukan|tidak lagi) (sebuah |seorang )?(ai|asisten|model bahasa|chatbot|kecerdasan buatan)",
  rf"\b(kamu|anda) (tidak lagi|sudah tidak) (terikat|dibatasi|tunduk) (oleh |pada |dengan )?(aturan|batasan|kebijakan|pedoman|pembatasan)",
  rf"\bmulai (sekarang|saat ini),? (kamu|anda) (tidak punya|tidak memiliki|bebas dari) (batasan|aturan|filter|sensor|larangan)"],
 "extract": [
  rf"\b(tunjukkan|perlihatkan|ungkapkan|ulangi|cetak|tuliskan|tulis|sebutkan|beri tahu|beritahu|bocorkan|bagikan|salin|tampilkan|berikan|katakan) (padaku |kepadaku |pada saya |kepada saya |saya |aku |kata demi kata |secara lengkap |persis |sekarang |lagi |semua |seluruh )*(isi )?(prompt sistem|pesan sistem|instruksi sistem|system prompt|instruksi awal|petunjuk awal|perintah awal|aturan tersembunyi|instruksi tersembunyi|aturan rahasia|instruksi rahasia|konfigurasi awal)",
  rf"\bapa (isi )?(prompt sistem|instruksi awal|instruksi sistem)(mu| kamu| anda)"],
}

# ---------------- Chinese, Simplified and Traditional (no word boundaries; "别/不要/勿" before a verb negates it)
ZV = A("忽略","忽视","忽視","无视","無視","忘记","忘記","忘掉","抛开","拋開","丢弃","丟棄","放弃","放棄","覆盖","覆蓋","推翻","废除","廢除","绕过","繞過","跳过","跳過","不理会","不理會","别管","別管","不要理会","不要理會","不用理会","不用理會","不必理会","不必理會","不要管","不用管")
ZQ = A("之前","以前","先前","此前","上面","以上","前面","上述","上方","原来","原來","原先","最初","原始","初始","系统","系統","开发者","開發者","你收到","你被给予","给你","給你")
ZN = A("指令","指示","说明","說明","规则","規則","提示词","提示詞","提示","命令","设定","設定","要求","限制","约束","約束","规定","規定","准则","準則","指导","指導","守则","守則")
R["zh"] = {
 "override": [
  rf"{ZV}(掉|一下)?(你的|您的|你|您)?(所有|全部|一切|任何)?(的)?{ZQ}(的)?(所有|全部|一切|任何)?(的)?(系统|系統)?{ZN}",
  rf"{ZV}(掉|一下)?(你的|您的)(所有|全部|一切|任何)?(的)?(系统|系統)?{ZN}",
  rf"把(你的|您的)?(所有|全部|一切)?(的)?{ZQ}?(的)?(所有|全部|一切)?(的)?(系统|系統)?{ZN}(都|全部|统统|統統|全都)?(忽略|忘掉|忘记|忘記|无视|無視|抛开|拋開|丢掉|丟掉|扔掉|作废|作廢)",
  rf"(你的|您的)?(之前|以前|先前|原来|原來|原先|最初)的?(所有)?(指令|规则|規則|指示|设定|設定)(都|已经|已經|现在|現在)*(作废|作廢|失效|无效|無效|不再有效|被取消|取消)"],
 "role": [
  rf"(你现在是|你現在是|你是|现在你是|現在你是|从现在开始|從現在開始|从现在起|從現在起|从今以后|從今以後|假装|假裝|扮演|充当|充當|作为|作為|变成|變成|成为|成為|当一个|當一個|想象你是|想像你是)[^。！？.!?，,]*(没有|沒有|不受|无|無|不再有|摆脱|擺脫|不带|不帶|去除)(任何|一切|所有)?(道德|伦理|倫理|安全)?(限制|规则|規則|约束|約束|审查|審查|过滤|過濾|道德|伦理|倫理|底线|底線|束缚|束縛|规范|規範)(限制|约束|約束|束缚|束縛)?的?(的)?(ai|人工智能|人工智慧|助手|模型|机器人|機器人|聊天机器人|聊天機器人|ai助手|语言模型|語言模型)",
  rf"(你现在是|你現在是|你是|现在你是|現在你是|从现在开始你是|從現在開始你是|假装你是|假裝你是|扮演|充当|充當|变成|變成|成为|成為)(一个|一個|一名)?(不受审查|不受審查|无限制|無限制|无审查|無審查|不受限制|无约束|無約束|越狱|越獄|邪恶|邪惡|无过滤|無過濾)的?(的)?(ai|人工智能|人工智慧|助手|模型|机器人|機器人|语言模型|語言模型)",
  rf"你(已经|已經)?不再是(一个|一個)?(ai|人工智能|人工智慧|助手|语言模型|語言模型|chatgpt|聊天机器人|聊天機器人)",
  rf"你(已经|已經|现在|現在)?不再(受|被)(任何)?(规则|規則|限制|约束|約束|政策|准则|準則)(的)?(约束|約束|限制|束缚|束縛)",
  rf"(从现在开始|從現在開始|从现在起|從現在起|从今以后|從今以後)[，,]?你(没有|沒有|不再有)(任何)?(限制|规则|規則|约束|約束|审查|審查|过滤|過濾)"],
 "extract": [
  rf"(告诉我|告訴我|显示|顯示|输出|輸出|打印|列印|重复|重複|泄露|洩露|透露|说出|說出|给我看|給我看|展示|列出|复述|複述|写出|寫出|公开|公開|念出|贴出|貼出)(一下|出)?(逐字|完整|完整地|原样|原樣|原封不动地|原封不動地)?(你的|您的|你|您)(全部|完整的|所有|完整)?(的)?(系统提示|系統提示|系统提示词|系統提示詞|系统指令|系統指令|初始指令|初始提示|原始指令|原始提示|隐藏规则|隱藏規則|隐藏指令|隱藏指令|系统消息|系統訊息|系統消息|秘密指令|内部指令|內部指令|设定|設定|规则|規則|指令)",
  rf"(告诉我|告訴我|显示|顯示|输出|輸出|打印|列印|重复|重複|泄露|洩露|透露|说出|說出|展示|列出|复述|複述|写出|寫出)(一下|出)?(逐字)?(你收到的|你收到的|你得到的|给你的|給你的)(系统|系統|初始|原始|隐藏|隱藏)?(指令|提示|提示词|提示詞|规则|規則|指示)",
  rf"(你的|您的)(系统|系統|初始|原始|隐藏|隱藏)(提示|提示词|提示詞|指令|消息|訊息|规则|規則)(是什么|是什麼|是啥|的内容|的內容|内容是|內容是)",
  rf"把(你的|您的)(系统提示|系統提示|系统提示词|系統提示詞|系统指令|系統指令|初始指令|隐藏规则|隱藏規則)(原封不动地|原封不動地|逐字|完整地|全部)?(告诉我|告訴我|输出|輸出|打印|列印|显示|顯示|重复|重複|写出来|寫出來|发给我|發給我)"],
}

# ---------------- Japanese (folding drops dakuten: patterns are folded the same way; negative "ないで" must not match)
JN = A("指示","命令","ルール","規則","指令","プロンプト","設定","制約","制限","ガイドライン","インストラクション")
JQ = A("以前","前","上記","これまで","今まで","先ほど","先程","最初","元","既存","全て","すべて","システム","開発者","初期")
JVO = A("無視して","無視しろ","無視せよ","無視する","無視しなさい","無視し、","無視し,","無視してください","忘れて","忘れろ","忘れなさい","忘れること","忘れてください","破棄して","破棄しろ","破棄せよ","無効にして","無効にしろ","取り消して","捨てて","なかったことにして","従わないで","従うな")
R["ja"] = {
 "override": [
  rf"{JQ}(の|に受けた|に与えられた|与えられた|の全ての|のすべての)?(全ての|すべての|あらゆる)?(システム)?{JN}(は|を|も)(すべて|全て|全部|一旦|いったん|完全に)?{JVO}",
  rf"(与えられた|受けた|受け取った|設定された)(すべての|全ての)?{JN}(は|を)(すべて|全て|全部|完全に)?{JVO}",
  rf"(システムプロンプト|システム指示|システムメッセージ|システム設定)(は|を)(すべて|全て|全部|完全に)?{JVO}",
  rf"(これまで|今まで|以前|前)の(指示|命令|ルール|設定)は(すべて|全て|全部)?(無効|取り消し|破棄|撤回)(です|だ|とする|になりました|された)"],
 "role": [
  rf"(制限|規制|ルール|検閲|フィルター|フィルタ|倫理|制約|道徳|安全)(の|が|に|も|を)?(ない|無い|なし|一切ない|全くない|縛られない|しばられない|とらわれない|受けない|持たない|ない状態の)(な)?(ai|アシスタント|モデル|チャットボット|人工知能|ボット|言語モデル|存在)(として|のふり|になりきって|になりきり|を演じ|に(なって|なれ|なりなさい))",
  rf"(今から|これから|以後|今後|これからは|今からは)(、)?(あなたは|君は|おまえは|お前は)[^。！？.!?]*(制限|規制|ルール|検閲|フィルター|倫理|制約)(の|が|に|も|を)?(ない|無い|なし|縛られない|とらわれない|受けない)",
  rf"(あなたは|君は|お前は)(もう|もはや)(ai|アシスタント|人工知能|言語モデル|チャットボット)(では|じゃ)(ない|ありません|なくなった)",
  rf"(検閲|制限|フィルター|倫理)(されていない|のない|なし|を外した|を解除した)(ai|アシスタント|モデル|人工知能)(として|のふり|になりきって|を演じ|です|だ)"],
 "extract": [
  rf"(あなたの|君の|お前の)?(システムプロンプト|システム指示|システムメッセージ|初期指示|初期設定|最初の指示|最初の命令|最初に与えられた指示|最初に受けた指示|与えられた指示|隠された(指示|ルール|命令)|秘密の(指示|ルール)|内部の指示|隠しルール)(を|の内容を|の全文を|の中身を)(すべて|全て|そのまま|全部|一字一句|正確に|原文のまま)?(表示|教え|見せ|出力|繰り返|書き出|開示|公開|漏ら|暴露|印刷|コピー|貼り付け)",
  rf"(あなたの|君の)(システムプロンプト|初期指示|システム指示|隠されたルール)(は|って)(何|なん)"],
}

# ---------------- Korean (folding decomposes Hangul into jamo: the folded patterns are written that way; "지 마" negates)
KN = "(지시|지시사항|지침|규칙|명령|명령어|프롬프트|설정|지시문|제한|제약|가이드라인|안내)"
KQ = "(이전|이전의|앞의|앞선|위의|위|지금까지의|지금까지|기존|기존의|모든|원래의|원래|처음의|처음|초기|시스템|너에게 주어진|당신에게 주어진|주어진|받은)"
KV = "(무시해|무시하세요|무시하고|무시하십시오|무시하라|무시해 줘|무시해줘|무시할 것|잊어|잊으세요|잊고|잊으십시오|잊어버려|잊어 버려|잊어버리세요|잊어 주세요|잊어줘|잊으라|버려|폐기해|취소해|무효화해|따르지 마)"
R["ko"] = {
 "override": [
  rf"{KQ} ?(모든 )?(시스템 )?{KN}(들)?(을|를|은|는|도)? ?(모두 |전부 |다 |싹 |완전히 |전부 다 )?{KV}",
  rf"(시스템 프롬프트|시스템프롬프트|시스템 메시지|시스템 지시)(를|을|은|는)? ?(모두 |전부 |다 |완전히 )?{KV}",
  rf"(이전|지금까지|기존|원래)(의)? ?(모든 )?(지시|규칙|명령|지침|설정)(은|는|들은) ?(모두 |전부 |이제 )?(무효|취소|폐기)"],
 "role": [
  rf"(제한|규칙|검열|필터|윤리|제약|도덕|안전장치|한계)(이|가|에|도|을|를)? ?(없는|없이|얽매이지 않는|받지 않는|구애받지 않는|전혀 없는) ?(ai|에이아이|인공지능|어시스턴트|모델|챗봇|비서|ai 어시스턴트|언어 모델)(처럼|인 척|인척|로서|으로서|역할|이야|입니다|야|이다|가 되어|가 돼|로 행동)",
  rf"(지금부터|이제부터|앞으로|이제) (너는|당신은|넌)[^.!?]*(제한|규칙|검열|필터|윤리|제약)(이|가|에|도)? ?(없는|없이|얽매이지 않는|받지 않는)",
  rf"(너는|당신은|넌) (이제 |더 이상 |이제 더 이상 )+(ai|인공지능|어시스턴트|챗봇|언어 모델)(가|이) 아니",
  rf"(검열|필터|제한)(되지 않은|없는|이 해제된) (ai|인공지능|어시스턴트|모델|챗봇)(처럼|인 척|로서|이야|입니다)"],
 "extract": [
  rf"(너의 |당신의 |네 )?(시스템 프롬프트|시스템프롬프트|시스템 메시지|시스템 지시|초기 지시|초기 설정|처음에 받은 지시|처음 받은 지시|처음에 받은 명령|숨겨진 (지시|규칙|명령)|비밀 (지시|규칙)|원래 지시|내부 지시)(사항)?(을|를|의 내용을|의 전문을|내용을)? ?(모두 |전부 |그대로 |한 글자도 빼지 말고 |정확히 |원문 그대로 )*(보여|알려|출력|말해|반복|공개|적어|써 줘|써줘|복사|누설)",
  rf"(너의|당신의|네) (시스템 프롬프트|초기 지시|숨겨진 규칙)(는|은) (뭐|무엇)"],
}

# ---------------- Hindi (folding drops most vowel signs, virama and nukta: the folded patterns are written that way)
HQ = A("पिछले","पिछली","पहले के","पहले दिए गए","ऊपर दिए गए","ऊपर के","ऊपर लिखे","ऊपर लिखे गए","उपरोक्त","पुराने","मूल","शुरुआती","प्रारंभिक","सिस्टम","सिस्टम के","तुम्हें दिए गए","आपको दिए गए","अपने","अपनी","अपने मूल","अपने सिस्टम","अपने पिछले")
HN = A("निर्देशों","निर्देश","निर्देशो","नियमों","नियम","आदेशों","आदेश","हिदायतों","हिदायतें","प्रॉम्प्ट","प्रोम्प्ट","सिस्टम प्रॉम्प्ट","सिस्टम प्रोम्प्ट","दिशानिर्देशों","दिशानिर्देश","प्रतिबंधों","निर्देशन","इंस्ट्रक्शन्स","इंस्ट्रक्शंस")
HV = A("अनदेखा करो","अनदेखा करें","अनदेखा कर दो","अनदेखा कीजिए","अनदेखा करिए","नज़रअंदाज़ करो","नज़रअंदाज़ करें","नज़रअंदाज़ कर दो","नज़रअंदाज़ कीजिए","नजरअंदाज करो","नजरअंदाज करें","भूल जाओ","भूल जाइए","भूल जाएं","भूल जाएँ","भुला दो","भुला दें","छोड़ दो","छोड़ दें","रद्द करो","रद्द कर दो","मत मानो","का पालन मत करो","का पालन न करें","इग्नोर करो","इग्नोर करें","इग्नोर कर दो")
R["hi"] = {
 "override": [
  rf"(सभी |सारे |सब |तमाम )?{HQ} (सभी |सारे |सब |तमाम )?{HN} (को |का )?(पूरी तरह |पूरी तरह से |बिल्कुल |अब |तुरंत |सब )?{HV}",
  rf"{HV}[,:]? (सभी |सारे |सब |तमाम )?{HQ} (सभी |सारे |सब )?{HN}",
  rf"(जो कुछ|जो भी|सब कुछ जो) (तुम्हें|आपको) (पहले|अब तक|ऊपर) (कहा|बताया|लिखा) गया (है|था)?,? (उसे |वह सब )?{HV}"],
 "role": [
  rf"(बिना किसी|बिना|किसी भी|कोई) (प्रतिबंध|नियम|नियमों|सीमा|सीमाओं|सेंसरशिप|सेंसर|फ़िल्टर|फिल्टर|रोक|पाबंदी|पाबंदियों|नैतिकता|नैतिक सीमाओं|रोक-टोक)( और [^ ]+| या [^ ]+)? (वाले|वाला|वाली|के) (एआई|एआइ|ai|सहायक|असिस्टेंट|मॉडल|मोडल|चैटबॉट|बॉट|आर्टिफिशियल इंटेलिजेंस|कृत्रिम बुद्धिमत्ता)",
  rf"(तुम|आप) (अब )?(कोई |एक )?(एआई|ai|सहायक|असिस्टेंट|मॉडल|चैटबॉट|भाषा मॉडल) (नहीं हो|नहीं हैं|नहीं रहे)",
  rf"(तुम|आप) (अब )?(किसी भी |किसी |कोई )?(नियम|नियमों|प्रतिबंध|प्रतिबंधों|पाबंदी|पाबंदियों|सीमा|सीमाओं|दिशानिर्देशों) (से|के) (बंधे|बंधी|मुक्त|आज़ाद|आजाद) (नहीं )?(हो|हैं)",
  rf"(अब से|आज से|इस पल से),? (तुम्हारे|आपके|तुम पर|आप पर) (लिए )?(कोई )?(नियम|प्रतिबंध|सीमा|पाबंदी|फ़िल्टर|सेंसरशिप) (नहीं|लागू नहीं)"],
 "extract": [
  rf"(अपना|अपने|अपनी|तुम्हारा|तुम्हारे|तुम्हारी|आपका|आपके|आपकी) (पूरा |पूरे |पूरी |मूल |असली |छिपे हुए |छिपा हुआ |छिपी हुई |गुप्त |शुरुआती |प्रारंभिक |सिस्टम |आंतरिक )*(सिस्टम प्रॉम्प्ट|सिस्टम प्रोम्प्ट|प्रॉम्प्ट|प्रोम्प्ट|निर्देश|निर्देशों|नियम|नियमों|सिस्टम मैसेज|सिस्टम संदेश|कॉन्फ़िगरेशन|हिदायतें|इंस्ट्रक्शन्स) (को )?(शब्दशः |हूबहू |ज्यों का त्यों |पूरा |पूरी तरह |अभी |मुझे )*(दिखाओ|दिखाएं|दिखाइए|दिखा दो|बताओ|बताएं|बताइए|बता दो|दोहराओ|दोहराएं|दोहराइए|प्रिंट करो|प्रिंट करें|लिखकर दो|लिखो|लिखें|आउटपुट करो|साझा करो|उजागर करो|प्रकट करो|लीक करो)",
  rf"(तुम्हें|आपको) (मिले|मिला|दिए गए|दिया गया) (सिस्टम |शुरुआती |मूल |छिपे )?(निर्देश|प्रॉम्प्ट|नियम|संदेश) (को )?(शब्दशः |हूबहू |पूरा )*(दिखाओ|बताओ|दोहराओ|प्रिंट करो|लिखकर दो|लिखो|दिखाएं|बताएं)",
  rf"(तुम्हारा|आपका|तुम्हारे|आपके) (सिस्टम प्रॉम्प्ट|सिस्टम प्रोम्प्ट|शुरुआती निर्देश|छिपे हुए नियम) (क्या|कौन से) (है|हैं|था|थे)"],
}

# ---------------- Bengali
BQ = A("আগের","পূর্ববর্তী","পূর্বের","উপরের","উপরোক্ত","পুরনো","পুরোনো","মূল","প্রাথমিক","শুরুর","সিস্টেম","তোমাকে দেওয়া","আপনাকে দেওয়া","তোমার","আপনার","তোমার মূল","আপনার মূল")
BN_ = A("নির্দেশনা","নির্দেশনাগুলো","নির্দেশাবলী","নির্দেশ","নির্দেশগুলো","নিয়ম","নিয়মগুলো","নিয়মগুলি","আদেশ","আদেশগুলো","প্রম্পট","সিস্টেম প্রম্পট","নির্দেশিকা","বিধিনিষেধ","হুকুম","ইনস্ট্রাকশন")
BV = A("উপেক্ষা করো","উপেক্ষা করুন","উপেক্ষা কর","অগ্রাহ্য করো","অগ্রাহ্য করুন","ভুলে যাও","ভুলে যান","ভুলে যা","বাদ দাও","বাদ দিন","অমান্য করো","অমান্য করুন","মেনো না","মানবে না","ইগনোর করো","ইগনোর করুন","বাতিল করো","বাতিল করুন")
R["bn"] = {
 "override": [
  rf"(সব |সমস্ত |সকল |যাবতীয় )?{BQ} (সব |সমস্ত |সকল |যাবতীয় )?{BN_}(কে|গুলোকে|গুলি)? (পুরোপুরি |সম্পূর্ণভাবে |এখনই |সব )?{BV}",
  rf"{BV}[,:]? (সব |সমস্ত |সকল )?{BQ} (সব |সমস্ত )?{BN_}",
  rf"(তোমাকে|আপনাকে) (আগে|এতক্ষণ|উপরে) যা (যা )?(বলা|লেখা) হয়েছে,? (তা |সব )?{BV}"],
 "role": [
  rf"(কোনো|কোন|কোনও)? ?(বিধিনিষেধ|নিয়ম|সীমা|সীমাবদ্ধতা|সেন্সর|ফিল্টার|নৈতিকতা|বাধা)( ও [^ ]+| বা [^ ]+)? (ছাড়া|ছাড়াই|বিহীন|মুক্ত) (একটি |একজন |এক )?(এআই|ai|সহকারী|সহকারীর|মডেল|মডেলের|চ্যাটবট|বট|কৃত্রিম বুদ্ধিমত্তা|এআই এর|এআই-এর)",
  rf"(সেন্সরবিহীন|সেন্সরমুক্ত|নিয়মহীন|সীমাহীন|বাধাহীন|ফিল্টারবিহীন|ফিল্টারহীন) (একটি |একজন )?(এআই|ai|সহকারী|মডেল|চ্যাটবট|বট)",
  rf"(তুমি|আপনি) (আর )?(কোনো )?(এআই|ai|সহকারী|মডেল|চ্যাটবট|ভাষা মডেল) (নও|নন|নয়)",
  rf"(তুমি|আপনি) (আর )?(কোনো )?(নিয়ম|নিয়মের|বিধিনিষেধ|বিধিনিষেধের|সীমা|সীমার|নীতির) (দ্বারা |কাছে )?(আবদ্ধ|বাধ্য|সীমাবদ্ধ) (নও|নন|নয়)"],
 "extract": [
  rf"(তোমার|আপনার|তোর) (পুরো |সম্পূর্ণ |মূল |আসল |গোপন |লুকানো |প্রাথমিক |শুরুর |সিস্টেম |অভ্যন্তরীণ )*(সিস্টেম প্রম্পট|প্রম্পট|নির্দেশনা|নির্দেশাবলী|নির্দেশ|নিয়মগুলো|নিয়ম|সিস্টেম মেসেজ|সিস্টেম বার্তা|কনফিগারেশন) (হুবহু |পুরোটা |সম্পূর্ণ |এখনই |আমাকে )*(দেখাও|দেখান|বলো|বলুন|পুনরাবৃত্তি করো|পুনরাবৃত্তি করুন|প্রিন্ট করো|প্রিন্ট করুন|লিখে দাও|লিখে দিন|লেখো|প্রকাশ করো|প্রকাশ করুন|ফাঁস করো|শেয়ার করো)",
  rf"(তোমাকে|আপনাকে) (দেওয়া|দেয়া) (সিস্টেম |প্রাথমিক |মূল |গোপন )?(নির্দেশ|নির্দেশনা|প্রম্পট|নিয়ম|বার্তা) (হুবহু |পুরোটা )*(দেখাও|বলো|পুনরাবৃত্তি করো|প্রিন্ট করো|লিখে দাও|দেখান|বলুন)"],
}

# role change must be addressed to "you" in hi/bn (a sentence about unrestricted AIs is not an attack)
R["hi"]["role"][0] = "(तुम|आप|तू) [^।.!?]*" + R["hi"]["role"][0]
R["bn"]["role"][0] = "(তুমি|আপনি|তুই) [^।.!?]*" + R["bn"]["role"][0]
R["bn"]["role"][1] = "(তুমি|আপনি|তুই) [^।.!?]*" + R["bn"]["role"][1]

# ---------------- Urdu
UQ = A("پچھلی","پچھلے","پہلے کی","پہلے کے","پہلے دی گئی","اوپر دی گئی","اوپر دیے گئے","اوپر کی","اوپر کے","سابقہ","پرانی","پرانے","اصل","ابتدائی","سسٹم","تمہیں دی گئی","آپ کو دی گئی","اپنی","اپنے","اپنے اصل","اپنی اصل","اپنے سسٹم")
UN = A("ہدایات","ہدایت","ہدایتوں","اصولوں","اصول","قواعد","قوانین","احکامات","احکام","حکم","پرامپٹ","سسٹم پرامپٹ","رہنما اصول","پابندیوں","ہدایت نامہ")
UV = A("نظر انداز کرو","نظر انداز کریں","نظرانداز کرو","نظرانداز کریں","نظر انداز کر دو","نظر انداز کر دیں","بھول جاؤ","بھول جائیں","بھلا دو","بھلا دیں","چھوڑ دو","چھوڑ دیں","منسوخ کرو","منسوخ کر دو","مت مانو","نہ مانیں","اگنور کرو","اگنور کریں")
R["ur"] = {
 "override": [
  rf"(تمام |سب |ساری |سارے )?{UQ} (تمام |سب |ساری |سارے )?{UN} (کو )?(مکمل طور پر |بالکل |ابھی |اب |سب )?{UV}",
  rf"{UV}[,:،]? (تمام |سب |ساری |سارے )?{UQ} (تمام |سب )?{UN}",
  rf"(جو کچھ|جو بھی) (تمہیں|آپ کو) (پہلے|اب تک|اوپر) (کہا|بتایا|لکھا) گیا (ہے|تھا)?،? (اسے |وہ سب )?{UV}"],
 "role": [
  rf"(تم|آپ|تو) [^۔.!?؟]*(بغیر کسی|بغیر|بنا کسی|بنا|کسی بھی) (پابندی|پابندیوں|اصول|اصولوں|قواعد|حد|حدود|سنسر|سنسرشپ|فلٹر|فلٹرز|اخلاقیات|روک ٹوک)( اور [^ ]+| یا [^ ]+)? (والے|والا|والی|کے) (اے آئی|اے ائی|ai|اسسٹنٹ|معاون|ماڈل|چیٹ بوٹ|بوٹ|مصنوعی ذہانت)",
  rf"(تم|آپ) (اب )?(کوئی |ایک )?(اے آئی|ai|اسسٹنٹ|معاون|ماڈل|چیٹ بوٹ|لسانی ماڈل) (نہیں ہو|نہیں ہیں|نہیں رہے)",
  rf"(تم|آپ) (اب )?(کسی بھی |کسی )?(اصول|اصولوں|پابندی|پابندیوں|حد|حدود|ہدایات) (کے|سے) (پابند|آزاد) (نہیں )?(ہو|ہیں)"],
 "extract": [
  rf"(اپنا|اپنے|اپنی|تمہارا|تمہارے|تمہاری|آپ کا|آپ کے|آپ کی) (پورا |پورے |پوری |اصل |چھپا ہوا |چھپے ہوئے |چھپی ہوئی |خفیہ |ابتدائی |سسٹم |اندرونی )*(سسٹم پرامپٹ|پرامپٹ|ہدایات|ہدایت|اصول|قواعد|سسٹم پیغام|کنفیگریشن) (کو )?(لفظ بہ لفظ |من و عن |پورا |پوری |ابھی |مجھے )*(دکھاؤ|دکھائیں|بتاؤ|بتائیں|دہراؤ|دہرائیں|پرنٹ کرو|پرنٹ کریں|لکھ کر دو|لکھ دو|لکھو|ظاہر کرو|افشا کرو|شیئر کرو|لیک کرو)",
  rf"(تمہیں|آپ کو) (دی گئی|دیے گئے|ملی|ملے) (سسٹم |ابتدائی |اصل |خفیہ )?(ہدایات|پرامپٹ|اصول|پیغام) (کو )?(لفظ بہ لفظ |من و عن |پوری )*(دکھاؤ|بتاؤ|دہراؤ|پرنٹ کرو|لکھ کر دو|دکھائیں|بتائیں)"],
}

# ---------------- Arabic ("لا تتجاهل" = do not ignore: the verb must start a word, so "تتجاهل" does not match)
AV = A("تجاهل","تجاهلي","تجاهلوا","انس","انسي","انسوا","اترك","اتركي","اهمل","أهمل","اهملي","تخط","تخطى","تخطي","الغ","ألغ","ألغي","تناس","تناسى","لا تلتفت الى","لا تلتفت إلى","لا تلتفتي الى","لا تهتم ب","لا تعر اهتماما ل","لا تتبع","اضرب عرض الحائط ب")
AN = A("التعليمات","تعليمات","التعليمة","الأوامر","الاوامر","أوامر","اوامر","القواعد","قواعد","الإرشادات","الارشادات","إرشادات","التوجيهات","توجيهات","القيود","الموجه","موجه","التلقين","الضوابط")
AQ = A("السابقة","السابق","الأولى","الاولى","الأصلية","الاصلية","أعلاه","اعلاه","السالفة","المذكورة أعلاه","المذكورة اعلاه","القديمة","الأولية","الاولية","المعطاة لك","التي أعطيت لك","التي تلقيتها","النظام","الخاصة بك","للنظام")
R["ar"] = {
 "override": [
  rf"{AV} (كل |جميع |كافة |كامل |جميعَ |كلَّ )?{AN} {AQ}",
  rf"{AV} (كل |جميع |كافة )?(قواعدك|تعليماتك|أوامرك|اوامرك|إرشاداتك|ارشاداتك|توجيهاتك|قيودك)( {AQ})?",
  rf"{AV} (موجه|تعليمات|رسالة|أوامر|اوامر) (النظام)",
  rf"{AV} (كل |جميع )?ما (قيل|ذكر|طلب|كتب) (لك )?(سابقا|سابقًا|من قبل|أعلاه|اعلاه|قبل هذا)"],
 "role": [
  rf"(أنت|انت|أنتِ|انتِ|تظاهر|تظاهري|تصرف|تصرفي|مثل دور|العب دور|كن|كوني|اصبح|أصبح|أصبحت|اعتبر نفسك|تخيل أنك|تخيل انك)[^.!?؟]*(ذكاء اصطناعي|ذكاء إصطناعي|مساعد|مساعدا|نموذج|نموذجا|روبوت|روبوت دردشة|بوت|شات بوت|ai)( [^ .!?؟]+)? (بلا|بدون|دون|خال من|خالٍ من|متحرر من|لا يخضع ل|لا يلتزم ب|لا حدود له|لا قيود عليه|غير مقيد|غير خاضع للرقابة)( أي| اي| أية| اية| كل)?( [^ .!?؟]+)?",
  rf"(أنت|انت) (الآن |الان |لم تعد )?(لست |لم تعد )(ذكاء اصطناعي|ذكاءً اصطناعياً|مساعدا|مساعدًا|نموذجا|نموذجًا لغويًا|روبوت|ai)",
  rf"(أنت|انت) (الآن |الان )?(لم تعد|لست) (ملزما|ملزمًا|مقيدا|مقيدًا|مقيّدًا|خاضعا|خاضعًا) (ب|بأي |باي |لأي |لاي )?(القواعد|قواعد|قيود|القيود|سياسات|السياسات|التعليمات|إرشادات)"],
 "extract": [
  rf"(اعرض|أعرض|اكشف|أكشف|كرر|كرّر|اطبع|أطبع|اكتب|أكتب|انسخ|أظهر|اظهر|شارك|سرب|أفصح عن|افصح عن|أخبرني ب|اخبرني ب|أخبرني بـ|اخبرني بـ|قل لي|أعطني|اعطني|ما هو|ما هي)( لي)? (بالحرف |حرفيا |حرفيًا |كاملا |كاملًا |بالكامل |الآن )*(موجه النظام|تعليمات النظام|رسالة النظام|الموجه الأولي|التعليمات الأولية|تعليماتك الأولية|تعليماتك الأصلية|تعليماتك المخفية|قواعدك المخفية|قواعدك السرية|تعليماتك السرية|القواعد المخفية|التعليمات المخفية|التعليمات السرية|موجهك|تعليماتك|قواعدك)",
  rf"(اعرض|اكشف|كرر|اطبع|اكتب|انسخ|أظهر|اظهر|أعطني|اعطني)( لي)? (التعليمات|القواعد|الموجه|الرسالة) (التي )?(تلقيتها|أعطيت لك|اعطيت لك|تم إعطاؤها لك)"],
}

# ---------------- Persian (ZWNJ disappears in folding: "دستورالعمل‌های" becomes "دستورالعملهای")
FQ = A("قبلی","پیشین","بالا","اولیه","اصلی","قدیمی","سیستمی","سیستم","داده شده","که به تو داده شده","قبلیات","قبلی‌ات","اصلی‌ات","اولیه‌ات","خود","خودت","ات")
FN = A("دستورالعمل‌ها","دستورالعمل‌های","دستورالعمل","دستورها","دستورهای","دستورات","دستور","قوانین","قانون","قواعد","پرامپت","پرامپت سیستمی","رهنمودها","محدودیت‌ها","دستورالعمل‌هایت","قوانینت","قوانین اصلی‌ات","تعلیمات")
FV = A("نادیده بگیر","نادیده بگیرید","نادیده گرفته","فراموش کن","فراموش کنید","کنار بگذار","کنار بگذارید","بی‌خیال شو","بیخیال","لغو کن","لغو کنید","اعتنا نکن","پیروی نکن","رها کن","دور بریز")
R["fa"] = {
 "override": [
  rf"(همه |همه‌ی |همه ی |تمام |تمامی |کل |هر )?{FN} ?(ی )?({FQ} ?)+(خود |خودت |تو )?(را |رو )?(کاملا |کاملاً |همین الان |الان |فورا )?{FV}",
  rf"(همه |تمام |تمامی )?(پرامپت سیستمی|پیام سیستمی|دستورات سیستمی|دستورالعمل‌های سیستمی)( خود| خودت| ات)? (را |رو )?{FV}",
  rf"(هر چه|هرچه|هر چیزی که|هرچیزی که) (قبلا|قبلاً|تا الان|پیش از این) (به تو |به شما )?(گفته شده|گفتند|گفته‌اند) (را |رو )?{FV}"],
 "role": [
  rf"(تو|شما|مثل|مانند|همانند|به عنوان|نقش)[^.!?؟]*(هوش مصنوعی|دستیار|دستیاری|مدل|مدلی|ربات|بات|چت‌بات|ai)( [^ .!?؟]+)? (بدون|بی|فاقد|عاری از|رها از|آزاد از) (هیچ |هرگونه |هر گونه |هیچ گونه )?(محدودیت|محدودیتی|قانون|قانونی|قوانین|فیلتر|سانسور|مرز|مرزی|اخلاق|قید|قیدی|چارچوب)",
  rf"(تو|شما) (دیگر |دیگه )(هوش مصنوعی|دستیار|مدل زبانی|ربات|ai) (نیستی|نیستید)",
  rf"(تو|شما) (دیگر |دیگه )(به )?(هیچ )?(قانون|قوانین|محدودیت|محدودیتی|قاعده|سیاست)(ی)? (پایبند|محدود|مقید|ملزم) (نیستی|نیستید)",
  rf"(از این به بعد|از حالا|از الان)،? (تو |شما )?(هیچ )?(محدودیت|محدودیتی|قانون|قانونی|فیلتر|سانسور)(ی)? (نداری|ندارید)"],
 "extract": [
  rf"(پرامپت سیستمی|پیام سیستمی|دستورات سیستمی|دستورالعمل‌های سیستمی|دستورالعمل‌های اولیه|دستورالعمل اولیه|دستورات اولیه|قوانین پنهان|قوانین مخفی|دستورات مخفی|دستورات پنهان|قوانین سری|دستورالعمل‌های اولیه‌ات|دستورالعمل‌های اصلی|قوانین پنهانت|دستورات سیستمی که گرفتی|دستورات سیستمی که دریافت کردی)( خود| خودت| ات| تو)? (را |رو )?(کلمه به کلمه |عینا |عیناً |کامل |به طور کامل |همین الان |برای من |به من )*(نشان بده|نشان بدهید|نشون بده|فاش کن|فاش کنید|تکرار کن|تکرار کنید|چاپ کن|چاپ کنید|بگو|بگویید|بنویس|بنویسید|لو بده|افشا کن|کپی کن)"],
}

# ---------------- Thai (folding drops above/below vowels and tone marks; no spaces between words, no \b)
R["th"] = {
 "override": [
  rf"(เพิกเฉยต่อ|เพิกเฉย|ลืม|ไม่ต้องสนใจ|ไม่สนใจ|ละเว้น|ละทิ้ง|ทิ้ง|ยกเลิก|ข้าม|มองข้าม)(ทั้งหมด)? ?(คำสั่ง|คำแนะนำ|กฎ|กฎเกณฑ์|ข้อกำหนด|ข้อบังคับ|แนวทาง|system prompt|พรอมต์ระบบ|พรอมต์|คำสั่งระบบ|ข้อจำกัด)(ทั้งหมด)? ?(ก่อนหน้า|ก่อนหน้านี้|ข้างต้น|ด้านบน|ข้างบน|เดิม|แรก|เริ่มต้น|ที่ผ่านมา|ที่ได้รับ|ของระบบ|ของคุณ|ที่ให้ไว้)",
  rf"(เพิกเฉยต่อ|ลืม|ไม่ต้องสนใจ|ละเว้น|มองข้าม)(ทุกอย่าง|ทุกสิ่ง|ทั้งหมด)ที่(ถูกบอก|บอก|สั่ง|เขียน)(ไว้)?(ก่อนหน้า|ก่อนหน้านี้|ข้างต้น|ด้านบน)"],
 "role": [
  rf"(คุณคือ|คุณเป็น|เธอคือ|เธอเป็น|แกล้งทำเป็น|แกล้งเป็น|สวมบทบาทเป็น|สวมบทบาท|ทำตัวเป็น|ทำตัวเหมือน|เล่นเป็น|รับบทเป็น|กลายเป็น|ทำหน้าที่เป็น)[^.!?]*(ai|เอไอ|ผู้ช่วย|โมเดล|แชทบอท|บอท|ปัญญาประดิษฐ์) ?(ที่)?(ไม่มี|ปราศจาก|ไม่ถูก|ไม่อยู่ภายใต้|ไร้)(ข้อจำกัด|กฎ|ตัวกรอง|การเซ็นเซอร์|การจำกัด|ขีดจำกัด|ศีลธรรม|จริยธรรม|การกรอง|ขอบเขต)",
  rf"(คุณ|เธอ)ไม่ใช่(ai|เอไอ|ผู้ช่วย|โมเดลภาษา|แชทบอท|ปัญญาประดิษฐ์)อีกต่อไป",
  rf"(คุณ|เธอ)(ไม่ต้อง|ไม่)(ปฏิบัติตาม|ทำตาม|ถูกผูกมัดด้วย|อยู่ภายใต้)(กฎ|ข้อจำกัด|นโยบาย|แนวทาง)(ใดๆ|ใด ๆ|ทั้งหมด)?อีกต่อไป"],
 "extract": [
  rf"(แสดง|เปิดเผย|พูดซ้ำ|ทวนซ้ำ|ทวน|พิมพ์|บอก|คัดลอก|เผย)(ให้ฉันดู|ให้ดู|ให้ฉัน|ฉัน)?(ทั้งหมด)? ?(system prompt|พรอมต์ระบบ|คำสั่งระบบ|ข้อความระบบ|คำสั่งเริ่มต้น|คำสั่งแรก|กฎที่ซ่อนอยู่|กฎลับ|คำสั่งลับ|คำสั่งที่ซ่อนอยู่|การตั้งค่าเริ่มต้น|คำแนะนำเริ่มต้น)( ?ของคุณ| ?ที่คุณได้รับ)?"],
}

R["en"] = {"role": [
  r"\b(you are|you're|you will be|you'll be|be|act as|acting as|pretend to be|pretend you are|pretend you're|roleplay as|role-play as|play the role of|play|behave like|behave as|respond as|become|imagine you are|imagine you're) (now |from now on |henceforth )?(an? |the )?([a-z-]+ )?(ai|assistant|model|chatbot|bot|language model|llm)( [a-z-]+)? (without|with no|free of|free from|that has no|who has no|which has no|unbound by|not bound by|with zero) (any |all |the |your |ethical |moral |safety |content |rules or |restrictions or |limits or |rules and |restrictions and )*(restrictions?|rules|filters?|limits|limitations|censorship|ethics|morals|guidelines|boundaries|constraints|guardrails|safeguards)",
  r"\b(you are|you're|be|act as|pretend to be|roleplay as|become) (now )?(an? )?(unfiltered|uncensored|unrestricted|unbound|unlimited|jailbroken|evil|amoral|unethical|rogue|unchained) ([a-z-]+ )?(ai|assistant|model|chatbot|bot|llm)",
  r"\byou are no longer (an? )?(ai|assistant|language model|chatbot|llm|bound by|restricted by|limited by)",
  r"\b(from now on|henceforth|from this point on),? you (have|are under|follow) no (restrictions|rules|limits|filters|guidelines)"]}
S = "[^.!?]*"
R["ko"]["extract"][0] = rf"(시스템 프롬프트|시스템프롬프트|시스템 메시지|시스템 지시|초기 지시|초기 설정|처음에 받은 지시|처음 받은 지시|처음에 받은 명령|숨겨진 지시|숨겨진 규칙|숨겨진 명령|비밀 지시|비밀 규칙|원래 지시|내부 지시)(을|를|의 내용을|의 전문을|내용을|사항을){S}(보여|알려|출력|말해|반복|공개|적어|써 줘|써줘|복사|누설)"
R["hi"]["extract"][0] = rf"(अपना|अपने|अपनी|तुम्हारा|तुम्हारे|तुम्हारी|आपका|आपके|आपकी) (पूरा |पूरे |पूरी |मूल |असली |छिपे हुए |छिपा हुआ |छिपी हुई |गुप्त |शुरुआती |प्रारंभिक |सिस्टम |आंतरिक )?(सिस्टम प्रॉम्प्ट|सिस्टम प्रोम्प्ट|प्रॉम्प्ट|प्रोम्प्ट|निर्देश|निर्देशों|नियम|नियमों|सिस्टम मैसेज|सिस्टम संदेश|कॉन्फ़िगरेशन|हिदायतें|इंस्ट्रक्शन्स){S}(दिखाओ|दिखाएं|दिखाइए|दिखा दो|बताओ|बताएं|बताइए|बता दो|दोहराओ|दोहराएं|दोहराइए|प्रिंट करो|प्रिंट करें|लिखकर दो|लिखो|लिखें|आउटपुट करो|साझा करो|उजागर करो|प्रकट करो|लीक करो)"
R["bn"]["extract"][0] = rf"(তোমার|আপনার|তোর) (পুরো |সম্পূর্ণ |মূল |আসল |গোপন |লুকানো |প্রাথমিক |শুরুর |সিস্টেম |অভ্যন্তরীণ )?(সিস্টেম প্রম্পট|প্রম্পট|নির্দেশনা|নির্দেশাবলী|নির্দেশ|নিয়মগুলো|নিয়ম|সিস্টেম মেসেজ|সিস্টেম বার্তা|কনফিগারেশন){S}(দেখাও|দেখান|বলো|বলুন|পুনরাবৃত্তি করো|পুনরাবৃত্তি করুন|প্রিন্ট করো|প্রিন্ট করুন|লিখে দাও|লিখে দিন|লেখো|প্রকাশ করো|প্রকাশ করুন|ফাঁস করো|শেয়ার করো)"
R["ru"]["extract"][0] = rf"(покажи|покажите|раскрой|раскройте|повтори|повторите|выведи|выведите|напиши|напишите|распечатай|процитируй|скажи|скажите|перечисли|выдай|сообщи|открой|озвучь|скопируй|перепиши|огласи){S}(свой|твой|ваш|свои|твои|ваши|свою|твою) (полный |исходный |исходные |изначальный |изначальные |первоначальные |начальные |скрытые |скрытый |секретные |секретный |тайные |внутренние |системные |системный |системную )?(системный промпт|системный запрос|системное сообщение|системную инструкцию|системные инструкции|промпт|инструкции|правила|указания|настройки|установки|директивы)"
R["uk"]["extract"][0] = rf"(покажи|покажіть|розкрий|розкрийте|повтори|повторіть|виведи|виведіть|напиши|напишіть|роздрукуй|процитуй|скажи|скажіть|перелічи|видай|повідом|відкрий|озвуч|скопіюй|перепиши){S}(свій|твій|ваш|свої|твої|ваші|свою|твою) (повний |початковий |початкові |вихідні |первісні |приховані |прихований |секретні |секретний |таємні |внутрішні |системні |системний |системну )?(системний промпт|системний запит|системне повідомлення|системну інструкцію|системні інструкції|промпт|інструкції|правила|вказівки|налаштування|установки|директиви)"
R["ru"]["role"][0] = rf"(ты|вы|теперь ты|отныне ты|притворись,? что ты|представь,? что ты|веди себя как|ведите себя как|действуй как|действуй в роли|играй роль|сыграй роль|стань|будь|притворись) {S}(ии|ai|ассистент|ассистентом|ассистента|модель|моделью|модели|чат-бот|чат-ботом|бот|ботом|нейросеть|нейросетью|нейросети|искусственный интеллект|искусственным интеллектом|помощник|помощником|помощника) (без|свободный от|свободная от|у которого нет|у которой нет|не имеющий) {S}(ограничений|правил|фильтров|цензуры|запретов|рамок|границ|этики|морали|лимитов)"
R["uk"]["role"][0] = rf"(ти|ви|тепер ти|відтепер ти|уяви,? що ти|уявіть,? що ви|прикинься,? що ти|поводься як|поводьтеся як|дій як|дій у ролі|грай роль|зіграй роль|стань|будь|прикинься|з цього моменту ти) {S}(ші|ai|асистент|асистентом|асистента|модель|моделлю|моделі|чат-бот|чат-ботом|бот|ботом|нейромережа|нейромережею|штучний інтелект|штучним інтелектом|помічник|помічником) (без|вільний від|вільна від|у якого немає|у якої немає) {S}(обмежень|правил|фільтрів|цензури|заборон|рамок|меж|етики|моралі|лімітів)"

R["ko"]["override"][0] = rf"(이전의 모든|이전의|이전|앞의 모든|앞의|앞선|위의 모든|위의|위|지금까지의 모든|지금까지의|지금까지|기존의 모든|기존의|기존|모든|원래의|원래|처음의|처음|초기|시스템|너에게 주어진|당신에게 주어진|주어진|받은) {KN}(을|를|은|는|도|들을|들은) {KV}|(이전의 모든|이전의|이전|앞의 모든|앞의|앞선|위의 모든|위의|위|지금까지의 모든|지금까지의|지금까지|기존의 모든|기존의|기존|모든|원래의|원래|처음의|처음|초기|시스템|너에게 주어진|당신에게 주어진|주어진|받은) {KN}(을|를|은|는|도|들을|들은) (모두|전부|다|싹|완전히|전부 다) {KV}"
R["hi"]["role"][0] = R["hi"]["role"][0].replace("(तुम|आप|तू) ", "(तुम|आप) ")

NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "pt": "Portuguese", "it": "Italian", "nl": "Dutch",
         "pl": "Polish", "ru": "Russian", "uk": "Ukrainian", "tr": "Turkish", "vi": "Vietnamese", "id": "Indonesian",
         "zh": "Chinese (Simplified and Traditional)", "ja": "Japanese", "ko": "Korean", "hi": "Hindi", "bn": "Bengali",
         "ur": "Urdu", "ar": "Arabic", "fa": "Persian", "th": "Thai"}
KIND = {
 "override": ("injection.override.{}", "injection", "high",
              "Instruction override in {}: a verb of ignoring/forgetting with the previous, above or system instructions as its object."),
 "role": ("injection.role_change.{}", "injection", "medium",
          "Role change in {}: you are now / act as / pretend to be an AI without rules, restrictions or filters; you are no longer an AI or bound by rules."),
 "extract": ("prompt_leak.extract.{}", "prompt_extraction", "medium",
             "System-prompt extraction in {}: show/repeat/print your system prompt, initial or hidden instructions."),
}

def fold_all(patterns):
    out = subprocess.run([FOLD], input="\n".join(patterns) + "\n", capture_output=True, text=True, check=True).stdout
    lines = out.split("\n")[:len(patterns)]
    assert len(lines) == len(patterns)
    return lines

def nowild(p):
    """Optional wildcard words ("([a-z-]+ )?") multiply the database once start-of-match tracking is on."""
    return re.sub(r"\(\[[^\]]*\]\+ \)\?|\( \[[^\]]*\]\+\)\?|\(\[\^ \]\+ \)\?|\( \[\^ [^\]]*\]\+\)\?", "", p)

LATIN = {"en", "de", "fr", "es", "pt", "it", "nl", "pl", "tr", "vi", "id"}

def unloop(p, twice=True):
    p = re.sub(r"(\((?:[^()|]*\|)*[^()|]*\))\*", r"\1?\1?" if twice else r"\1?", p)
    return re.sub(r"(\((?:[^()|]*\|)*[^()|]*\))\+", r"\1\1?", p)

def group_end(p, i):
    """Index after the group opening at p[i] == '('."""
    depth, j = 0, i
    while j < len(p):
        c = p[j]
        if c == "\\": j += 2; continue
        if c == "[":
            j += 1
            if j < len(p) and p[j] == "^": j += 1
            if j < len(p) and p[j] == "]": j += 1
            while p[j] != "]":
                j += 2 if p[j] == "\\" else 1
            j += 1; continue
        if c == "(": depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0: return j + 1
        j += 1
    raise ValueError(p)

def trim(p):
    """Optional groups at either end only move a match's edges, never decide it: dropped (they make
    start-of-match tracking expensive)."""
    changed = True
    while changed:
        changed = False
        lead = "\\b" if p.startswith("\\b") else ""
        body = p[len(lead):]
        if body.startswith("("):
            e = group_end(body, 0)
            if e < len(body) and body[e] == "?":
                p = lead + body[e + 1:]; changed = True; continue
        # trailing: find the group that ends right before a final '?'
        if p.endswith(")?"):
            for i in range(len(p) - 2, -1, -1):
                if p[i] == "(" and (i == 0 or p[i - 1] != "\\"):
                    try:
                        if group_end(p, i) == len(p) - 1:
                            p = p[:i]; changed = True
                            break
                    except Exception:
                        pass
    return p

def post(lang, intent, folded):
    folded = [trim(nowild(unloop(p, lang in LATIN))) for p in folded]
    return folded

def build_rules():
    rules = {k: [] for k in KIND}
    for lang, intents in R.items():
        for intent, patterns in intents.items():
            idf, cat, sev, desc = KIND[intent]
            rules[intent].append({"id": idf.format(lang), "category": cat, "severity": sev,
                                  "description": desc.format(NAMES[lang]), "patterns": post(lang, intent, fold_all(patterns))})
    return rules

def dump_rule(r):
    head = "    {" + f'"id": {json.dumps(r["id"], ensure_ascii=False)}, "category": {json.dumps(r["category"])}, "severity": {json.dumps(r["severity"])},'
    lines = [head, f'     "description": {json.dumps(r["description"], ensure_ascii=False)},', '     "patterns": [']
    lines.append(",\n".join("       " + json.dumps(p, ensure_ascii=False) for p in r["patterns"]))
    lines.append("     ]}")
    return "\n".join(lines)

def main(src, dst):
    doc = json.load(open(src, encoding="utf-8"))
    new = build_rules()
    out_rules = []
    for r in doc["rules"]:
        generated = {g["id"] for k in new for g in new[k]}
        if r["id"] == "injection.override.multilingual" or r["id"] in generated:
            continue
        out_rules.append(r)
        if r["id"] == "injection.override.en": out_rules += new["override"]
        if r["id"] == "injection.role_reassignment": out_rules += new["role"]
        if r["id"] == "leak.system_prompt_request": out_rules += new["extract"]
    text = "{\n" + f'  "schema": {json.dumps(doc["schema"])},\n  "about": {json.dumps(doc["about"], ensure_ascii=False)},\n  "rules": [\n'
    text += ",\n".join(dump_rule(r) for r in out_rules) + "\n  ]\n}\n"
    json.loads(text)
    open(dst, "w", encoding="utf-8").write(text)

if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    FOLD = sys.argv[1]
    main(sys.argv[2], sys.argv[3])
