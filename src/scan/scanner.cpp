#include "modelguard/scan/scanner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "modelguard/core/cancel.h"
#include "modelguard/core/file_bytes.h"
#include "modelguard/core/version.h"
#include "modelguard/formats/catalog.h"

namespace modelguard::scan {
namespace fs = std::filesystem;
namespace {

constexpr auto kProgressInterval = std::chrono::milliseconds(100);

// The report of a special file: never opened, only described.
FileReport SpecialFileReport(const Policy& policy, const std::string& path, const std::string& type) {
  FileReport r;
  r.path = path;
  r.format = "special";
  const std::vector<formats::Fact> facts = {
      {kSpecialFile, "", std::nullopt, type, "",
       type + "; not opened (reading it could block forever or have side effects), so not scanned"}};
  r.findings = policy.Evaluate(facts, path);
  return r;
}

Finding ScanFinding(const Policy& policy, const std::string& rule_id, const std::string& location,
                    std::string message) {
  Finding f;
  f.rule_id = rule_id;
  const RuleConfig* rule = policy.Rule(rule_id);
  f.severity = rule ? rule->severity : Severity::kHigh;
  f.location = location;
  f.message = std::move(message);
  if (rule) f.remediation = rule->remediation;
  return f;
}

// What each extension promises comes from the format descriptors; a file whose content is something else
// misleads whoever picks a loader by name (CVE-2025-10155: a pickle named .bin/.pt slipped past
// extension-based scanning).
void CheckExtension(const std::string& path, const std::string& format, std::vector<formats::Fact>& facts) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  const auto* expected = formats::FormatCatalog::Registered().FormatsForExtension(ext);
  if (expected == nullptr || std::find(expected->begin(), expected->end(), format) != expected->end()) return;
  facts.push_back({kExtensionMismatch, "", std::nullopt, ext, format,
                   "named " + ext + " but the content is " + format +
                       "; tools that trust the name pick the wrong loader or skip the file"});
}

struct WorkItem {
  std::string path;
  uint64_t size = 0;
  std::optional<FileReport> ready;  // symlinks and special files are reported without scanning
};

// Walks a tree without following symlinks; links and special files become reports of their own. Stops
// when cancellation is requested (a tree of millions of entries takes a while to list).
void Collect(const Policy& policy, const fs::path& root, std::vector<WorkItem>& out) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  const fs::path canonical_root = fs::weakly_canonical(root, ec);
  for (; !ec && it != fs::recursive_directory_iterator() && !cancel::Requested(); it.increment(ec)) {
    const fs::directory_entry& entry = *it;
    std::error_code sec;
    const auto status = entry.symlink_status(sec);
    const std::string p = entry.path().string();
    if (fs::is_symlink(status)) {
      const fs::path target = fs::weakly_canonical(entry.path(), sec);
      const auto rel = target.lexically_relative(canonical_root);
      const bool inside = !sec && !rel.empty() && *rel.begin() != "..";
      FileReport r;
      r.path = p;
      r.format = "symlink";
      if (!inside) {
        r.findings.push_back(
            ScanFinding(policy, "scan.symlink", p,
                        "symbolic link to '" + target.string() + "' leaves the scanned tree and was not followed"));
      }
      out.push_back({p, 0, std::move(r)});
      continue;
    }
    if (fs::is_directory(status)) continue;
    if (!fs::is_regular_file(status)) {
      struct stat st {};
      const std::string type = ::lstat(p.c_str(), &st) == 0 ? SpecialFileType(st.st_mode) : "special file";
      out.push_back({p, 0, SpecialFileReport(policy, p, type)});
      continue;
    }
    out.push_back({p, static_cast<uint64_t>(entry.file_size(sec)), std::nullopt});
  }
  if (ec) {
    FileReport r;
    r.path = root.string();
    r.findings.push_back(
        ScanFinding(policy, "scan.io-error", root.string(), "directory walk stopped: " + ec.message()));
    out.push_back({root.string(), 0, std::move(r)});
  }
}

constexpr size_t kMaxModelCard = 1 << 20;

// `library_name:` from a Hugging Face model card's YAML front matter (between the first two "---" lines).
std::string DeclaredLibrary(const fs::path& readme) {
  std::ifstream in(readme);
  std::string line;
  if (!in || !std::getline(in, line) || line.rfind("---", 0) != 0) return {};
  size_t read = 0;
  while (std::getline(in, line) && (read += line.size()) < kMaxModelCard) {
    if (line.rfind("---", 0) == 0) break;
    if (line.rfind("library_name:", 0) == 0) {
      std::string value = line.substr(13);
      value.erase(0, value.find_first_not_of(" \t'\""));
      value.erase(value.find_last_not_of(" \t\r'\"") + 1);
      return value;
    }
  }
  return {};
}

// Repository-level view: Python files next to weights are what trust_remote_code and custom classes
// import (config.json's auto_map names them), and the model card's declared library must match the
// weights shipped. One finding per directory and rule.
void AddRepositoryFindings(const Policy& policy, ScanReport& report) {
  struct Dir {
    std::vector<std::string> python;
    bool weights = false;
    std::set<std::string> formats;
    bool has_readme = false;
  };
  std::map<std::string, Dir> dirs;
  for (const auto& f : report.files) {
    const fs::path p(f.path);
    Dir& d = dirs[p.parent_path().string()];
    if (p.extension() == ".py") d.python.push_back(p.filename().string());
    // Weights, and containers a library loads (a NeMo archive), are what a model card's library must match.
    const auto& catalog = formats::FormatCatalog::Registered();
    d.weights |= catalog.CarriesWeights(f.format);
    if (catalog.CarriesWeights(f.format) || catalog.LoadedByALibrary(f.format)) d.formats.insert(f.format);
    d.has_readme |= p.filename() == "README.md";
  }
  for (auto& [dir, d] : dirs) {
    if (d.has_readme && d.weights) {
      const std::string library = DeclaredLibrary(fs::path(dir) / "README.md");
      // Weight formats the declared library loads; a repository that declares one and ships none of them
      // is not what its card says (and the files it does ship are loaded some other way).
      const auto* expected =
          library.empty() ? nullptr : formats::FormatCatalog::Registered().FormatsForLibrary(library);
      const std::set<std::string>& shipped = d.formats;  // clang 14 cannot capture structured bindings
      if (expected != nullptr && std::none_of(expected->begin(), expected->end(),
                                              [&](std::string_view f) { return shipped.contains(std::string(f)); })) {
        std::string found;
        for (const auto& f : d.formats) found += (found.empty() ? "" : ", ") + f;
        FileReport r;
        r.path = (fs::path(dir) / "README.md").string();
        r.format = "model-card";
        r.findings.push_back(
            ScanFinding(policy, "repo.declared-format-mismatch", r.path,
                        "model card declares library_name: " + library + " but the weights here are " + found));
        report.files.push_back(std::move(r));
      }
    }
    if (d.python.empty() || !d.weights) continue;
    std::sort(d.python.begin(), d.python.end());
    std::string list;
    for (size_t i = 0; i < d.python.size() && i < 20; ++i) list += (i ? ", " : "") + d.python[i];
    if (d.python.size() > 20) list += ", ... (" + std::to_string(d.python.size()) + " files)";
    FileReport r;
    r.path = dir.empty() ? "." : dir;
    r.format = "directory";
    r.findings.push_back(
        ScanFinding(policy, "repo.custom-code", r.path, "Python source next to model weights: " + list));
    report.files.push_back(std::move(r));
  }
}

}  // namespace

std::vector<formats::FactKind> ScanFactKinds() { return {kExtensionMismatch, kSpecialFile, kUnsealed, kUnsealFailed}; }

Scanner::Scanner(const Policy& policy, ScanOptions options) : policy_(policy), options_(std::move(options)) {
  if (options_.jobs == 0) options_.jobs = std::max(1u, std::thread::hardware_concurrency());
}

FileReport Scanner::ScanBytes(const std::string& display_path, formats::ByteView data,
                              const std::string& source_path) const {
  const auto start = std::chrono::steady_clock::now();
  FileReport report;
  report.path = display_path;
  report.size = data.size();
  std::vector<formats::Fact> facts;
  formats::AnalysisContext ctx(options_.limits, facts, source_path);
  report.format = formats::AnalyzeBuffer(data, ctx);
  if (!source_path.empty()) CheckExtension(source_path, report.format, facts);
  for (const auto& f : facts) {
    if (f.kind == formats::fact::kFormat && !f.location.empty()) report.members_scanned.push_back(f.location);
  }
  report.findings = policy_.Evaluate(facts, display_path);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

FileReport Scanner::ScanFile(const std::string& path) const {
  // Checked before opening: opening some devices has effects of its own (a tape rewinds, a terminal
  // becomes the controlling one), and a FIFO's open waits for a writer.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
    return SpecialFileReport(policy_, path, SpecialFileType(st.st_mode));
  auto bytes = FileBytes::Open(path);
  if (!bytes && bytes.error().code == ErrorCode::kUnsupported)
    return SpecialFileReport(policy_, path, bytes.error().message);
  if (!bytes) {
    FileReport r;
    r.path = path;
    r.format = "unreadable";
    r.findings.push_back(ScanFinding(policy_, "scan.io-error", path, bytes.error().message));
    return r;
  }
  if (options_.unsealer && options_.unsealer->is_sealed(bytes->view())) return ScanSealed(path, bytes->view().size());
  return ScanBytes(path, bytes->view(), path);
}

FileReport Scanner::ScanSealed(const std::string& path, uint64_t sealed_size) const {
  const auto start = std::chrono::steady_clock::now();
  auto plaintext = options_.unsealer->open(path);
  if (!plaintext) {
    FileReport r;
    r.path = path;
    r.format = "sealed";
    r.size = sealed_size;
    const std::vector<formats::Fact> facts = {
        {kUnsealFailed, "", std::nullopt, "", "", "cannot unseal: " + plaintext.error().message}};
    r.findings = policy_.Evaluate(facts, path);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return r;
  }
  // No source path: the name is the sealed file's (".sealed" would not match the plaintext's format), and
  // siblings such as ONNX external data are sealed files of their own.
  FileReport r = ScanBytes(path, plaintext->bytes);
  const std::vector<formats::Fact> facts = {{kUnsealed, "", std::nullopt, r.format, "", plaintext->note}};
  for (auto& finding : policy_.Evaluate(facts, path)) r.findings.push_back(std::move(finding));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

Result<ScanReport> Scanner::Scan(const std::vector<std::string>& paths) const {
  const auto start = std::chrono::steady_clock::now();
  std::vector<WorkItem> items;
  for (const auto& p : paths) {
    std::error_code ec;
    const auto status = fs::symlink_status(p, ec);
    if (ec || !fs::exists(status)) return MakeError(ErrorCode::kIo, "no such file or directory: '" + p + "'");
    if (fs::is_directory(status)) {
      Collect(policy_, p, items);
      continue;
    }
    // Special files named on the command line are reported like those met in a walk, never opened; the
    // type is what the path leads to (a link to a FIFO is a FIFO).
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
      items.push_back({p, 0, SpecialFileReport(policy_, p, SpecialFileType(st.st_mode))});
      continue;
    }
    // A path named explicitly is scanned even through a symlink: the user chose it.
    items.push_back({p, static_cast<uint64_t>(fs::is_regular_file(p, ec) ? fs::file_size(p, ec) : 0), std::nullopt});
  }

  const bool walk_cut = cancel::Requested();  // files after the cut were never listed
  ScanReport report;
  report.tool_version = kVersion;
  report.files.resize(items.size());
  Progress progress;
  progress.files_total = items.size();
  for (const auto& i : items) progress.bytes_total += i.size;

  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  std::atomic<uint64_t> bytes_done{0};
  std::mutex mu;
  std::condition_variable cv;
  auto worker = [&] {
    while (true) {
      if (cancel::Requested()) break;
      const size_t i = next.fetch_add(1);
      if (i >= items.size()) break;
      WorkItem& item = items[i];
      report.files[i] = item.ready ? std::move(*item.ready) : ScanFile(item.path);
      bytes_done += item.size;
      if (done.fetch_add(1) + 1 == items.size()) {
        std::lock_guard<std::mutex> lock(mu);
        cv.notify_all();
      }
    }
  };
  const unsigned threads = static_cast<unsigned>(std::min<size_t>(options_.jobs, std::max<size_t>(items.size(), 1)));
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(worker);
  {
    std::unique_lock<std::mutex> lock(mu);
    while (done.load() < items.size() && !cancel::Requested()) {
      cv.wait_for(lock, kProgressInterval);
      if (options_.on_progress) {
        progress.files_done = done.load();
        progress.bytes_done = bytes_done.load();
        options_.on_progress(progress);
      }
    }
  }
  // Workers stop before their next file; the file in progress stops at its next member or chunk.
  for (auto& t : pool) t.join();
  if (cancel::Requested()) {
    // Keep what finished and say the rest was not scanned: an interrupted scan must not look complete.
    std::erase_if(report.files, [](const FileReport& f) { return f.path.empty(); });
    report.complete = false;
    report.incomplete_reason = cancel::Describe() + " after " + std::to_string(report.files.size()) + " of " +
                               std::to_string(items.size()) + " files" +
                               (walk_cut ? " (the directory walk was cut short too)" : "");
  }
  AddRepositoryFindings(policy_, report);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace modelguard::scan
