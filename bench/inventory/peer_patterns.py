#!/usr/bin/python3
"""grep -E patterns (one a line) approximating what `inventory discover` looks for, from policies/ai-assets.json:
each SDK module in its language's import syntax, the rules' patterns (those that fit on one line, in POSIX ERE
with GNU's \\b and \\s), and the AI API key shapes of the guard's credential recognisers.

Usage: peer_patterns.py ai-assets.json > patterns.txt
"""
import json
import re
import sys

doc = json.load(open(sys.argv[1]))


def literal(text):
    return re.sub(r"([.\[\]{}()*+?^$|\\])", r"\\\1", text)


def imports(language, module):
    return _imports(language, module).replace("\\t", "\t")  # POSIX brackets have no escapes: a real tab


def _imports(language, module):
    m = literal(module)
    if language == "python":
        return rf"^[ \t]*(from|import)[ \t]+{m}(\.[A-Za-z0-9_.]*)?([ \t,]|$)"
    if language == "javascript":
        return rf"""(\bfrom[ \t]*|\brequire\([ \t]*|\bimport\([ \t]*|^[ \t]*import[ \t]*)["']{m}(/[^"']*)?["']"""
    if language == "go":
        return rf'"{m}(/[^"]*)?"'
    if language == "java":
        return rf"^[ \t]*import[ \t]+(static[ \t]+)?{m}\."
    raise SystemExit(f"unknown language {language}")


def to_ere(pattern):
    """A vectorscan (PCRE) pattern in GNU ERE, or None when it spans lines (grep reads one line at a time)."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "[":  # a bracket expression: POSIX takes backslashes in it literally, so unescape its members
            j = i + 1
            negate = pattern[j] == "^"
            j += negate
            members, dash = [], False
            while pattern[j] != "]":
                if pattern[j] == "\\":
                    e = pattern[j + 1]
                    j += 2
                    if e == "-":
                        dash = True
                    elif e == "d":
                        members.append("0-9")
                    elif e == "t":
                        members.append("\t")
                    elif e not in "nr":  # a line never holds a newline: [^)\n] is [^)]
                        members.append(e)
                else:
                    members.append(pattern[j])
                    j += 1
            out.append("[" + ("^" if negate else "") + "".join(members) + ("-" if dash else "") + "]")
            i = j + 1
            continue
        if c == "\\":
            e = pattern[i + 1]
            i += 2
            if e in "nr":
                return None
            out.append({"d": "[0-9]", "t": "\t"}.get(e, "\\" + e))
            continue
        out.append(c)
        i += 1
    return "".join(out)


patterns = []
for sdk in doc["sdks"]:
    for language, modules in sdk.items():
        if language != "value":
            patterns += [imports(language, module) for module in modules]
for rule in doc["rules"]:
    ere = to_ere(rule["pattern"])
    if ere:
        patterns.append(ere)
for key in doc.get("mcp_json_keys", []):
    patterns.append(f'"{literal(key)}"[[:space:]]*:')
# The AI API key shapes (the guard's OPENAI_KEY, ANTHROPIC_KEY, GOOGLE_API_KEY, HF_TOKEN and GROQ_KEY recognisers).
patterns += [r"sk-[A-Za-z0-9_-]{20,}T3BlbkFJ", r"sk-[A-Za-z0-9]{48}", r"sk-ant-(api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,}",
             r"AIza[0-9A-Za-z_-]{35}", r"hf_[A-Za-z0-9]{34,40}", r"gsk_[A-Za-z0-9]{52}"]
print("\n".join(dict.fromkeys(patterns)))
