#pragma once
// policies/ai-assets.json compiled: one vectorscan database per file type (so a file is scanned once, by the
// rules that apply to it), the value each match records, and the guard's credential recognisers.
#include <array>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/guard/guard.h"
#include "modelguard/guard/pattern_set.h"

namespace modelguard::governance {

enum class FileType { kPython, kNotebook, kJavaScript, kGo, kJava, kConfig, kOther };
inline constexpr size_t kScannedFileTypes = 6;  // every type but kOther

struct CompiledAssetRule {
  std::string id;
  std::string kind;
  std::string detail;
  std::string value;                  // fixed value (SDK imports), or empty
  std::optional<std::regex> extract;  // else the value is this regex's first group inside the match
};

class AssetRules {
 public:
  FileType TypeOf(std::string_view path) const;
  // The code rules of a type (notebooks' cells use Python's).
  const guard::PatternSet* Patterns(FileType type) const;
  const std::vector<CompiledAssetRule>& Rules(FileType type) const;

  std::vector<std::string> mcp_json_keys;
  std::vector<std::string> credential_labels;
  std::string generic_label;
  std::vector<std::string> generic_context;  // lower case
  std::shared_ptr<const guard::Guard> secrets;

  struct TypeMatcher {
    FileType type;
    std::string pattern;  // ".ext", ".env.*" (a name prefix), or an exact file name
  };
  std::vector<TypeMatcher> matchers;
  std::array<std::shared_ptr<const guard::PatternSet>, kScannedFileTypes> sets;
  std::array<std::vector<CompiledAssetRule>, kScannedFileTypes> rules;
};

}  // namespace modelguard::governance
