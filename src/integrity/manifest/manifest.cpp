#include "modelguard/integrity/manifest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "modelguard/core/bytes.h"
#include "modelguard/core/cancel.h"
#include "modelguard/core/hash.h"
#include "modelguard/core/io.h"

namespace modelguard::integrity {
namespace fs = std::filesystem;
namespace {

constexpr size_t kReadChunk = 8 << 20;
constexpr const char* kGitNames[] = {".git", ".gitattributes", ".github", ".gitignore"};

DigestKind Kind(DigestAlgorithm a) {
  return a == DigestAlgorithm::kSha256 ? DigestKind::kSha256 : DigestKind::kBlake2b512;
}

struct Work {
  std::string name;
  fs::path path;
  uint64_t start, end;
  bool sealed = false;  // one item for the whole plaintext, which fills `resources` slots from `first`
  size_t first = 0, resources = 1;
};

constexpr char kSealedSuffix[] = ".sealed";

// Hashes bytes [start, end) of a file with pread, so shards of one file hash in parallel.
Result<std::vector<uint8_t>> HashRange(const fs::path& path, uint64_t start, uint64_t end, DigestAlgorithm algorithm,
                                       std::vector<uint8_t>& buffer) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError(ErrorCode::kIo, "cannot open '" + path.string() + "': " + std::strerror(errno));
  DigestStream stream(Kind(algorithm));
  uint64_t pos = start;
  while (pos < end) {
    if (cancel::Requested()) {  // SIGINT/SIGTERM: stop within one chunk, not at the end of a 100 GB file
      ::close(fd);
      return MakeError(ErrorCode::kLimit, "hashing '" + path.string() + "': " + cancel::Describe());
    }
    const size_t want = static_cast<size_t>(std::min<uint64_t>(end - pos, buffer.size()));
    const ssize_t got = ::pread(fd, buffer.data(), want, static_cast<off_t>(pos));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      ::close(fd);
      return MakeError(ErrorCode::kIo, "'" + path.string() + "' changed or could not be read while hashing");
    }
    stream.Update(std::string_view(reinterpret_cast<const char*>(buffer.data()), static_cast<size_t>(got)));
    pos += static_cast<uint64_t>(got);
  }
  ::close(fd);
  const std::string digest = stream.Finish();
  return std::vector<uint8_t>(digest.begin(), digest.end());
}

// The plaintext of a sealed file, hashed as it streams: one digest per shard (or one for the file).
Status HashSealed(const Work& work, const ManifestOptions& options, std::vector<ResourceDigest>& resources) {
  const uint64_t shard = options.method == ManifestMethod::kShards ? options.shard_size : work.end;
  size_t slot = work.first;
  uint64_t at = 0, shard_end = std::min(work.end, shard);
  auto stream = std::make_unique<DigestStream>(Kind(options.algorithm));
  uint64_t shard_start = 0;
  auto close_shard = [&] {
    const std::string digest = stream->Finish();
    resources[slot++] = {work.name, shard_start, shard_end, std::vector<uint8_t>(digest.begin(), digest.end())};
    stream = std::make_unique<DigestStream>(Kind(options.algorithm));
    shard_start = shard_end;
    shard_end = std::min(work.end, shard_start + shard);
  };
  const auto consume = [&](std::string_view bytes) -> Status {
    MG_TRY(cancel::Check("hashing '" + work.path.string() + "'"));
    while (!bytes.empty()) {
      if (at + bytes.size() > work.end)
        return MakeError(ErrorCode::kInvalidArgument,
                         "'" + work.path.string() + "' holds more plaintext than its header says");
      const size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), shard_end - at));
      stream->Update(bytes.substr(0, take));
      at += take;
      bytes.remove_prefix(take);
      if (at == shard_end && slot + 1 < work.first + work.resources) close_shard();
    }
    return Ok{};
  };
  MG_TRY(options.sealed->read(work.path.string(), consume));
  if (at != work.end)
    return MakeError(ErrorCode::kInvalidArgument,
                     "'" + work.path.string() + "' holds less plaintext than its header says");
  // The files method hashes an empty file too (one resource); the shards method has none for it.
  if (slot < work.first + work.resources) close_shard();
  return Ok{};
}

bool Ignored(const fs::path& relative, const std::vector<fs::path>& ignores, bool ignore_git) {
  for (const auto& part : relative) {
    if (ignore_git && std::find(std::begin(kGitNames), std::end(kGitNames), part.string()) != std::end(kGitNames))
      return true;
  }
  for (const auto& ig : ignores) {
    auto it = relative.begin();
    bool prefix = true;
    for (const auto& part : ig) {
      if (it == relative.end() || *it != part) {
        prefix = false;
        break;
      }
      ++it;
    }
    if (prefix) return true;
  }
  return false;
}

}  // namespace

const char* ToString(DigestAlgorithm algorithm) { return algorithm == DigestAlgorithm::kSha256 ? "sha256" : "blake2b"; }

std::string PlaintextName(const std::string& sealed_name) {
  const std::string_view suffix = kSealedSuffix;
  if (sealed_name.size() > suffix.size() && sealed_name.ends_with(suffix) &&
      sealed_name[sealed_name.size() - suffix.size() - 1] != '/')
    return sealed_name.substr(0, sealed_name.size() - suffix.size());
  return sealed_name;
}

std::string ResourceName(const Manifest& manifest, const ResourceDigest& r) {
  if (manifest.method == ManifestMethod::kFiles) return r.name;
  return r.name + ":" + std::to_string(r.start) + ":" + std::to_string(r.end);
}

std::string ManifestLine(const Manifest& manifest, const ResourceDigest& r) {
  return ResourceName(manifest, r) + ":" + HexEncode(r.digest);
}

Result<Manifest> BuildManifest(const std::string& model_path, const ManifestOptions& options) {
  if (options.method == ManifestMethod::kShards && options.shard_size == 0) {
    return MakeError(ErrorCode::kInvalidArgument, "shard size must be positive");
  }
  std::error_code ec;
  const fs::path root(model_path);
  const auto root_status = fs::symlink_status(root, ec);
  if (ec || !fs::exists(root_status))
    return MakeError(ErrorCode::kIo, "no such file or directory: '" + model_path + "'");
  if (fs::is_symlink(root_status) && !options.allow_symlinks) {
    return MakeError(ErrorCode::kInvalidArgument, "'" + model_path + "' is a symbolic link, which is not followed" +
                                                      (options.symlink_advice.empty() ? "" : "; ") +
                                                      options.symlink_advice);
  }
  std::vector<fs::path> ignores;
  for (const auto& ig : options.ignore_paths) {
    fs::path p(ig);
    if (p.is_absolute()) p = p.lexically_relative(fs::absolute(root, ec).lexically_normal());
    p = p.lexically_normal();
    // A path outside the model (or the model itself) must not become an empty prefix that ignores everything.
    if (p.empty() || p == "." || *p.begin() == "..") continue;
    ignores.push_back(p);
  }

  // Files, named by their path relative to the root; a single-file model is ".".
  struct FileEntry {
    std::string name;
    fs::path path;
    uint64_t size;
    bool sealed = false;
  };
  std::vector<FileEntry> files;
  auto add_file = [&](const fs::path& path, const std::string& name) -> Status {
    // Manifests name files in JSON (the in-toto statement a signature covers, the dataset manifest), and
    // JSON strings are Unicode: a name that is not UTF-8 has no faithful spelling there. Replacing its
    // bytes (U+FFFD) would sign a name that does not exist and could merge two files into one; escaping
    // them some private way would not verify anywhere else. So such a name is refused, named with its
    // bytes escaped.
    if (!IsValidUtf8(name)) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "file name is not valid UTF-8: '" + EscapeControlCharacters(path.string()) +
                           "' (manifests name files in JSON, which holds only UTF-8): rename it, or leave it out");
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return MakeError(ErrorCode::kIo, "cannot stat '" + path.string() + "'");
    if (!S_ISREG(st.st_mode))
      return MakeError(ErrorCode::kInvalidArgument,
                       "'" + path.string() + "' is not a regular file (special files cannot be signed)");
    if (options.sealed) {
      MG_ASSIGN_OR_RETURN(const std::string prefix, ReadFilePrefix(path.string(), 8));
      if (options.sealed->is_sealed(prefix)) {
        MG_ASSIGN_OR_RETURN(const uint64_t plaintext_size, options.sealed->plaintext_size(path.string()));
        files.push_back({PlaintextName(name), path, plaintext_size, true});
        return Ok{};
      }
    }
    files.push_back({name, path, static_cast<uint64_t>(st.st_size)});
    return Ok{};
  };
  if (fs::is_directory(fs::status(root, ec))) {
    fs::recursive_directory_iterator it(root, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
      MG_TRY(cancel::Check("walking '" + model_path + "'"));
      const fs::path relative = it->path().lexically_relative(root);
      if (Ignored(relative, ignores, options.ignore_git)) {
        if (it->is_directory(ec) && !it->is_symlink(ec)) it.disable_recursion_pending();
        continue;
      }
      const auto status = it->symlink_status(ec);
      if (fs::is_symlink(status)) {
        if (!options.allow_symlinks) {
          return MakeError(ErrorCode::kInvalidArgument,
                           "symbolic link '" + relative.generic_string() + "' in the model, which is not followed" +
                               (options.symlink_advice.empty() ? "" : "; ") + options.symlink_advice);
        }
        if (fs::is_directory(fs::status(it->path(), ec))) {
          return MakeError(ErrorCode::kUnsupported,
                           "symbolic link to a directory: '" + relative.generic_string() + "'");
        }
      } else if (fs::is_directory(status)) {
        continue;
      }
      MG_TRY(add_file(it->path(), relative.generic_string()));
    }
    if (ec) return MakeError(ErrorCode::kIo, "walking '" + model_path + "': " + ec.message());
  } else {
    MG_TRY(add_file(root, "."));
  }

  // Upstream orders resources by path components (pathlib ordering), then by shard start.
  auto by_components = [](const std::string& a, const std::string& b) {
    const fs::path pa(a), pb(b);
    return std::lexicographical_compare(pa.begin(), pa.end(), pb.begin(), pb.end(),
                                        [](const fs::path& x, const fs::path& y) { return x.string() < y.string(); });
  };
  std::sort(files.begin(), files.end(),
            [&](const FileEntry& a, const FileEntry& b) { return by_components(a.name, b.name); });
  // A sealed file named as its plaintext can meet the plaintext itself ("m.bin" beside "m.bin.sealed").
  for (size_t i = 1; i < files.size(); ++i) {
    if (files[i].name == files[i - 1].name)
      return MakeError(ErrorCode::kInvalidArgument, "'" + files[i - 1].path.string() + "' and '" +
                                                        files[i].path.string() + "' would both be named '" +
                                                        files[i].name + "' (a sealed file is named as its plaintext)");
  }

  std::vector<Work> work;
  size_t resource_count = 0;
  for (const auto& f : files) {
    if (f.sealed) {
      // One item streams the whole plaintext (chunks cannot be read from the middle) into all its shards.
      const size_t shards = options.method == ManifestMethod::kFiles
                                ? 1
                                : static_cast<size_t>(f.size / options.shard_size + (f.size % options.shard_size != 0));
      work.push_back({f.name, f.path, 0, f.size, true, resource_count, shards});
      resource_count += shards;
    } else if (options.method == ManifestMethod::kFiles) {
      work.push_back({f.name, f.path, 0, f.size, false, resource_count++, 1});
    } else {
      for (uint64_t start = 0; start < f.size; start += options.shard_size) {
        work.push_back(
            {f.name, f.path, start, std::min(f.size, start + options.shard_size), false, resource_count++, 1});
      }
    }
  }

  Manifest manifest;
  manifest.method = options.method;
  manifest.algorithm = options.algorithm;
  manifest.shard_size = options.method == ManifestMethod::kShards ? options.shard_size : 0;
  manifest.resources.resize(resource_count);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  Error first_error;
  std::mutex error_mu;
  auto worker = [&] {
    std::vector<uint8_t> buffer(kReadChunk);
    while (!failed) {
      const size_t i = next.fetch_add(1);
      if (i >= work.size()) break;
      if (work[i].sealed) {
        if (Status hashed = HashSealed(work[i], options, manifest.resources); !hashed) {
          std::lock_guard<std::mutex> lock(error_mu);
          if (!failed.exchange(true)) first_error = hashed.error();
          break;
        }
        continue;
      }
      auto digest = HashRange(work[i].path, work[i].start, work[i].end, options.algorithm, buffer);
      if (!digest) {
        std::lock_guard<std::mutex> lock(error_mu);
        if (!failed.exchange(true)) first_error = digest.error();
        break;
      }
      manifest.resources[work[i].first] = {work[i].name, work[i].start, work[i].end, std::move(*digest)};
    }
  };
  const unsigned jobs = std::max(1u, options.jobs ? options.jobs : std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::min<size_t>(jobs, std::max<size_t>(work.size(), 1)); ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (failed) return first_error;
  MG_TRY(cancel::Check("hashing '" + model_path + "'"));  // a signal after the last chunk: still stop

  DigestStream root_stream;
  for (const auto& r : manifest.resources) {
    root_stream.Update(std::string_view(reinterpret_cast<const char*>(r.digest.data()), r.digest.size()));
    manifest.bytes_hashed += r.end - r.start;
  }
  const std::string root_digest = root_stream.Finish();
  manifest.root_digest.assign(root_digest.begin(), root_digest.end());
  return manifest;
}

}  // namespace modelguard::integrity
