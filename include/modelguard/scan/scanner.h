#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/formats/format.h"
#include "modelguard/scan/policy.h"
#include "modelguard/scan/report.h"

namespace modelguard::scan {

// Fact kinds the scanner adds to the formats' own (see formats::FormatCatalog::FactKinds).
inline constexpr formats::FactKind kExtensionMismatch{"scan.extension-mismatch"};  // name promises another format
// A FIFO, socket or device given or met in a walk: reported, never opened for reading (a FIFO's open blocks
// until a writer comes; reading a device may never end or have side effects). subject: the file type.
inline constexpr formats::FactKind kSpecialFile{"scan.special-file"};
// A sealed model file scanned with its key (ScanOptions::unsealer): its plaintext was scanned in memory
// (kUnsealed, detail: how), or it could not be unsealed (kUnsealFailed: wrong key, altered file, too large).
inline constexpr formats::FactKind kUnsealed{"scan.unsealed"};
inline constexpr formats::FactKind kUnsealFailed{"scan.unseal-failed"};
std::vector<formats::FactKind> ScanFactKinds();

struct Progress {
  size_t files_done = 0;
  size_t files_total = 0;
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
};

// Opens sealed model files (modelguard seal) for scanning: function hooks, so the scanner does not depend on
// the seal module. The plaintext is kept alive by `owner` while `bytes` is read.
struct Unsealer {
  struct Plaintext {
    formats::ByteView bytes;
    std::shared_ptr<const void> owner;
    std::string note;  // for the scan.unsealed finding: what was checked
  };
  std::function<bool(formats::ByteView prefix)> is_sealed;
  std::function<Result<Plaintext>(const std::string& path)> open;
};

struct ScanOptions {
  unsigned jobs = 0;  // 0: one per hardware thread
  formats::Limits limits;
  std::function<void(const Progress&)> on_progress;  // called from the calling thread ~10 times/s
  // Set: sealed files (given or met in a walk) are unsealed in memory and their plaintext scanned; unset,
  // they are reported as unscannable (sealed.encrypted).
  std::optional<Unsealer> unsealer;
};

class Scanner {
 public:
  Scanner(const Policy& policy, ScanOptions options);

  // Scans files and directory trees. Fails only when a path given does not exist or cannot be listed;
  // unreadable files inside a tree become findings. Stops early once cancellation is requested
  // (core/cancel.h: SIGINT/SIGTERM): the report then holds the files finished so far and complete=false.
  Result<ScanReport> Scan(const std::vector<std::string>& paths) const;

  // Scans bytes already in memory (used by tests, fuzzers and stdin). `source_path` is the file the bytes
  // came from, when they did (sibling files such as ONNX external data are resolved against it).
  FileReport ScanBytes(const std::string& display_path, formats::ByteView data,
                       const std::string& source_path = {}) const;
  FileReport ScanFile(const std::string& path) const;

 private:
  FileReport ScanSealed(const std::string& path, uint64_t sealed_size) const;
  const Policy& policy_;
  ScanOptions options_;
};

}  // namespace modelguard::scan
