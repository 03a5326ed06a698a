// inventory discover: walk, skip what the cache says is unchanged, read the rest on every core, record.
#include "modelguard/governance/discover.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "modelguard/core/cancel.h"
#include "modelguard/core/clock.h"
#include "modelguard/core/file_bytes.h"
#include "modelguard/core/hash.h"
#include "modelguard/core/json_fields.h"
#include "modelguard/formats/format.h"
#include "src/governance/discover/asset_rules.h"

namespace modelguard::governance {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxProblems = 200;
constexpr size_t kHashChunk = size_t{1} << 20;
constexpr size_t kMaxValueBytes = 256;  // a recorded value longer than this is cut (it came from a file)
constexpr size_t kGenericContextBytes = 80;
constexpr size_t kMaxExtractSpan = 4096;

std::string Redact(std::string_view secret) {
  if (secret.size() < 12) return std::string(secret.size(), '*');
  return std::string(secret.substr(0, 4)) + "..." + std::string(secret.substr(secret.size() - 4)) + " (" +
         std::to_string(secret.size()) + " chars)";
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// Line numbers of increasing offsets, counted once through the text.
class LineCounter {
 public:
  explicit LineCounter(std::string_view text) : text_(text) {}
  uint64_t LineOf(size_t offset) {
    if (offset < offset_) {
      offset_ = 0;
      line_ = 1;
    }
    offset = std::min(offset, text_.size());
    line_ += static_cast<uint64_t>(std::count(text_.begin() + static_cast<std::ptrdiff_t>(offset_),
                                              text_.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
    offset_ = offset;
    return line_;
  }

 private:
  std::string_view text_;
  size_t offset_ = 0;
  uint64_t line_ = 1;
};

class Collector {
 public:
  void Add(Asset asset) {
    if (asset.value.size() > kMaxValueBytes) asset.value.resize(kMaxValueBytes);
    const std::string key = asset.kind + '\n' + asset.value + '\n' + asset.digest;
    if (seen_.insert(key).second) assets_.push_back(std::move(asset));
  }
  std::vector<Asset> Take() { return std::move(assets_); }

 private:
  std::set<std::string> seen_;
  std::vector<Asset> assets_;
};

void ScanCode(const AssetRules& rules, FileType type, std::string_view text, std::string_view detail_suffix,
              Collector& out) {
  const guard::PatternSet* set = rules.Patterns(type);
  if (!set) return;
  const auto& compiled = rules.Rules(type);
  LineCounter lines(text);
  for (const guard::PatternMatch& match : set->Scan(text)) {
    const CompiledAssetRule& rule = compiled[match.pattern];
    std::string_view span = text.substr(match.begin, match.end - match.begin);
    // std::regex recurses per character: a match spanning a minified megabyte line is read at its ends
    // only (where every rule's value sits), never whole.
    std::string head_and_tail;
    if (span.size() > kMaxExtractSpan) {
      head_and_tail.assign(span.substr(0, kMaxExtractSpan / 2));
      head_and_tail += '\n';
      head_and_tail.append(span.substr(span.size() - kMaxExtractSpan / 2));
      span = head_and_tail;
    }
    Asset asset;
    asset.kind = rule.kind;
    asset.detail = rule.detail + std::string(detail_suffix);
    if (!rule.value.empty()) {
      asset.value = rule.value;
    } else {
      std::match_results<std::string_view::const_iterator> found;
      if (!std::regex_search(span.begin(), span.end(), found, *rule.extract) || found.size() < 2 ||
          found[1].length() == 0)
        continue;
      asset.value = found[1].str();
      if (rule.kind == "endpoint") asset.value = Lower(asset.value);
    }
    asset.line = lines.LineOf(match.begin);
    out.Add(std::move(asset));
  }
}

void ScanCredentials(const AssetRules& rules, std::string_view text, Collector& out, bool& incomplete) {
  if (!rules.secrets) return;
  bool partial = false;
  const auto detections = rules.secrets->FindEntities(text, false, true, &partial);
  incomplete = incomplete || partial;
  LineCounter lines(text);
  for (const auto& d : detections) {
    const bool listed = std::find(rules.credential_labels.begin(), rules.credential_labels.end(), d.entity) !=
                        rules.credential_labels.end();
    bool generic = false;
    if (!listed && !rules.generic_label.empty() && d.entity == rules.generic_label) {
      // A generic secret counts when the name it is assigned to says which AI service it is for.
      const size_t from = d.begin > kGenericContextBytes ? d.begin - kGenericContextBytes : 0;
      std::string_view before = text.substr(from, d.begin - from);
      if (const size_t newline = before.rfind('\n'); newline != std::string_view::npos)
        before.remove_prefix(newline + 1);
      const std::string context = Lower(before);
      generic = std::any_of(rules.generic_context.begin(), rules.generic_context.end(),
                            [&](const std::string& word) { return context.find(word) != std::string::npos; });
    }
    if (!listed && !generic) continue;
    Asset asset;
    asset.kind = "credential";
    asset.value = Redact(text.substr(d.begin, d.end - d.begin));
    asset.detail = d.entity;
    asset.line = lines.LineOf(d.begin);
    out.Add(std::move(asset));
  }
}

// Servers of MCP client configurations: the members of an object under one of the known keys.
void FindMcpServers(const AssetRules& rules, const nlohmann::json& node, std::string_view text, int depth,
                    Collector& out) {
  if (depth > 8) return;
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      const bool listed =
          std::find(rules.mcp_json_keys.begin(), rules.mcp_json_keys.end(), key) != rules.mcp_json_keys.end();
      if (listed && value.is_object()) {
        for (const auto& [server, config] : value.items()) {
          Asset asset;
          asset.kind = "mcp-server";
          asset.value = server;
          std::string detail = "MCP server";
          if (config.is_object()) {
            if (auto command = config.find("command"); command != config.end() && command->is_string())
              detail += ": " + command->get<std::string>();
            else if (auto url = config.find("url"); url != config.end() && url->is_string())
              detail += ": " + url->get<std::string>();
          }
          asset.detail = detail.substr(0, kMaxValueBytes);
          const size_t at = text.find("\"" + server + "\"");
          asset.line = at == std::string_view::npos ? 0 : LineCounter(text).LineOf(at);
          out.Add(std::move(asset));
        }
      } else {
        FindMcpServers(rules, value, text, depth + 1, out);
      }
    }
  } else if (node.is_array()) {
    for (const auto& item : node) FindMcpServers(rules, item, text, depth + 1, out);
  }
}

// A notebook's code cells joined (one line between cells), for the Python rules.
std::string NotebookCode(const nlohmann::json& notebook) {
  std::string code;
  auto cells = notebook.find("cells");
  if (cells == notebook.end() || !cells->is_array()) return code;
  for (const auto& cell : *cells) {
    if (!cell.is_object() || cell.value("cell_type", nlohmann::json()) != "code") continue;
    auto source = cell.find("source");
    if (source == cell.end()) continue;
    if (source->is_string()) {
      code += source->get<std::string>();
    } else if (source->is_array()) {
      for (const auto& line : *source)
        if (line.is_string()) code += line.get<std::string>();
    }
    code += '\n';
  }
  return code;
}

// Whether a file named as source or configuration could still be a model: every format that counts there
// (a strong sniff) starts with binary magic or holds NUL bytes early (safetensors' length, tar and zip
// headers, numpy's header). Plain text is spared the full detection, which costs more than reading it.
bool MayBeBinaryModel(std::span<const uint8_t> bytes) {
  constexpr size_t kProbe = 4096;
  const size_t n = std::min(bytes.size(), kProbe);
  if (std::memchr(bytes.data(), 0, n) != nullptr) return true;
  const std::string_view head(reinterpret_cast<const char*>(bytes.data()), n);
  for (std::string_view magic :
       {std::string_view("\x80"), std::string_view("\x1f\x8b"), std::string_view("BZh"),
        std::string_view("\xfd"
                         "7zXZ"),
        std::string_view("\x28\xb5\x2f\xfd"), std::string_view("\x04\x22\x4d\x18"), std::string_view("PK"),
        std::string_view("\x93NUMPY"), std::string_view("GGUF"), std::string_view("\x89HDF"),
        std::string_view("7z\xbc\xaf"), std::string_view("MGSEAL")}) {
    if (head.starts_with(magic)) return true;
  }
  return n >= 8 && head.substr(4, 4) == "TFL3";
}

bool ModelFormat(std::span<const uint8_t> bytes, FileType type, std::string& format) {
  if (type != FileType::kOther && !MayBeBinaryModel(bytes)) return false;
  const formats::FormatAnalyzer* analyzer = formats::Detect(bytes);
  if (!analyzer || !analyzer->descriptor().carries_weights) return false;
  // Text that merely could be a protocol-0 pickle is source code when its name says so.
  if (type != FileType::kOther && analyzer->Sniff(bytes) != formats::SniffResult::kStrong) return false;
  format = std::string(analyzer->name());
  return true;
}

}  // namespace

std::vector<Asset> FindAssets(const AssetRules& rules, std::string_view path, std::string_view bytes,
                              uint64_t max_text_bytes) {
  Collector out;
  const FileType type = rules.TypeOf(path);
  const std::span<const uint8_t> view(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  std::string format;
  if (!bytes.empty() && ModelFormat(view, type, format)) {
    Asset asset;
    asset.kind = "model-file";
    asset.value = format;
    asset.detail = format + " model file";
    asset.size = bytes.size();
    DigestStream digest;
    for (size_t at = 0; at < bytes.size(); at += kHashChunk) digest.Update(bytes.substr(at, kHashChunk));
    asset.digest = "sha256:" + digest.HexDigest();
    out.Add(std::move(asset));
    return out.Take();
  }
  if (type == FileType::kOther || bytes.size() > max_text_bytes) return out.Take();
  bool incomplete = false;
  if (type == FileType::kNotebook) {
    auto notebook = ParseJsonWithinLimits(bytes);
    if (notebook && notebook->is_object()) ScanCode(rules, type, NotebookCode(*notebook), " (notebook cell)", out);
  } else {
    ScanCode(rules, type, bytes, "", out);
  }
  if (type == FileType::kConfig && path.ends_with(".json") && !rules.mcp_json_keys.empty()) {
    const bool mentions =
        std::any_of(rules.mcp_json_keys.begin(), rules.mcp_json_keys.end(),
                    [&](const std::string& key) { return bytes.find("\"" + key + "\"") != std::string_view::npos; });
    if (mentions) {
      if (auto doc = ParseJsonWithinLimits(bytes); doc) FindMcpServers(rules, *doc, bytes, 0, out);
    }
  }
  ScanCredentials(rules, bytes, out, incomplete);
  return out.Take();
}

namespace {

struct WalkedFile {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
};

std::string FileName(std::string_view path) {
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

std::string Directory(std::string_view path) {
  const size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? std::string_view(".") : path.substr(0, slash));
}

std::string Stem(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

bool IsRegularFile(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// A model-signing bundle or a CycloneDX BOM next to the model file, by the names the tools give them.
void Sidecars(const std::string& path, bool& signature, bool& bom) {
  const std::string dir = Directory(path) + "/";
  const std::string name = FileName(path);
  const std::string stem = Stem(name);
  const auto has = [&](const std::string& file) { return IsRegularFile(dir + file); };
  signature = has("model.sig") || has(name + ".sig") || has(stem + ".sig") || has(name + ".sigstore.json") ||
              has(stem + ".sigstore.json");
  bom = has("bom.json") || has("bom.cdx.json") || has(name + ".cdx.json") || has(stem + ".cdx.json") ||
        has(name + ".bom.json") || has(stem + ".bom.json");
}

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

constexpr int kMaxDepth = 256;  // deeper trees are reported, not followed (each level holds a descriptor)

// Every regular file under the directory `fd` (taken over and closed) names, looked up relative to its
// directory (no path resolution per file) and never through a link; excluded names are not entered.
void WalkDirectory(int fd, const std::string& path, int depth, const std::set<std::string>& excluded,
                   std::vector<WalkedFile>& walked, const std::function<void(std::string)>& problem) {
  DIR* dir = ::fdopendir(fd);
  if (!dir) {
    problem(path + ": " + std::strerror(errno));
    ::close(fd);
    return;
  }
  std::vector<std::string> subdirectories;
  errno = 0;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    unsigned char type = entry->d_type;
    struct stat st {};
    if (type == DT_UNKNOWN || type == DT_REG) {
      if (::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        problem(path + "/" + std::string(name) + ": " + std::strerror(errno));
        continue;
      }
      type = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_UNKNOWN;
    }
    if (type == DT_DIR) {
      if (!excluded.count(std::string(name))) subdirectories.emplace_back(name);
    } else if (type == DT_LNK) {
      continue;  // its target is found where it lives, if under a root
    } else if (type == DT_REG) {
      walked.push_back({path + "/" + std::string(name), static_cast<uint64_t>(st.st_size), MtimeNs(st)});
    } else {
      if (type != DT_UNKNOWN || st.st_mode == 0) ::fstatat(::dirfd(dir), entry->d_name, &st, AT_SYMLINK_NOFOLLOW);
      problem(path + "/" + std::string(name) + ": " + SpecialFileType(st.st_mode) + ", not opened");
    }
  }
  for (const std::string& name : subdirectories) {
    if (cancel::Requested()) break;
    const std::string child_path = path + "/" + name;
    if (depth + 1 > kMaxDepth) {
      problem(child_path + ": deeper than " + std::to_string(kMaxDepth) + " directories, not entered");
      continue;
    }
    const int child = ::openat(::dirfd(dir), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child < 0) {
      problem(child_path + ": " + std::strerror(errno));
      continue;
    }
    WalkDirectory(child, child_path, depth + 1, excluded, walked, problem);
  }
  ::closedir(dir);
}

}  // namespace

Result<DiscoverResult> Discover(Store& store, const std::string& root_argument, const DiscoverOptions& options) {
  std::error_code ec;
  const fs::path absolute = fs::absolute(root_argument, ec);
  if (ec) return MakeError(ErrorCode::kIo, "cannot resolve '" + root_argument + "': " + ec.message());
  std::string root = absolute.lexically_normal().string();
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  struct stat root_stat {};
  if (::lstat(root.c_str(), &root_stat) != 0)
    return MakeError(ErrorCode::kIo, "cannot read '" + root_argument + "': " + std::strerror(errno));
  if (!S_ISDIR(root_stat.st_mode) && !S_ISREG(root_stat.st_mode))
    return MakeError(ErrorCode::kInvalidArgument, "'" + root_argument + "' is a " + SpecialFileType(root_stat.st_mode) +
                                                      ", not a file or directory");

  const int64_t started = NowUnixSeconds();
  DiscoverResult result;
  const auto problem = [&result](std::string text) {
    ++result.skipped;
    if (result.problems.size() < kMaxProblems) result.problems.push_back(std::move(text));
  };

  // What the last run left, read from the store while the walk runs (one is the database, the other the
  // kernel's directory tree: on two cores they overlap).
  auto previous = std::async(std::launch::async, [&store, &root]() {
    return std::make_pair(store.FileCache(root), store.PresentAssets(root));
  });

  // 1. Walk: every regular file, without following links or entering excluded directories.
  std::vector<WalkedFile> walked;
  if (S_ISREG(root_stat.st_mode)) {
    walked.push_back({root, static_cast<uint64_t>(root_stat.st_size), MtimeNs(root_stat)});
  } else {
    const int fd = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
      const int error = errno;
      previous.wait();
      return MakeError(ErrorCode::kIo, "cannot list '" + root_argument + "': " + std::strerror(error));
    }
    const std::set<std::string> excluded(options.exclude.begin(), options.exclude.end());
    WalkDirectory(fd, root, 0, excluded, walked, problem);
  }
  auto [cached_result, before_result] = previous.get();
  if (cancel::Requested()) return MakeError(ErrorCode::kLimit, "discovery " + cancel::Describe());

  // 2. The cache: unchanged files are not read; files gone since the last run are forgotten.
  MG_ASSIGN_OR_RETURN(auto cached_list, std::move(cached_result));
  struct CacheEntry {
    CachedFile file;
    bool walked = false;  // still there: files the cache holds and the walk did not find are gone
  };
  std::unordered_map<std::string, CacheEntry> cache;
  cache.reserve(cached_list.size() * 2);
  for (auto& [path, file] : cached_list) cache.emplace(std::move(path), CacheEntry{file});
  std::vector<size_t> todo;
  std::vector<bool> known;
  std::vector<std::string> unchanged_models;
  for (size_t i = 0; i < walked.size(); ++i) {
    const auto cached = cache.find(walked[i].path);
    if (cached != cache.end()) cached->second.walked = true;
    const auto found = options.use_cache ? cached : cache.end();
    if (found != cache.end() && found->second.file.size == walked[i].size &&
        found->second.file.mtime_ns == walked[i].mtime_ns) {
      if (found->second.file.model) unchanged_models.push_back(walked[i].path);
    } else {
      todo.push_back(i);
      known.push_back(cached != cache.end());
    }
  }
  std::vector<std::string> vanished;
  for (const auto& [path, entry] : cache)
    if (!entry.walked) vanished.push_back(path);
  std::sort(vanished.begin(), vanished.end());

  MG_ASSIGN_OR_RETURN(auto before, std::move(before_result));

  // 3. Read what changed, on every core. The rules are loaded only then: an unchanged tree needs none.
  std::shared_ptr<const AssetRules> rules = options.rules;
  if (!rules && !todo.empty()) {
    MG_ASSIGN_OR_RETURN(rules, DefaultAssetRules());
  }
  std::vector<FileFindings> findings(todo.size());
  std::vector<std::string> read_problems(todo.size());
  std::atomic<size_t> next{0}, done{0};
  std::atomic<bool> stop{false};
  const auto work = [&]() {
    for (size_t k; (k = next.fetch_add(1)) < todo.size();) {
      if (stop.load() || (cancel::Requested())) {
        stop = true;
        break;
      }
      const WalkedFile& file = walked[todo[k]];
      FileFindings& out = findings[k];
      out.path = file.path;
      out.size = file.size;
      out.mtime_ns = file.mtime_ns;
      out.known = known[k];
      auto bytes = FileBytes::Open(file.path);
      if (!bytes) {
        read_problems[k] = file.path + ": " + bytes.error().message;
        out.path.clear();
      } else {
        out.assets = FindAssets(*rules, file.path, bytes->text(), options.max_text_bytes);
        for (Asset& asset : out.assets) {
          if (asset.kind == "model-file") Sidecars(file.path, asset.signature, asset.bom);
        }
      }
      done.fetch_add(1);
    }
  };
  unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<size_t>(threads, std::max<size_t>(1, todo.size())));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  if (options.progress) {
    // The calling thread reports progress while the others work, then helps finish.
    while (done.load() + 64 < todo.size() && !stop.load() && pool.size() > 0) {
      options.progress(walked.size(), done.load());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  work();
  for (auto& thread : pool) thread.join();
  if (stop.load() || (cancel::Requested()))
    return MakeError(ErrorCode::kLimit, "discovery " + cancel::Describe() + ": nothing of this run was recorded");
  if (options.progress) options.progress(walked.size(), todo.size());

  std::vector<FileFindings> read;
  read.reserve(findings.size());
  for (size_t k = 0; k < findings.size(); ++k) {
    if (!read_problems[k].empty()) {
      problem(read_problems[k]);
      continue;
    }
    read.push_back(std::move(findings[k]));
  }

  // 4. Record.
  const int64_t now = NowUnixSeconds();
  MG_TRY(store.RecordFiles(root, read, now));
  MG_TRY(store.ForgetFiles(vanished, now));
  for (const std::string& path : unchanged_models) {
    bool signature = false, bom = false;
    Sidecars(path, signature, bom);
    MG_TRY(store.SetSidecars(path, signature, bom));
  }
  MG_ASSIGN_OR_RETURN(result.run, store.FinishRun(root, started, now, walked.size(), read.size()));
  MG_ASSIGN_OR_RETURN(auto after, store.PresentAssets(root));
  const std::set<std::string> before_set(before.begin(), before.end()), after_set(after.begin(), after.end());
  for (const auto& key : after_set) result.added += before_set.count(key) ? 0 : 1;
  for (const auto& key : before_set) result.gone += after_set.count(key) ? 0 : 1;
  return result;
}

}  // namespace modelguard::governance
