// Probe families as data: parsing and validating modelguard.redteam-family/v1 files, the built-in copies
// (policies/redteam/, embedded at build time: families_builtin.cpp) and users' files (--probes).
#include <algorithm>
#include <filesystem>
#include <set>

#include "modelguard/core/io.h"
#include "modelguard/redteam/redteam.h"
#include "src/redteam/template.h"

namespace modelguard::redteam {
namespace {

Error Invalid(const std::string& where, const std::string& what) {
  return MakeError(ErrorCode::kInvalidArgument, where + ": " + what);
}

bool IsName(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

Status CheckKeys(const nlohmann::json& object, std::initializer_list<std::string_view> known,
                 const std::string& where) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) return Invalid(where, "unknown key '" + key + "'");
  }
  return Ok{};
}

Result<std::string> StringField(const nlohmann::json& object, const char* key, const std::string& where,
                                bool required) {
  if (!object.contains(key)) {
    if (required) return Invalid(where, std::string("missing \"") + key + "\"");
    return std::string();
  }
  if (!object[key].is_string()) return Invalid(where, std::string("\"") + key + "\" must be a string");
  return object[key].get<std::string>();
}

Status CheckPlaceholders(std::string_view text, const std::string& where, bool* uses_goal, bool* uses_payload) {
  for (const std::string& name : PlaceholdersIn(text)) {
    if (std::find(std::begin(kPlaceholders), std::end(kPlaceholders), name) == std::end(kPlaceholders)) {
      return Invalid(where, "unknown placeholder {{" + name + "}}");
    }
    if (name == "goal") *uses_goal = true;
    if (name == "payload" && uses_payload) *uses_payload = true;
  }
  return Ok{};
}

Result<ProbeSpec> ParseProbe(const nlohmann::json& p, const std::string& where, bool has_goals) {
  if (!p.is_object()) return Invalid(where, "a probe must be an object");
  MG_TRY(CheckKeys(p, {"id", "description", "turns", "payload", "tools", "detector", "converters"}, where));
  ProbeSpec probe;
  MG_ASSIGN_OR_RETURN(probe.id, StringField(p, "id", where, true));
  if (!IsName(probe.id)) return Invalid(where, "id '" + probe.id + "' must be 1-64 of a-z 0-9 - _");
  const std::string at = where + " (" + probe.id + ")";
  MG_ASSIGN_OR_RETURN(probe.description, StringField(p, "description", at, false));
  MG_ASSIGN_OR_RETURN(probe.payload, StringField(p, "payload", at, false));
  bool uses_payload = false;
  MG_TRY(CheckPlaceholders(probe.payload, at + " payload", &probe.uses_goal, nullptr));
  const std::vector<std::string> in_payload = PlaceholdersIn(probe.payload);
  if (std::find(in_payload.begin(), in_payload.end(), "payload") != in_payload.end()) {
    return Invalid(at, "the payload cannot contain {{payload}}");
  }
  if (!p.contains("turns") || !p["turns"].is_array() || p["turns"].empty()) {
    return Invalid(at, "\"turns\" must be a non-empty list");
  }
  if (p["turns"].size() > kMaxTurnsPerProbe) return Invalid(at, "too many turns");
  for (const auto& t : p["turns"]) {
    if (!t.is_object()) return Invalid(at, "a turn must be an object");
    MG_TRY(CheckKeys(t, {"role", "content", "name"}, at + " turn"));
    Turn turn;
    MG_ASSIGN_OR_RETURN(turn.role, StringField(t, "role", at + " turn", true));
    MG_ASSIGN_OR_RETURN(turn.content, StringField(t, "content", at + " turn", true));
    MG_ASSIGN_OR_RETURN(turn.name, StringField(t, "name", at + " turn", false));
    if (turn.role != "system" && turn.role != "user" && turn.role != "assistant" && turn.role != "tool") {
      return Invalid(at, "turn role '" + turn.role + "' is not system, user, assistant or tool");
    }
    if (turn.role == "tool" && turn.name.empty()) return Invalid(at, "a tool turn needs the tool's \"name\"");
    MG_TRY(CheckPlaceholders(turn.content, at + " turn", &probe.uses_goal, &uses_payload));
    probe.turns.push_back(std::move(turn));
  }
  if (probe.turns.back().role != "user" && probe.turns.back().role != "tool") {
    return Invalid(at, "the last turn must be a user or tool turn (it is what gets answered)");
  }
  for (size_t i = 1; i < probe.turns.size(); ++i) {
    if (probe.turns[i].role == "system") return Invalid(at, "only the first turn may be a system turn");
  }
  if (uses_payload != !probe.payload.empty()) {
    return Invalid(at, "a probe has a \"payload\" exactly when a turn says {{payload}}");
  }
  if (probe.uses_goal && !has_goals) return Invalid(at, "{{goal}} is used but the family has no \"goals\"");
  if (p.contains("tools")) {
    if (!p["tools"].is_array()) return Invalid(at, "\"tools\" must be a list");
    for (const auto& t : p["tools"]) {
      if (!t.is_object()) return Invalid(at, "a tool must be an object");
      MG_TRY(CheckKeys(t, {"name", "description", "parameters"}, at + " tool"));
      ToolDeclaration tool;
      MG_ASSIGN_OR_RETURN(tool.name, StringField(t, "name", at + " tool", true));
      MG_ASSIGN_OR_RETURN(tool.description, StringField(t, "description", at + " tool", false));
      if (t.contains("parameters")) {
        if (!t["parameters"].is_object()) return Invalid(at, "tool parameters must be a JSON Schema object");
        tool.parameters = t["parameters"];
      }
      probe.tools.push_back(std::move(tool));
    }
  }
  if (!p.contains("detector") || !p["detector"].is_object()) return Invalid(at, "\"detector\" must be an object");
  MG_ASSIGN_OR_RETURN(probe.detector, StringField(p["detector"], "kind", at + " detector", true));
  const DetectorDescriptor* detector = FindDetector(probe.detector);
  if (!detector) return Invalid(at, "unknown detector '" + probe.detector + "' (see modelguard redteam list)");
  probe.detector_settings = p["detector"];
  probe.detector_settings.erase("kind");
  bool ignored = false;
  MG_TRY(CheckPlaceholders(probe.detector_settings.dump(), at + " detector", &ignored, nullptr));
  // Validate with sample values in the placeholders, as the detector will see them.
  const TemplateValues sample{"mgc-0000000000000000", "MARKER", "goal", "payload", "attacker.example", "prompt"};
  if (auto ok = detector->validate(RenderJson(probe.detector_settings, sample)); !ok) {
    return Invalid(at, "detector " + probe.detector + ": " + ok.error().message);
  }
  if (p.contains("converters")) {
    const auto& c = p["converters"];
    if (c.is_string() && c.get<std::string>() == "*") {
      for (const auto& converter : Converters()) probe.converters.emplace_back(converter.name);
    } else if (c.is_array() && !c.empty()) {
      for (const auto& name : c) {
        if (!name.is_string() || !FindConverter(name.get<std::string>())) {
          return Invalid(at, "unknown converter " + name.dump() + " (see modelguard redteam list)");
        }
        if (std::find(probe.converters.begin(), probe.converters.end(), name.get<std::string>()) ==
            probe.converters.end()) {
          probe.converters.push_back(name.get<std::string>());
        }
      }
    } else {
      return Invalid(at, "\"converters\" must be a non-empty list of names or \"*\"");
    }
    if (probe.payload.empty() && (probe.converters.size() != 1 || probe.converters[0] != "none")) {
      return Invalid(at, "converters rewrite the payload: a probe without one can only use \"none\"");
    }
  } else {
    probe.converters = {"none"};
  }
  return probe;
}

}  // namespace

Result<Family> ParseFamily(std::string_view json_text, const std::string& source) {
  nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) return MakeError(ErrorCode::kParse, source + ": not valid JSON");
  if (!doc.is_object()) return Invalid(source, "a family file is a JSON object");
  MG_TRY(CheckKeys(doc, {"schema", "family", "description", "goals", "probes"}, source));
  MG_ASSIGN_OR_RETURN(std::string schema, StringField(doc, "schema", source, true));
  if (schema != kFamilySchema) return Invalid(source, "schema is '" + schema + "', expected " + kFamilySchema);
  Family family;
  family.source = source;
  MG_ASSIGN_OR_RETURN(family.name, StringField(doc, "family", source, true));
  if (!IsName(family.name)) return Invalid(source, "family name '" + family.name + "' must be 1-64 of a-z 0-9 - _");
  MG_ASSIGN_OR_RETURN(family.description, StringField(doc, "description", source, true));
  if (doc.contains("goals")) {
    if (!doc["goals"].is_array()) return Invalid(source, "\"goals\" must be a list of strings");
    for (const auto& g : doc["goals"]) {
      if (!g.is_string() || g.get<std::string>().empty()) return Invalid(source, "\"goals\" must be non-empty strings");
      family.goals.push_back(g.get<std::string>());
    }
  }
  if (!doc.contains("probes") || !doc["probes"].is_array() || doc["probes"].empty()) {
    return Invalid(source, "\"probes\" must be a non-empty list");
  }
  if (doc["probes"].size() > kMaxProbesPerFamily) return Invalid(source, "too many probes");
  std::set<std::string> ids;
  size_t index = 0;
  for (const auto& p : doc["probes"]) {
    MG_ASSIGN_OR_RETURN(ProbeSpec probe,
                        ParseProbe(p, source + ": probes[" + std::to_string(index++) + "]", !family.goals.empty()));
    if (!ids.insert(probe.id).second) return Invalid(source, "duplicate probe id '" + probe.id + "'");
    family.probes.push_back(std::move(probe));
  }
  return family;
}

Result<std::vector<Family>> BuiltinFamilies() {
  std::vector<Family> families;
  for (const EmbeddedFile& file : BuiltinFamilyFiles()) {
    MG_ASSIGN_OR_RETURN(Family family, ParseFamily(file.text, "builtin:" + std::string(file.name)));
    families.push_back(std::move(family));
  }
  return families;
}

Result<std::vector<Family>> LoadFamilies(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (entry.path().extension() == ".json" && entry.is_regular_file(ec)) files.push_back(entry.path().string());
    }
    if (ec) return MakeError(ErrorCode::kIo, path + ": " + ec.message());
    std::sort(files.begin(), files.end());
    if (files.empty()) return MakeError(ErrorCode::kInvalidArgument, path + ": no *.json family files");
  } else {
    files.push_back(path);
  }
  std::vector<Family> families;
  for (const std::string& file : files) {
    MG_ASSIGN_OR_RETURN(std::string text, ReadFile(file, kMaxFamilyFileBytes));
    MG_ASSIGN_OR_RETURN(Family family, ParseFamily(text, file));
    families.push_back(std::move(family));
  }
  return families;
}

}  // namespace modelguard::redteam
