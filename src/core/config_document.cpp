// Configuration text -> one JSON document with a map from key paths to line numbers (config_document.h).
#include "modelguard/core/config_document.h"

#include <yaml-cpp/yaml.h>

#include <toml++/toml.h>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace modelguard {
namespace {

using Lines = std::map<std::string, int>;

struct ConfigError : std::runtime_error {
  ConfigError(std::string key_path, const std::string& message)
      : std::runtime_error(message), key(std::move(key_path)) {}
  std::string key;
};

// Aliases can make a small YAML file expand into a huge tree ("billion laughs"); the conversion stops here.
constexpr size_t kMaxNodes = 200000;
constexpr int kMaxDepth = 64;

// YAML 1.2 core schema numbers: [-+]digits, optionally .digits and an exponent.
bool LooksNumeric(const std::string& text, bool& integer) {
  size_t i = text[0] == '-' || text[0] == '+' ? 1 : 0;
  size_t digits = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  integer = i == text.size() && digits > 0;
  if (integer) return true;
  if (i < text.size() && text[i] == '.') {
    ++i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    size_t exponent = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i, ++exponent;
    if (exponent == 0) return false;
  }
  return i == text.size();
}

nlohmann::json PlainScalar(const std::string& text) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  bool integer = false;
  try {
    if (LooksNumeric(text, integer))
      return integer ? nlohmann::json(std::stoll(text)) : nlohmann::json(std::stod(text));
  } catch (const std::out_of_range&) {
    // too large for a number: keep the text
  }
  return text;
}

nlohmann::json FromYaml(const YAML::Node& node, const std::string& path, Lines& lines, size_t& nodes, int depth) {
  if (++nodes > kMaxNodes)
    throw ConfigError(path, "the document expands to more than " + std::to_string(kMaxNodes) + " nodes");
  if (depth > kMaxDepth) throw ConfigError(path, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
  if (!lines.count(path)) lines[path] = node.Mark().line + 1;
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      // Quoted scalars are strings whatever they look like ("8080", "true").
      return node.Tag() == "!" ? nlohmann::json(node.Scalar()) : PlainScalar(node.Scalar());
    case YAML::NodeType::Sequence: {
      nlohmann::json out = nlohmann::json::array();
      size_t i = 0;
      for (const auto& item : node)
        out.push_back(FromYaml(item, path + "[" + std::to_string(i++) + "]", lines, nodes, depth + 1));
      return out;
    }
    case YAML::NodeType::Map: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& item : node) {
        if (!item.first.IsScalar()) throw ConfigError(path, "mapping keys must be plain names");
        const std::string key = item.first.Scalar();
        const std::string child = path.empty() ? key : path + "." + key;
        if (out.contains(key)) throw ConfigError(child, "the key appears twice");
        lines[child] = item.first.Mark().line + 1;
        out[key] = FromYaml(item.second, child, lines, nodes, depth + 1);
      }
      return out;
    }
  }
  return nullptr;
}

// TOML has no aliases, so the document is never larger than the file; depth is still capped for the
// recursion. Dates and times become their TOML text: no setting takes one.
nlohmann::json FromToml(const toml::node& node, const std::string& path, Lines& lines, int depth) {
  if (depth > kMaxDepth) throw ConfigError(path, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
  if (!lines.count(path) && node.source().begin.line > 0) lines[path] = static_cast<int>(node.source().begin.line);
  if (const auto* table = node.as_table()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, value] : *table) {
      const std::string name(key.str());
      const std::string child = path.empty() ? name : path + "." + name;
      if (key.source().begin.line > 0) lines[child] = static_cast<int>(key.source().begin.line);
      out[name] = FromToml(value, child, lines, depth + 1);
    }
    return out;
  }
  if (const auto* array = node.as_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 0; i < array->size(); ++i)
      out.push_back(FromToml(*array->get(i), path + "[" + std::to_string(i) + "]", lines, depth + 1));
    return out;
  }
  if (const auto* text = node.as_string()) return text->get();
  if (const auto* integer = node.as_integer()) return integer->get();
  if (const auto* boolean = node.as_boolean()) return boolean->get();
  if (const auto* real = node.as_floating_point()) {
    if (!std::isfinite(real->get())) throw ConfigError(path, "a finite number is expected");
    return real->get();
  }
  std::ostringstream text;
  if (const auto* date = node.as_date())
    text << *date;
  else if (const auto* time = node.as_time())
    text << *time;
  else if (const auto* stamp = node.as_date_time())
    text << *stamp;
  return text.str();
}

// nlohmann::json keeps no source positions, so JSON files are read a second time by this SAX handler, which
// records the line of every key and array item (and refuses a key given twice, as YAML does). The line
// comes from CountingIterator: the parser calls key() right after reading the key's closing quote.
class CountingIterator {
 public:
  using iterator_category = std::forward_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;
  CountingIterator() = default;
  CountingIterator(const char* at, int* line) : at_(at), line_(line) {}
  reference operator*() const { return *at_; }
  CountingIterator& operator++() {
    if (*at_ == '\n') ++*line_;
    ++at_;
    return *this;
  }
  CountingIterator operator++(int) {
    CountingIterator before = *this;
    ++*this;
    return before;
  }
  bool operator==(const CountingIterator& other) const { return at_ == other.at_; }
  bool operator!=(const CountingIterator& other) const { return at_ != other.at_; }

 private:
  const char* at_ = nullptr;
  int* line_ = nullptr;
};

class JsonLines final : public nlohmann::json_sax<nlohmann::json> {
 public:
  JsonLines(Lines& lines, const int& line) : lines_(lines), line_(line) {}
  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override { return Open(false); }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(true); }
  bool end_array() override { return Close(); }
  bool key(string_t& name) override {
    Frame& frame = frames_.back();
    frame.child = frame.path.empty() ? name : frame.path + "." + name;
    lines_[frame.child] = line_;
    if (!frame.keys.insert(name).second) {
      duplicate_ = frame.child;
      return false;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }
  const std::string& duplicate() const { return duplicate_; }

 private:
  struct Frame {
    bool array = false;
    std::string path;
    size_t index = 0;
    std::string child;  // objects: the path of the value after the last key
    std::set<std::string> keys;
  };
  // The path of the value starting now; array items get their line here.
  std::string Next() {
    if (frames_.empty()) return "";
    Frame& frame = frames_.back();
    if (!frame.array) return frame.child;
    std::string path = frame.path + "[" + std::to_string(frame.index++) + "]";
    if (!lines_.count(path)) lines_[path] = line_;
    return path;
  }
  bool Value() {
    Next();
    return true;
  }
  bool Open(bool array) {
    Frame frame;
    frame.array = array;
    frame.path = Next();
    frames_.push_back(std::move(frame));
    return true;
  }
  bool Close() {
    frames_.pop_back();
    return true;
  }
  Lines& lines_;
  const int& line_;
  std::vector<Frame> frames_;
  std::string duplicate_;
};

nlohmann::json FromJson(const std::string& text, Lines& lines) {
  nlohmann::json doc = nlohmann::json::parse(text);  // syntax errors come from here, with their offset
  int line = 1;
  JsonLines sax(lines, line);
  nlohmann::json::sax_parse(CountingIterator(text.data(), &line), CountingIterator(text.data() + text.size(), &line),
                            &sax);
  if (!sax.duplicate().empty()) throw ConfigError(sax.duplicate(), "the key appears twice");
  return doc;
}

}  // namespace

std::string ConfigDocument::Where(const std::string& key_path) const {
  std::string probe = key_path;
  while (!probe.empty() && !lines.count(probe)) {
    const auto cut = probe.find_last_of(".[");
    probe = cut == std::string::npos ? "" : probe.substr(0, cut);
  }
  std::string out = file;
  if (!probe.empty()) out += ":" + std::to_string(lines.at(probe));
  return out + ": " + (key_path.empty() ? "" : key_path + ": ");
}

Result<ConfigDocument> ParseConfigDocument(const std::string& text, const std::string& file) {
  ConfigDocument out;
  out.file = file;
  const bool yaml = file.ends_with(".yaml") || file.ends_with(".yml");
  const bool toml_file = file.ends_with(".toml");
  try {
    if (yaml) {
      size_t nodes = 0;
      out.doc = FromYaml(YAML::Load(text), "", out.lines, nodes, 0);
    } else if (toml_file) {
      out.doc = FromToml(toml::parse(text, file), "", out.lines, 0);
    } else {
      out.doc = FromJson(text, out.lines);
    }
  } catch (const YAML::Exception& e) {
    return MakeError(ErrorCode::kParse, file + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  } catch (const toml::parse_error& e) {
    return MakeError(ErrorCode::kParse, file + ":" + std::to_string(e.source().begin.line) + ":" +
                                            std::to_string(e.source().begin.column) + ": " +
                                            std::string(e.description()));
  } catch (const nlohmann::json::exception& e) {  // syntax, and numbers out of range (1e400)
    return MakeError(ErrorCode::kParse, file + ": " + e.what());
  } catch (const ConfigError& e) {
    return MakeError(ErrorCode::kParse, out.Where(e.key) + e.what());
  }
  return out;
}

}  // namespace modelguard
