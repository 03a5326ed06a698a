// Governance's readers of untrusted bytes: discovery over a file's content (the first byte picks the file
// name, so every file type's rules run), evidence summaries of any result, the controls file and the dashboard's snapshot documents. Invariants:
// recorded values stay bounded and credentials are never reported whole.
#include <string>
#include <string_view>

#include "modelguard/governance/controls.h"
#include "modelguard/governance/discover.h"
#include "modelguard/governance/evidence.h"
#include "modelguard/governance/report.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace modelguard::governance;
  if (size == 0) return 0;
  static const auto rules = DefaultAssetRules();
  if (!rules.ok()) __builtin_trap();
  static constexpr const char* kNames[] = {"a.py",   "a.ipynb", "a.ts", "a.go",        "A.java", "mcp.json",
                                           "a.toml", "a.yaml",  ".env", "weights.bin", "a.md",   "a.json"};
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  const unsigned selector = data[0];
  if (selector < 0xF0) {
    const char* name = kNames[selector % (sizeof kNames / sizeof kNames[0])];
    for (const Asset& asset : FindAssets(**rules, name, bytes, 1 << 16)) {
      if (asset.value.size() > 256) __builtin_trap();
      if (asset.kind == "credential" && asset.value.size() >= 12 && bytes.find(asset.value) != std::string_view::npos)
        __builtin_trap();
    }
  } else if (selector < 0xF8) {
    auto evidence = SummarizeEvidence(bytes);
    if (evidence.ok() && (evidence->kind.empty() || evidence->summary_json.empty())) __builtin_trap();
  } else if (selector >= 0xFC) {
    // A snapshot that reads back writes out to a document that reads back the same.
    auto snapshot = SnapshotFromJson(bytes);
    if (snapshot.ok()) {
      const std::string once = SnapshotToJson(*snapshot);
      auto again = SnapshotFromJson(once);
      if (!again.ok() || SnapshotToJson(*again) != once) __builtin_trap();
    }
  } else {
    auto catalog = ParseControls(bytes);
    if (catalog.ok()) {
      for (const auto& [rule, refs] : catalog->rules)
        for (const auto& ref : refs)
          if (!catalog->FindFramework(ref.framework)) __builtin_trap();
    }
  }
  return 0;
}
