#pragma once
// Shadow-AI discovery: walks file trees and records AI assets in the governance store — model files by
// content (the format registry's detection), AI SDK imports, hub model ids and hosted model names, hosted
// AI API addresses, AI API credentials (the guard's secret recognisers, redacted), tool definitions and MCP
// server configurations. What counts as AI use is data (policies/ai-assets.json); the import syntax of each
// language is code. Unchanged files (same size and modification time) are not read again.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/governance/store.h"

namespace modelguard::governance {

class AssetRules;

// Parses an ai-assets document (schema modelguard.ai-assets/v1) and compiles its patterns.
Result<std::shared_ptr<const AssetRules>> CompileAssetRules(std::string_view json_text);
// The rules compiled into the binary (policies/ai-assets.json).
Result<std::shared_ptr<const AssetRules>> DefaultAssetRules();

struct DiscoverOptions {
  std::shared_ptr<const AssetRules> rules;  // null: DefaultAssetRules()
  // Directory names never entered (version control, dependency and cache trees): third-party code there
  // is not the organisation's use of AI.
  std::vector<std::string> exclude = {".git", ".hg",           ".svn", "node_modules", "__pycache__", ".venv",
                                      "venv", "site-packages", ".tox", ".mypy_cache",  ".cache"};
  uint64_t max_text_bytes = uint64_t{16} << 20;  // larger text files are sniffed for models but not read
  unsigned threads = 0;                          // 0: one per core
  bool use_cache = true;                         // false: read every file again
  // Called now and then from the calling thread with (files walked, files done). A cancellation request
  // (core/cancel.h: SIGINT, SIGTERM) stops the run at the next file and nothing of it is recorded.
  std::function<void(uint64_t, uint64_t)> progress;
};

struct DiscoverResult {
  DiscoveryRun run;
  uint64_t skipped = 0;               // special files, unreadable files, links (counted, named in `problems`)
  uint64_t added = 0;                 // assets new in this run
  uint64_t gone = 0;                  // assets no longer found
  std::vector<std::string> problems;  // "path: why", at most a few hundred
};

// One root (a directory or a single file). The root is made absolute; assets are stored under it.
Result<DiscoverResult> Discover(Store& store, const std::string& root, const DiscoverOptions& options);

// The assets one file's bytes hold (no store, no cache): for tests and the fuzz target.
std::vector<Asset> FindAssets(const AssetRules& rules, std::string_view path, std::string_view bytes,
                              uint64_t max_text_bytes = uint64_t{16} << 20);

}  // namespace modelguard::governance
