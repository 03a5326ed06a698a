// A small Jinja tokenizer, not a regex over the whole text: only code inside {{ }} and {% %} is
// tokenized (identifiers, string literals with their escapes resolved, operators), so literal chat text
// that merely mentions "__class__" is not flagged, while code that assembles a dunder name from pieces
// ("__cla" ~ "ss__", "\x5f\x5fclass\x5f\x5f", |attr, [] subscripts) is.
#include "src/formats/gguf/template_check.h"

#include <algorithm>
#include <cctype>

namespace modelguard::formats::gguf {
namespace {

constexpr size_t kMaxIssues = 16;

struct Token {
  enum Kind { kIdent, kString, kOp } kind;
  std::string text;
};

// Objects jinja2 exposes that lead to Python internals in classic SSTI payloads.
constexpr std::string_view kGadgetGlobals[] = {
    "lipsum", "cycler", "joiner", "namespace", "self", "config", "request", "url_for", "get_flashed_messages", "range"};
constexpr std::string_view kDangerousNames[] = {
    "__import__",   "import",  "os",   "subprocess", "popen",   "system", "eval", "exec",   "builtins",
    "__builtins__", "getattr", "open", "compile",    "globals", "locals", "sys",  "modules"};

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<Token> Tokenize(std::string_view code) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < code.size()) {
    const char c = code[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < code.size() && (std::isalnum(static_cast<unsigned char>(code[j])) || code[j] == '_')) ++j;
      tokens.push_back({Token::kIdent, std::string(code.substr(i, j - i))});
      i = j;
    } else if (c == '\'' || c == '"') {
      std::string value;
      size_t j = i + 1;
      while (j < code.size() && code[j] != c) {
        if (code[j] == '\\' && j + 1 < code.size()) {
          const char e = code[j + 1];
          if (e == 'x' && j + 3 < code.size() && Hex(code[j + 2]) >= 0 && Hex(code[j + 3]) >= 0) {
            value += static_cast<char>(Hex(code[j + 2]) * 16 + Hex(code[j + 3]));
            j += 4;
            continue;
          }
          if (e == 'u' && j + 5 < code.size()) {
            int v = 0;
            bool ok = true;
            for (size_t k = 2; k < 6; ++k) {
              const int h = Hex(code[j + k]);
              ok = ok && h >= 0;
              v = v * 16 + std::max(0, h);
            }
            if (ok && v < 0x80) {
              value += static_cast<char>(v);
              j += 6;
              continue;
            }
          }
          value += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          j += 2;
          continue;
        }
        value += code[j++];
      }
      tokens.push_back({Token::kString, std::move(value)});
      i = j + 1;
    } else {
      tokens.push_back({Token::kOp, std::string(1, c)});
      ++i;
    }
  }
  return tokens;
}

bool IsDunder(std::string_view s) { return s.size() > 4 && s.substr(0, 2) == "__" && s.substr(s.size() - 2) == "__"; }

void Add(std::vector<std::string>& issues, std::string message) {
  if (issues.size() < kMaxIssues && std::find(issues.begin(), issues.end(), message) == issues.end()) {
    issues.push_back(std::move(message));
  }
}

void CheckCode(std::string_view code, std::vector<std::string>& issues) {
  const auto tokens = Tokenize(code);
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& t = tokens[i];
    const bool after_dot = i > 0 && tokens[i - 1].kind == Token::kOp && tokens[i - 1].text == ".";
    if (t.kind == Token::kIdent) {
      if (IsDunder(t.text)) Add(issues, "template reaches Python internals through '" + t.text + "'");
      if (!after_dot) {
        for (auto g : kGadgetGlobals) {
          const bool followed_by_attr = i + 1 < tokens.size() && tokens[i + 1].kind == Token::kOp &&
                                        (tokens[i + 1].text == "." || tokens[i + 1].text == "[");
          if (t.text == g && followed_by_attr && g != "range") {
            Add(issues, "template uses the jinja global '" + t.text + "', a classic SSTI entry point");
          }
        }
      }
      if (after_dot || (i > 0 && tokens[i - 1].text == "|")) {
        for (auto n : kDangerousNames) {
          if (t.text == n) Add(issues, "template accesses '" + t.text + "'");
        }
      }
      if (t.text == "import" && !after_dot) Add(issues, "template contains an import statement");
    } else if (t.kind == Token::kString) {
      // Names assembled from strings: "__class__", pieces "__cla" ~ "ss__", or |attr("__globals__").
      const bool underscored =
          t.text.size() >= 2 && (t.text.rfind("__", 0) == 0 || t.text.compare(t.text.size() - 2, 2, "__") == 0);
      const bool concatenated = (i + 1 < tokens.size() && (tokens[i + 1].text == "~" || tokens[i + 1].text == "+")) ||
                                (i > 0 && (tokens[i - 1].text == "~" || tokens[i - 1].text == "+"));
      if (IsDunder(t.text) || (underscored && concatenated)) {
        Add(issues, "template builds the attribute name '" + t.text + "' from a string");
      }
      for (auto n : {"os", "subprocess", "builtins", "__import__", "popen", "system"}) {
        if (t.text == n && i > 0 && (tokens[i - 1].text == "[" || tokens[i - 1].text == "(")) {
          Add(issues, "template looks up '" + t.text + "' by name");
        }
      }
    }
  }
}

}  // namespace

std::vector<std::string> CheckTemplate(std::string_view source) {
  std::vector<std::string> issues;
  size_t i = 0;
  while (i + 1 < source.size() && issues.size() < kMaxIssues) {
    if (source[i] == '{' && (source[i + 1] == '{' || source[i + 1] == '%')) {
      const std::string_view close = source[i + 1] == '{' ? "}}" : "%}";
      size_t end = source.find(close, i + 2);
      if (end == std::string_view::npos) end = source.size();
      CheckCode(source.substr(i + 2, end - i - 2), issues);
      i = end + 2;
    } else if (source[i] == '{' && source[i + 1] == '#') {  // comment
      const size_t end = source.find("#}", i + 2);
      i = end == std::string_view::npos ? source.size() : end + 2;
    } else {
      ++i;
    }
  }
  return issues;
}

}  // namespace modelguard::formats::gguf
