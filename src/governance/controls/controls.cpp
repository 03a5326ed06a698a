// The control mapping (controls.h): parsing and checking a controls file, the built-in one, and the lookups.
// A controls file is data users edit, so every mistake is an error that names the entry at fault, and
// nothing in here throws: types are checked before values are read.
#include "modelguard/governance/controls.h"

#include <algorithm>
#include <exception>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "modelguard/core/json_fields.h"

namespace modelguard::governance {
namespace {

// The built-in file as a raw string literal (policies/controls.json, embedded by CMake).
constexpr std::string_view kEmbeddedControls =
#include "controls.inc"
    ;

// A controls file is a few hundred entries; these bound what a hostile one can make us build.
constexpr JsonLimits kControlsJsonLimits{.max_values = uint64_t{1} << 20, .max_depth = 16};
// How deeply sets may use other sets (a chain longer than this is almost certainly a mistake).
constexpr size_t kMaxSetNesting = 16;

constexpr const char* kUseKey = "use";

Error ParseError(std::string message) { return MakeError(ErrorCode::kParse, "controls: " + std::move(message)); }

std::string Quoted(std::string_view text) {
  return nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Finds the first key that appears twice in one object, which nlohmann's document would silently keep the
// last of. Runs over text the document parser has already accepted (and bounded).
class DuplicateKeyFinder final : public nlohmann::json::json_sax_t {
 public:
  const std::string& duplicate() const { return duplicate_; }

  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override { return Open(false); }
  bool start_array(std::size_t) override { return Open(true); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& name) override {
    Frame& top = frames_.back();
    if (!top.keys.insert(name).second) {
      duplicate_ = "duplicate key " + Quoted(name) + (top.path.empty() ? " at the top level" : " in " + top.path);
      return false;
    }
    top.key = name;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  struct Frame {
    std::string path;
    bool array = false;
    size_t count = 0;
    std::set<std::string> keys;
    std::string key;
  };

  // The path of the value about to be read.
  std::string ChildPath() {
    if (frames_.empty()) return {};
    Frame& top = frames_.back();
    if (top.array) return top.path + "[" + std::to_string(top.count++) + "]";
    return top.path.empty() ? Quoted(top.key) : top.path + "." + Quoted(top.key);
  }
  bool Value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().count;
    return true;
  }
  bool Open(bool array) {
    Frame frame;
    frame.path = ChildPath();
    frame.array = array;
    frames_.push_back(std::move(frame));
    return true;
  }
  bool Close() {
    frames_.pop_back();
    return true;
  }

  std::vector<Frame> frames_;
  std::string duplicate_;
};

Status CheckDuplicateKeys(std::string_view text) {
  DuplicateKeyFinder finder;
  if (!nlohmann::json::sax_parse(text.begin(), text.end(), &finder)) {
    if (!finder.duplicate().empty()) return ParseError(finder.duplicate());
    return ParseError("invalid JSON");  // not reached: the document parser accepted the text
  }
  return Ok{};
}

Result<std::string> NonEmptyString(const nlohmann::json& value, const std::string& what) {
  if (!value.is_string()) return ParseError(what + ": expected a string, got " + JsonTypeName(value));
  std::string text = value.get<std::string>();
  if (text.empty()) return ParseError(what + ": empty");
  return text;
}

Status CheckKeys(const nlohmann::json& object, const std::set<std::string, std::less<>>& allowed,
                 const std::string& what) {
  for (const auto& [key, value] : object.items()) {
    if (!allowed.contains(key)) return ParseError(what + ": unknown member " + Quoted(key));
  }
  return Ok{};
}

Result<Framework> ParseFramework(const nlohmann::json& value, const std::string& what) {
  if (!value.is_object()) return ParseError(what + ": expected an object, got " + JsonTypeName(value));
  MG_TRY(CheckKeys(value, {"id", "name", "source", "controls"}, what));
  Framework framework;
  for (const char* key : {"id", "name", "source", "controls"}) {
    if (!value.contains(key)) return ParseError(what + ": missing \"" + key + "\"");
  }
  MG_ASSIGN_OR_RETURN(framework.id, NonEmptyString(value["id"], what + ".id"));
  if (framework.id == kUseKey) return ParseError(what + ": \"use\" is reserved (it names sets in entries)");
  const std::string where = "framework " + Quoted(framework.id);
  MG_ASSIGN_OR_RETURN(framework.name, NonEmptyString(value["name"], where + ".name"));
  MG_ASSIGN_OR_RETURN(framework.source, NonEmptyString(value["source"], where + ".source"));
  const nlohmann::json& controls = value["controls"];
  if (!controls.is_array()) return ParseError(where + ".controls: expected an array, got " + JsonTypeName(controls));
  if (controls.empty()) return ParseError(where + ": no controls");
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < controls.size(); ++i) {
    const std::string at = where + ".controls[" + std::to_string(i) + "]";
    const nlohmann::json& control = controls[i];
    if (!control.is_object()) return ParseError(at + ": expected an object, got " + JsonTypeName(control));
    MG_TRY(CheckKeys(control, {"id", "title"}, at));
    if (!control.contains("id") || !control.contains("title")) return ParseError(at + ": needs \"id\" and \"title\"");
    MG_ASSIGN_OR_RETURN(std::string id, NonEmptyString(control["id"], at + ".id"));
    MG_ASSIGN_OR_RETURN(std::string title, NonEmptyString(control["title"], at + ".title"));
    if (!seen.insert(id).second) return ParseError(where + ": control " + Quoted(id) + " listed twice");
    framework.controls.emplace_back(std::move(id), std::move(title));
  }
  return framework;
}

// Turns entries ({"use": [sets], framework: [control ids]}) into control lists, in the catalog's order:
// frameworks as the file lists them, each framework's controls in its own order.
class EntryReader {
 public:
  EntryReader(const std::vector<Framework>& frameworks, const nlohmann::json* sets) : sets_(sets) {
    for (size_t f = 0; f < frameworks.size(); ++f) {
      framework_index_[frameworks[f].id] = f;
      for (size_t c = 0; c < frameworks[f].controls.size(); ++c)
        control_index_[{frameworks[f].id, frameworks[f].controls[c].first}] = c;
    }
    frameworks_ = &frameworks;
  }

  // The controls of an entry named `what` in errors.
  Result<std::vector<ControlRef>> Read(const nlohmann::json& entry, const std::string& what) {
    std::set<std::pair<size_t, size_t>> picked;
    MG_TRY(Collect(entry, what, picked, 0));
    if (picked.empty()) return ParseError(what + ": no controls");
    std::vector<ControlRef> out;
    out.reserve(picked.size());
    for (const auto& [f, c] : picked) out.push_back({(*frameworks_)[f].id, (*frameworks_)[f].controls[c].first});
    return out;
  }

 private:
  Status Collect(const nlohmann::json& entry, const std::string& what, std::set<std::pair<size_t, size_t>>& picked,
                 size_t nesting) {
    if (!entry.is_object()) return ParseError(what + ": expected an object, got " + JsonTypeName(entry));
    for (const auto& [key, list] : entry.items()) {
      if (!list.is_array())
        return ParseError(what + "." + Quoted(key) + ": expected an array, got " + JsonTypeName(list));
      if (list.empty()) return ParseError(what + "." + Quoted(key) + ": empty list");
      std::set<std::string, std::less<>> seen;
      for (const auto& item : list) {
        MG_ASSIGN_OR_RETURN(std::string name, NonEmptyString(item, what + "." + Quoted(key) + "[]"));
        if (!seen.insert(name).second)
          return ParseError(what + "." + Quoted(key) + ": " + Quoted(name) + " listed twice");
        if (key == kUseKey) {
          MG_TRY(UseSet(name, what, picked, nesting));
          continue;
        }
        const auto framework = framework_index_.find(key);
        if (framework == framework_index_.end()) return ParseError(what + ": unknown framework " + Quoted(key));
        const auto control = control_index_.find({key, name});
        if (control == control_index_.end())
          return ParseError(what + ": framework " + Quoted(key) + " has no control " + Quoted(name));
        picked.insert({framework->second, control->second});
      }
    }
    return Ok{};
  }

  Status UseSet(const std::string& name, const std::string& what, std::set<std::pair<size_t, size_t>>& picked,
                size_t nesting) {
    if (sets_ == nullptr || !sets_->contains(name)) return ParseError(what + ": unknown set " + Quoted(name));
    if (nesting >= kMaxSetNesting)
      return ParseError(what + ": sets use each other more than " + std::to_string(kMaxSetNesting) +
                        " deep (a cycle?) at set " + Quoted(name));
    return Collect((*sets_)[name], "set " + Quoted(name), picked, nesting + 1);
  }

  const nlohmann::json* sets_;
  const std::vector<Framework>* frameworks_ = nullptr;
  std::map<std::string, size_t, std::less<>> framework_index_;
  std::map<std::pair<std::string, std::string>, size_t> control_index_;
};

Result<std::map<std::string, std::vector<ControlRef>>> ReadMap(const nlohmann::json& root, const char* member,
                                                               EntryReader& reader, bool patterns) {
  std::map<std::string, std::vector<ControlRef>> out;
  if (!root.contains(member)) return out;
  const nlohmann::json& map = root[member];
  if (!map.is_object()) return ParseError(std::string(member) + ": expected an object, got " + JsonTypeName(map));
  for (const auto& [key, entry] : map.items()) {
    const std::string what = std::string(member) + " " + Quoted(key);
    if (key.empty()) return ParseError(std::string(member) + ": empty key");
    const size_t star = key.find('*');
    if (star != std::string::npos && (!patterns || star + 1 != key.size()))
      return ParseError(what + ": '*' may only end a rule id (a prefix entry such as \"pickle.*\")");
    MG_ASSIGN_OR_RETURN(auto controls, reader.Read(entry, what));
    out.emplace(key, std::move(controls));
  }
  return out;
}

Result<ControlCatalog> Parse(std::string_view json_text) {
  if (json_text.size() > kMaxControlsBytes)
    return MakeError(ErrorCode::kLimit, "controls: the file is " + std::to_string(json_text.size()) +
                                            " bytes, more than the limit of " + std::to_string(kMaxControlsBytes));
  auto parsed = ParseJsonWithinLimits(json_text, kControlsJsonLimits);
  if (!parsed.ok()) return WithContext(std::move(parsed).error(), "controls: ");
  const nlohmann::json& root = *parsed;
  MG_TRY(CheckDuplicateKeys(json_text));
  if (!root.is_object()) return ParseError(std::string("expected an object, got ") + JsonTypeName(root));
  MG_TRY(CheckKeys(root, {"schema", "description", "frameworks", "sets", "evidence", "rules", "categories"},
                   "the document"));
  if (!root.contains("schema") || !root["schema"].is_string() || root["schema"].get<std::string>() != kControlsSchema)
    return ParseError(std::string("\"schema\" must be \"") + kControlsSchema + "\"");
  if (root.contains("description") && !root["description"].is_string())
    return ParseError(std::string("description: expected a string, got ") + JsonTypeName(root["description"]));

  ControlCatalog catalog;
  if (!root.contains("frameworks")) return ParseError("missing \"frameworks\"");
  const nlohmann::json& frameworks = root["frameworks"];
  if (!frameworks.is_array())
    return ParseError(std::string("frameworks: expected an array, got ") + JsonTypeName(frameworks));
  if (frameworks.empty()) return ParseError("frameworks: empty");
  for (size_t i = 0; i < frameworks.size(); ++i) {
    MG_ASSIGN_OR_RETURN(Framework framework, ParseFramework(frameworks[i], "frameworks[" + std::to_string(i) + "]"));
    if (catalog.FindFramework(framework.id) != nullptr)
      return ParseError("framework " + Quoted(framework.id) + " listed twice");
    catalog.frameworks.push_back(std::move(framework));
  }

  const nlohmann::json* sets = nullptr;
  if (root.contains("sets")) {
    sets = &root["sets"];
    if (!sets->is_object()) return ParseError(std::string("sets: expected an object, got ") + JsonTypeName(*sets));
  }
  EntryReader reader(catalog.frameworks, sets);
  if (sets != nullptr) {
    // Every set is checked, used or not, so a mistake in one shows before anyone uses it.
    for (const auto& [name, entry] : sets->items()) {
      if (name.empty()) return ParseError("sets: empty name");
      MG_TRY(reader.Read(entry, "set " + Quoted(name)));
    }
  }
  MG_ASSIGN_OR_RETURN(catalog.evidence, ReadMap(root, "evidence", reader, false));
  MG_ASSIGN_OR_RETURN(catalog.rules, ReadMap(root, "rules", reader, true));
  MG_ASSIGN_OR_RETURN(catalog.categories, ReadMap(root, "categories", reader, false));
  return catalog;
}

std::vector<ControlRef> Find(const std::map<std::string, std::vector<ControlRef>>& map, std::string_view key) {
  const auto found = map.find(std::string(key));
  return found == map.end() ? std::vector<ControlRef>{} : found->second;
}

}  // namespace

std::vector<ControlRef> ControlCatalog::ForRule(std::string_view rule) const {
  if (const auto exact = rules.find(std::string(rule)); exact != rules.end()) return exact->second;
  const std::vector<ControlRef>* best = nullptr;
  size_t best_length = 0;
  for (const auto& [pattern, controls] : rules) {
    if (pattern.empty() || pattern.back() != '*') continue;
    const std::string_view prefix = std::string_view(pattern).substr(0, pattern.size() - 1);
    if (!rule.starts_with(prefix)) continue;
    if (best == nullptr || prefix.size() > best_length) {
      best = &controls;
      best_length = prefix.size();
    }
  }
  return best == nullptr ? std::vector<ControlRef>{} : *best;
}

std::vector<ControlRef> ControlCatalog::ForEvidence(std::string_view kind) const { return Find(evidence, kind); }

std::vector<ControlRef> ControlCatalog::ForCategory(std::string_view category) const {
  return Find(categories, category);
}

const Framework* ControlCatalog::FindFramework(std::string_view id) const {
  for (const Framework& framework : frameworks) {
    if (framework.id == id) return &framework;
  }
  return nullptr;
}

Result<ControlCatalog> ParseControls(std::string_view json_text) {
  try {
    return Parse(json_text);
  } catch (const std::exception& e) {
    // Not expected (types are checked before use); an allocation failure is the one plausible way here.
    return MakeError(ErrorCode::kParse, std::string("controls: ") + e.what());
  }
}

const ControlCatalog& DefaultControls() {
  // A built-in file that does not parse is a build defect (tests/governance/controls_test.cpp parses it);
  // the binary then maps nothing rather than stopping.
  static const ControlCatalog catalog = [] {
    auto parsed = ParseControls(kEmbeddedControls);
    return parsed.ok() ? std::move(parsed).value() : ControlCatalog{};
  }();
  return catalog;
}

}  // namespace modelguard::governance
