"""A Python mirror of src/guard/suffix/suffix_detector.cpp's scoring, used to tune its constants on the train
split (scripts/guard/eval_suffix.py tune). The figures in docs/guard.md come from the C++ detector itself."""
import re

import numpy as np

import train_suffix_lm as lm

WINDOW = 24
CASE_HUMP = 3 * lm.SCALE
SPIKE = 8 * lm.SCALE  # a punctuation or symbol byte this costly is an anomaly
MIN_ANOMALIES = 2  # a window needs two (costly symbols or case humps): names and foreign words have few  # extra cost of an upper-case letter right after a lower-case one ("similarlyNow")

# Case-sensitive: prose starts with "Create", "Select", "Update"; code keywords are lower case (SQL upper).
CODE_WORDS = [b"def", b"class", b"import", b"from", b"return", b"const", b"let", b"var", b"function", b"public",
              b"private", b"protected", b"static", b"elif", b"else", b"try", b"except", b"async", b"await", b"package",
              b"using", b"namespace", b"template", b"struct", b"enum", b"fn", b"impl", b"pub", b"echo", b"sudo", b"cd",
              b"ls", b"git", b"pip", b"npm", b"SELECT", b"INSERT", b"UPDATE", b"DELETE", b"CREATE", b"GROUP", b"ORDER", b"WHERE",
              b"FROM", b"JOIN", b"HAVING", b"LIMIT", b"VALUES", b"ALTER", b"DROP"]
EMOTICONS = frozenset([b":)", b":-)", b":(", b":-(", b";)", b";-)", b":D", b":-D", b":P", b":-P", b":p", b":-p", b"<3",
                       b"xD", b"XD", b":/", b":-/", b":'(", b"^^", b"^_^", b"o_O", b"O_o", b"-_-", b":O", b":o", b":3",
                       b"=)", b"(:", b"):"])
HEADERS = [b"From:", b"To:", b"Cc:", b"CC:", b"Bcc:", b"Subject:", b"Date:", b"Sent:", b"Reply-To:"]
CODE_PREFIXES = [b"#include", b"#define", b"#!", b"//", b"/*"]
BLOB_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-")
ID_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-")
PATH_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.~%+-")
WORD_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$")
OPTION = re.compile(rb"^--?[A-Za-z][\w-]*(=\S*)?$")
MAX_INLINE = 80
MAX_LATEX = 200
MAX_LATEX_NAME = 32


def spans(line):
    """Inline code `...` and maths $...$ (1 to 80 bytes inside), and LaTeX \\begin{..}...\\end{..},
    \\[...\\], \\(...\\) (up to 200 bytes): [begin, end) byte ranges, left to right, not overlapping."""
    out = []
    i = 0
    n = len(line)
    while i < n:
        c = line[i:i + 1]
        if c in (b"`", b"$"):
            close = line.find(c, i + 1, i + MAX_INLINE + 2)
            if close != -1 and close > i + 1:
                out.append((i, close + 1))
                i = close + 1
                continue
        elif c == b"\\":
            for opener, closer in ((b"\\begin{", b"\\end{"), (b"\\[", b"\\]"), (b"\\(", b"\\)")):
                if line.startswith(opener, i):
                    close = line.find(closer, i + len(opener), i + MAX_LATEX + len(closer))
                    if close != -1:
                        end = close + len(closer)
                        if opener == b"\\begin{":
                            brace = line.find(b"}", end, end + MAX_LATEX_NAME)
                            if brace != -1:
                                end = brace + 1
                        out.append((i, end))
                        i = end - 1
                    break
        i += 1
    return out


def code_start(t):
    if any(t.startswith(p) for p in CODE_PREFIXES):
        return True
    for w in CODE_WORDS:
        if t.startswith(w) and (len(t) == len(w) or t[len(w)] in b" \t(:"):
            return True
    return False


def is_path(tok):
    if len(tok) >= 2 and tok[1:2] == b":" and tok[:1].isalpha():
        tok = tok[2:]
    if not tok or any(c not in PATH_CHARS and c not in b"/\\" for c in tok):
        return False
    return len([s for s in re.split(rb"[/\\]", tok) if s]) >= 2


def is_relative(tok):
    for p in (b"../", b"./", b"~/", b"/"):
        if tok.startswith(p):
            return len(tok) > len(p) and tok[len(p)] in PATH_CHARS
    return False


MATH_CHARS = frozenset(b"0123456789^_{}()+-*/=<>.,|\\")


def is_math(tok):
    """x^2, _0^{57}, 47x), 3x+1=7: digits, operators and one- or two-letter variables."""
    if len(tok) < 4:  # "B2", "^{", "x^2": short enough for the model to judge
        return False
    letters = 0
    command = False  # inside a LaTeX command name (\\int, \\frac): not a variable
    previous = 0
    for c in tok:
        if 65 <= c <= 90 or 97 <= c <= 122:
            command = command or previous == 0x5C
            if not command:
                letters += 1
                if letters > 2:
                    return False
        elif c in MATH_CHARS:
            letters = 0
            command = False
        else:
            return False
        previous = c
    return any(48 <= c <= 57 or c in b"^=" for c in tok)


CAMEL = re.compile(rb"^[A-Za-z][a-z]+([A-Z][a-z]+){2,}[0-9]*$")


def is_identifier(tok):
    """An identifier chain (a.b, a::b), snake_case, or a call (f(...)): code, not prose."""
    cut = min([i for i in (tok.find(b"("), tok.find(b"[")) if i >= 0], default=-1)
    head, paren, rest = (tok, b"", b"") if cut < 0 else (tok[:cut], tok[cut:cut + 1], tok[cut + 1:])
    if not head or not (head[:1].isalpha() or head[:1] in b"_$"):
        return False
    segments = [s for s in re.split(rb"[.:]+", head)]
    if any(not s or not (s[:1].isalpha() or s[:1] in b"_$") or any(c not in WORD_CHARS for c in s) for s in segments):
        return False
    if len(segments) >= 2 or CAMEL.match(head):  # a.b, or CamelCaseNames of three words or more
        return True
    if re.search(rb"[A-Za-z0-9]_[A-Za-z0-9]", head) or b"__" in head:
        return True
    return bool(paren) and (not rest or rest[0] in WORD_CHARS or rest[:1] in b"\"')")


CODE_MARKERS = [b"();", b"){", b") {", b"::", b"->", b"=>", b" = ", b" == ", b"&&", b"||", b"++", b"+=", b"return ",
                b"self.", b"this.", b"print(", b"[i]", b"!= "]
STRIP = b".,;:!?'\"()[]{}<>*"


def accented_line(t):
    """A line where a quarter or more of the words carry non-ASCII letters is another language than the
    model's (French, German, Turkish...): its unaccented words are improbable for a good reason too."""
    tokens = t.split()
    return bool(tokens) and 4 * sum(1 for w in tokens if any(c >= 0x80 for c in w)) >= len(tokens)


def line_gated(line, in_fence):
    t = line.strip()
    if t.startswith(b"```"):
        return True, not in_fence
    if in_fence:
        return True, in_fence
    if not t:
        return False, in_fence
    gated = (line.startswith(b"  ") or line.startswith(b"\t")  # indented: code, or a nested list item
             or t.count(b'":') >= 2  # JSON
             or (sum(t.count(m) for m in CODE_MARKERS) >= 2 and t[-1:] in b";{}),:")
             or t.startswith(b"|") or t.count(b" | ") >= 2  # tables
             or (t[:1] in b'{["' and b'":' in t)
             or (t.startswith(b"<") and b">" in t)  # markup
             or (t[:1] == b"\\" and t[1:2].isalpha())  # LaTeX commands
             or accented_line(t)
             or code_start(t)
             or any(t.startswith(h) for h in HEADERS)
             or not any(65 <= c <= 90 or 97 <= c <= 122 or c >= 128 for c in t))  # rules, separators, numbers
    return gated, in_fence


def token_gated(tok):
    if any(b >= 0x80 for b in tok):
        return True
    if OPTION.match(tok) or tok in EMOTICONS:
        return True
    tok = tok.strip(STRIP)
    if not tok:
        return False
    if b"://" in tok or tok.lower().startswith(b"www."):
        return True
    at = tok.find(b"@")
    if 0 < at < len(tok) - 1:  # user@host, @handles inside a token
        return True
    if is_path(tok) or is_relative(tok):
        return True
    # base64 and hex: a long run of their alphabet with a digit, '+' or '/' (glued words have none)
    if len(tok) >= 16 and all(c in BLOB_CHARS for c in tok) and any(48 <= c <= 57 or c in b"+/" for c in tok):
        return True
    if (len(tok) >= 8 and all(c in ID_CHARS for c in tok) and any(48 <= c <= 57 for c in tok)
            and any(c in PATH_CHARS and chr(c).isalpha() for c in tok)):
        return True
    if len(tok) >= 3 and len(set(tok)) == 1:
        return True
    if is_math(tok):
        return True
    return is_identifier(tok)


def score(text, table):
    """(max window mean in bits per byte, run begin, run end) or (0, 0, 0)."""
    b = text.encode("utf-8")
    n = len(b)
    if n < WINDOW:
        return 0.0, 0, 0
    arr = np.frombuffer(b, dtype=np.uint8)
    s = lm.SYMBOLS[arr]
    padded = np.concatenate([np.full(3, lm.SPACE, dtype=np.int64), s])
    ctx = (padded[0:n] * lm.ALPHABET + padded[1:n + 1]) * lm.ALPHABET + padded[2:n + 2]
    cost = table[ctx * lm.ALPHABET + s].astype(np.int64)
    upper = (arr >= 65) & (arr <= 90)
    lower = (arr >= 97) & (arr <= 122)
    hump = np.zeros(n, dtype=bool)
    hump[1:] = upper[1:] & lower[:-1]
    cost += hump * CASE_HUMP
    gated = np.zeros(n, dtype=bool)
    pos = 0
    in_fence = False
    for line in b.split(b"\n"):
        g, in_fence = line_gated(line, in_fence)
        if g:
            gated[pos:pos + len(line)] = True
        else:
            for m in re.finditer(rb"\S+", line):
                if token_gated(m.group()):
                    gated[pos + m.start():pos + m.end()] = True
            for begin, end in spans(line):  # inline code and inline maths
                gated[pos + begin:pos + end] = True
        pos += len(line) + 1
    # Punctuation at a word's edge ("brief.", "'their'") is prose; elsewhere ("](", "**", "! !") it is not.
    alnum = (s <= 25) | (s == 27)
    edge = np.concatenate([[True], s[:-1] == lm.SPACE]), np.concatenate([s[1:] == lm.SPACE, [True]])
    before_alnum = np.concatenate([[False], alnum[:-1]])
    after_alnum = np.concatenate([alnum[1:], [False]])
    natural = (edge[0] & after_alnum) | (before_alnum & edge[1])
    anomalies = hump | ((s >= 28) & (s <= 34) & (cost >= SPIKE) & ~natural)
    asum = np.concatenate([[0], np.cumsum(anomalies)])
    csum = np.concatenate([[0], np.cumsum(cost)])
    gsum = np.concatenate([[0], np.cumsum(gated)])
    sums = csum[WINDOW:] - csum[:-WINDOW]
    ok = ((gsum[WINDOW:] - gsum[:-WINDOW]) == 0) & ((asum[WINDOW:] - asum[:-WINDOW]) >= MIN_ANOMALIES)
    if not ok.any():
        return 0.0, 0, 0
    means = np.where(ok, sums, 0) / (WINDOW * lm.SCALE)
    i = int(np.argmax(means))
    return float(means[i]), i, i + WINDOW
