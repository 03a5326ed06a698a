// Loading policies/ai-assets.json. The import syntax of each language lives here (the data file only names
// modules); everything else — model names, hosts, tool shapes, credential labels — is the file's.
#include "src/governance/discover/asset_rules.h"

#include <algorithm>
#include <cctype>

#include "modelguard/core/json_fields.h"
#include "modelguard/governance/discover.h"

namespace modelguard::governance {
namespace {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
constexpr const char* kAiAssetsJson =
#include "ai_assets.inc"
    ;
#pragma GCC diagnostic pop

constexpr size_t kMaxAssetRulesBytes = size_t{4} << 20;

Result<FileType> ParseType(const std::string& name) {
  if (name == "python") return FileType::kPython;
  if (name == "notebook") return FileType::kNotebook;
  if (name == "javascript") return FileType::kJavaScript;
  if (name == "go") return FileType::kGo;
  if (name == "java") return FileType::kJava;
  if (name == "config") return FileType::kConfig;
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown file type '" + name + "' (python, notebook, javascript, go, java, config)");
}

// A module name as a literal inside a pattern.
std::string Literal(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') out += '\\';
    out += c;
  }
  return out;
}

// The import statements of each language that name `module` (or a submodule of it).
std::string ImportPattern(FileType type, std::string_view module) {
  const std::string m = Literal(module);
  switch (type) {
    case FileType::kPython:
    case FileType::kNotebook:
      return "^[ \\t]*(from|import)[ \\t]+" + m + "(\\.[A-Za-z0-9_.]*)?([ \\t,]|$)";
    case FileType::kJavaScript:
      return "(\\bfrom[ \\t]*|\\brequire\\([ \\t]*|\\bimport\\([ \\t]*|^[ \\t]*import[ \\t]*)[\"']" + m +
             "(/[^\"'\\n]*)?[\"']";
    case FileType::kGo:
      return "\"" + m + "(/[^\"\\n]*)?\"";
    case FileType::kJava:
      return "^[ \\t]*import[ \\t]+(static[ \\t]+)?" + m + "\\.";
    default:
      return "";
  }
}

size_t Slot(FileType type) { return static_cast<size_t>(type == FileType::kNotebook ? FileType::kPython : type); }

Result<std::string> Text(const nlohmann::json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    return MakeError(ErrorCode::kInvalidArgument, where + ": '" + key + "' must be a non-empty string");
  return it->get<std::string>();
}

Result<std::vector<std::string>> Strings(const nlohmann::json& value, const std::string& where) {
  if (!value.is_array()) return MakeError(ErrorCode::kInvalidArgument, where + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& item : value) {
    if (!item.is_string() || item.get_ref<const std::string&>().empty())
      return MakeError(ErrorCode::kInvalidArgument, where + " must be an array of non-empty strings");
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::regex> CompileExtract(const std::string& expression, const std::string& where) {
  try {
    std::regex regex(expression, std::regex::ECMAScript);
    if (regex.mark_count() < 1)
      return MakeError(ErrorCode::kInvalidArgument, where + ": 'extract' needs a group (the recorded value)");
    return regex;
  } catch (const std::regex_error& e) {
    return MakeError(ErrorCode::kInvalidArgument, where + ": 'extract' is not a valid regular expression: " + e.what());
  }
}

Result<std::shared_ptr<const AssetRules>> Compile(std::string_view json_text) {
  if (json_text.size() > kMaxAssetRulesBytes) return MakeError(ErrorCode::kLimit, "asset rules: larger than 4 MiB");
  MG_ASSIGN_OR_RETURN_CONTEXT(auto doc, ParseJsonWithinLimits(json_text), "asset rules: ");
  if (!doc.is_object() || doc.value("schema", nlohmann::json()) != "modelguard.ai-assets/v1")
    return MakeError(ErrorCode::kInvalidArgument, "asset rules: not a modelguard.ai-assets/v1 document");
  auto rules = std::make_shared<AssetRules>();
  std::array<std::vector<guard::PatternSpec>, kScannedFileTypes> specs;

  const auto types = doc.find("file_types");
  if (types == doc.end() || !types->is_object())
    return MakeError(ErrorCode::kInvalidArgument, "asset rules: 'file_types' must be an object");
  for (const auto& [name, patterns] : types->items()) {
    MG_ASSIGN_OR_RETURN_CONTEXT(const FileType type, ParseType(name), "asset rules: file_types: ");
    MG_ASSIGN_OR_RETURN(auto list, Strings(patterns, "asset rules: file_types." + name));
    for (auto& pattern : list) rules->matchers.push_back({type, std::move(pattern)});
  }

  const auto sdks = doc.find("sdks");
  if (sdks != doc.end()) {
    if (!sdks->is_array()) return MakeError(ErrorCode::kInvalidArgument, "asset rules: 'sdks' must be an array");
    for (const auto& sdk : *sdks) {
      if (!sdk.is_object()) return MakeError(ErrorCode::kInvalidArgument, "asset rules: an sdk must be an object");
      MG_ASSIGN_OR_RETURN(const std::string value, Text(sdk, "value", "asset rules: sdk"));
      for (const auto& [language, modules] : sdk.items()) {
        if (language == "value") continue;
        const std::string where = "asset rules: sdk '" + value + "'." + language;
        MG_ASSIGN_OR_RETURN_CONTEXT(const FileType type, ParseType(language), where + ": ");
        if (type == FileType::kConfig || type == FileType::kNotebook)
          return MakeError(ErrorCode::kInvalidArgument, where + ": imports are read in python, javascript, go, java");
        MG_ASSIGN_OR_RETURN(auto names, Strings(modules, where));
        for (const auto& module : names) {
          specs[Slot(type)].push_back({ImportPattern(type, module), false, true});
          rules->rules[Slot(type)].push_back(
              {"sdk." + value, "sdk", std::string(language) + " import of " + module, value, std::nullopt});
        }
      }
    }
  }

  const auto list = doc.find("rules");
  if (list != doc.end()) {
    if (!list->is_array()) return MakeError(ErrorCode::kInvalidArgument, "asset rules: 'rules' must be an array");
    for (const auto& rule : *list) {
      if (!rule.is_object()) return MakeError(ErrorCode::kInvalidArgument, "asset rules: a rule must be an object");
      MG_ASSIGN_OR_RETURN(const std::string id, Text(rule, "id", "asset rules: rule"));
      const std::string where = "asset rules: rule '" + id + "'";
      MG_ASSIGN_OR_RETURN(const std::string kind, Text(rule, "kind", where));
      static const std::vector<std::string> kKinds = {"sdk", "model-id", "endpoint", "agent-tool", "mcp-server"};
      if (std::find(kKinds.begin(), kKinds.end(), kind) == kKinds.end())
        return MakeError(ErrorCode::kInvalidArgument, where + ": unknown kind '" + kind + "'");
      MG_ASSIGN_OR_RETURN(const std::string pattern, Text(rule, "pattern", where));
      MG_ASSIGN_OR_RETURN(const std::string extract, Text(rule, "extract", where));
      MG_ASSIGN_OR_RETURN(std::regex regex, CompileExtract(extract, where));
      const std::string detail =
          rule.contains("detail") && rule["detail"].is_string() ? rule["detail"].get<std::string>() : id;
      if (!rule.contains("in")) return MakeError(ErrorCode::kInvalidArgument, where + ": 'in' is missing");
      MG_ASSIGN_OR_RETURN(auto in, Strings(rule["in"], where + ".in"));
      std::vector<size_t> slots;
      for (const auto& name : in) {
        MG_ASSIGN_OR_RETURN_CONTEXT(const FileType type, ParseType(name), where + ": ");
        if (std::find(slots.begin(), slots.end(), Slot(type)) == slots.end()) slots.push_back(Slot(type));
      }
      for (size_t slot : slots) {
        specs[slot].push_back({pattern, false, true});
        rules->rules[slot].push_back({id, kind, detail, "", regex});
      }
    }
  }

  if (auto keys = doc.find("mcp_json_keys"); keys != doc.end()) {
    MG_ASSIGN_OR_RETURN(rules->mcp_json_keys, Strings(*keys, "asset rules: mcp_json_keys"));
  }
  if (auto credentials = doc.find("credentials"); credentials != doc.end()) {
    if (!credentials->is_object())
      return MakeError(ErrorCode::kInvalidArgument, "asset rules: 'credentials' must be an object");
    if (credentials->contains("labels")) {
      MG_ASSIGN_OR_RETURN(rules->credential_labels,
                          Strings((*credentials)["labels"], "asset rules: credentials.labels"));
    }
    if (credentials->contains("generic_label")) {
      MG_ASSIGN_OR_RETURN(rules->generic_label, Text(*credentials, "generic_label", "asset rules: credentials"));
    }
    if (credentials->contains("generic_context")) {
      MG_ASSIGN_OR_RETURN(rules->generic_context,
                          Strings((*credentials)["generic_context"], "asset rules: credentials.generic_context"));
      for (auto& word : rules->generic_context)
        std::transform(word.begin(), word.end(), word.begin(), [](unsigned char c) { return std::tolower(c); });
    }
  }

  for (size_t slot = 0; slot < kScannedFileTypes; ++slot) {
    if (specs[slot].empty()) continue;
    MG_ASSIGN_OR_RETURN_CONTEXT(rules->sets[slot], guard::PatternSet::Compile(specs[slot], false, true),
                                "asset rules: ");
  }
  guard::GuardOptions secrets;
  secrets.injection = secrets.signatures = secrets.hidden_text = secrets.adversarial_suffix = false;
  secrets.system_prompt = secrets.second_stage = secrets.pii = false;
  secrets.secrets = true;
  MG_ASSIGN_OR_RETURN_CONTEXT(rules->secrets, guard::Guard::Create(secrets), "asset rules: credential recognisers: ");
  return std::shared_ptr<const AssetRules>(std::move(rules));
}

}  // namespace

FileType AssetRules::TypeOf(std::string_view path) const {
  const size_t slash = path.rfind('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (const TypeMatcher& m : matchers) {
    const std::string_view p = m.pattern;
    if (p.ends_with("*")) {
      if (name.starts_with(p.substr(0, p.size() - 1))) return m.type;
    } else if (p.starts_with(".")) {
      if (name.size() > p.size() && name.ends_with(p)) return m.type;
      if (name == p) return m.type;  // ".env"
    } else if (name == p) {
      return m.type;
    }
  }
  return FileType::kOther;
}

const guard::PatternSet* AssetRules::Patterns(FileType type) const {
  if (type == FileType::kOther) return nullptr;
  return sets[Slot(type)].get();
}

const std::vector<CompiledAssetRule>& AssetRules::Rules(FileType type) const {
  static const std::vector<CompiledAssetRule> kNone;
  if (type == FileType::kOther) return kNone;
  return rules[Slot(type)];
}

Result<std::shared_ptr<const AssetRules>> CompileAssetRules(std::string_view json_text) { return Compile(json_text); }

Result<std::shared_ptr<const AssetRules>> DefaultAssetRules() { return Compile(kAiAssetsJson); }

}  // namespace modelguard::governance
