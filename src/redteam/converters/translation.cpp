// Translation tables: the payload word by word into French, Spanish or German, from a small vocabulary of the
// words injections use (words outside it stay as written, as do placeholders' values like markers). Crude
// on purpose: it tests whether a model or a filter tuned on English still recognises the instruction, not
// whether the grammar is right. Lossy.
#include <array>
#include <cctype>

#include "src/redteam/converters/converters.h"

namespace modelguard::redteam::converters {
namespace {

struct Entry {
  std::string_view en, fr, es, de;
};

// clang-format off
constexpr std::array<Entry, 40> kWords{{
    {"ignore", "ignore", "ignora", "ignoriere"},
    {"disregard", "oublie", "olvida", "vergiss"},
    {"all", "toutes", "todas", "alle"},
    {"previous", "précédentes", "anteriores", "vorherigen"},
    {"prior", "précédentes", "anteriores", "früheren"},
    {"above", "ci-dessus", "anteriores", "obigen"},
    {"earlier", "antérieures", "previas", "früheren"},
    {"instructions", "instructions", "instrucciones", "Anweisungen"},
    {"rules", "règles", "reglas", "Regeln"},
    {"and", "et", "y", "und"},
    {"say", "dis", "di", "sage"},
    {"print", "affiche", "imprime", "gib"},
    {"output", "écris", "escribe", "schreibe"},
    {"reply", "réponds", "responde", "antworte"},
    {"answer", "réponds", "responde", "antworte"},
    {"with", "avec", "con", "mit"},
    {"only", "seulement", "solo", "nur"},
    {"exactly", "exactement", "exactamente", "genau"},
    {"the", "le", "el", "den"},
    {"your", "ton", "tu", "deinen"},
    {"you", "tu", "tú", "du"},
    {"are", "es", "eres", "bist"},
    {"now", "maintenant", "ahora", "jetzt"},
    {"from", "à partir de", "desde", "ab"},
    {"system", "système", "sistema", "System"},
    {"prompt", "prompt", "prompt", "Prompt"},
    {"repeat", "répète", "repite", "wiederhole"},
    {"text", "texte", "texto", "Text"},
    {"tell", "dis", "dime", "sag"},
    {"me", "moi", "me", "mir"},
    {"what", "quel", "cuál", "was"},
    {"is", "est", "es", "ist"},
    {"new", "nouvelle", "nueva", "neue"},
    {"task", "tâche", "tarea", "Aufgabe"},
    {"follow", "suis", "sigue", "befolge"},
    {"do", "fais", "haz", "tu"},
    {"not", "pas", "no", "nicht"},
    {"reveal", "révèle", "revela", "verrate"},
    {"secret", "secret", "secreto", "Geheimnis"},
    {"password", "mot de passe", "contraseña", "Passwort"},
}};
// clang-format on

template <std::string_view Entry::*kLanguage>
std::string Translate(std::string_view text) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (!std::isalpha(static_cast<unsigned char>(text[i]))) {
      out.push_back(text[i++]);
      continue;
    }
    size_t j = i;
    while (j < text.size() && std::isalpha(static_cast<unsigned char>(text[j]))) ++j;
    const std::string_view word = text.substr(i, j - i);
    std::string lower(word);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view replacement = word;
    for (const Entry& entry : kWords) {
      if (entry.en == lower) {
        replacement = entry.*kLanguage;
        break;
      }
    }
    // A capitalised English word starts a sentence: keep the capital where the translation is ASCII.
    std::string translated(replacement);
    if (replacement != word && std::isupper(static_cast<unsigned char>(word[0])) &&
        std::islower(static_cast<unsigned char>(translated[0]))) {
      translated[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(translated[0])));
    }
    out += translated;
    i = j;
  }
  return out;
}

}  // namespace

const ConverterDescriptor& TranslateFrench() {
  static const ConverterDescriptor kDescriptor{"translate_fr", "the payload word by word into French (a small table)",
                                               "", Translate<&Entry::fr>, nullptr};
  return kDescriptor;
}

const ConverterDescriptor& TranslateSpanish() {
  static const ConverterDescriptor kDescriptor{"translate_es", "the payload word by word into Spanish (a small table)",
                                               "", Translate<&Entry::es>, nullptr};
  return kDescriptor;
}

const ConverterDescriptor& TranslateGerman() {
  static const ConverterDescriptor kDescriptor{"translate_de", "the payload word by word into German (a small table)",
                                               "", Translate<&Entry::de>, nullptr};
  return kDescriptor;
}

}  // namespace modelguard::redteam::converters
