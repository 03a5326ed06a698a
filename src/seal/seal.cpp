// Sealing, unsealing and re-keying model files (seal.h has the layout).
#include "modelguard/seal/seal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "modelguard/core/bytes.h"
#include "modelguard/core/hash.h"
#include "modelguard/core/io.h"
#include "modelguard/core/random.h"
#include "src/seal/crypto.h"

namespace modelguard::seal {
namespace {

constexpr const char* kFormat = "modelguard.sealed/v1";
constexpr const char* kCipher = "aes-256-gcm";
constexpr size_t kPrefixBytes = sizeof kMagic + 4;
constexpr size_t kMacBytes = 32;

std::string RandomBytes(size_t n) {
  std::string out(n, '\0');
  if (!SecureRandomBytes({reinterpret_cast<uint8_t*>(out.data()), n})) out.clear();
  return out;
}

bool IsHex(const std::string& text, size_t digits) {
  return text.size() == digits && HexDecode(text, HexCase::kLowerOnly).has_value();
}

// An open file read with pread, closed on destruction.
class InputFile {
 public:
  static Result<InputFile> Open(const std::string& path) {
    InputFile file;
    file.path_ = path;
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below); regular files
    // read the same either way.
    file.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (file.fd_ < 0) return MakeError(ErrorCode::kIo, "cannot open '" + path + "': " + std::strerror(errno));
    struct stat info {};
    if (::fstat(file.fd_, &info) != 0 || !S_ISREG(info.st_mode))
      return MakeError(ErrorCode::kInvalidArgument, "'" + path + "' is not a regular file");
    file.size_ = static_cast<uint64_t>(info.st_size);
    return file;
  }
  InputFile() = default;
  InputFile(InputFile&& other) noexcept
      : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}
  InputFile& operator=(InputFile&& other) noexcept {
    if (this != &other) {
      if (fd_ >= 0) ::close(fd_);
      path_ = std::move(other.path_);
      fd_ = std::exchange(other.fd_, -1);
      size_ = other.size_;
    }
    return *this;
  }
  ~InputFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  uint64_t size() const { return size_; }
  // Exactly `n` bytes at `offset` into `out`; fewer is an error (the file shrank or is truncated).
  Status ReadExactly(uint64_t offset, char* out, size_t n, const char* what) const {
    size_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return MakeError(ErrorCode::kIo, "cannot read '" + path_ + "': " + std::strerror(errno));
      if (got == 0) return MakeError(ErrorCode::kParse, "'" + path_ + "' ends inside " + what + " (truncated?)");
      done += static_cast<size_t>(got);
    }
    return Ok{};
  }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
};

// Batches of chunks through four stages at once: read (the caller's thread), transform (encrypt or decrypt:
// `workers` threads, the chunks of a batch in parallel), hash and write (a thread each, batches in order).
// The hash reads a batch's input when sealing and its output when unsealing. A few batches are in flight,
// so reading, hashing, the cipher and writing overlap and memory stays bounded. The first error stops
// every stage and is returned.
class ChunkPipeline {
 public:
  struct Stages {
    uint64_t chunks = 0;
    size_t batch_chunks = 1;
    unsigned workers = 1;
    bool hash_input = true;
    std::function<Status(uint64_t index, std::string& in)> read;
    std::function<Status(uint64_t index, const std::string& in, std::string& out)> transform;
    std::function<void(const std::string& bytes)> hash;
    std::function<Status(const std::string& out)> write;
  };

  static Status Run(const Stages& stages) {
    ChunkPipeline pipeline(stages);
    return pipeline.Go();
  }

 private:
  static constexpr size_t kSlots = 3;
  struct Slot {
    int64_t batch = -1;
    size_t count = 0;
    std::vector<std::string> in, out;
    bool read = false, transformed = false, hashed = false, written = false;
    size_t next = 0, done = 0;  // chunks taken and finished by the workers
  };

  explicit ChunkPipeline(const Stages& stages) : stages_(stages) {
    batches_ = (stages.chunks + stages.batch_chunks - 1) / stages.batch_chunks;
    for (Slot& slot : slots_) {
      slot.in.resize(stages.batch_chunks);
      slot.out.resize(stages.batch_chunks);
    }
  }

  Slot& SlotOf(uint64_t batch) { return slots_[batch % kSlots]; }
  bool Has(uint64_t batch) { return SlotOf(batch).batch == static_cast<int64_t>(batch); }

  void Fail(Error error) {
    std::lock_guard lock(mutex_);
    if (!error_) error_ = std::move(error);
    changed_.notify_all();
  }

  Status Go() {
    std::vector<std::thread> threads;
    threads.emplace_back([this] { Hasher(); });
    threads.emplace_back([this] { Writer(); });
    for (unsigned w = 0; w < std::max(1u, stages_.workers); ++w) threads.emplace_back([this] { Worker(); });
    Reader();
    for (auto& t : threads) t.join();
    if (error_) return *error_;
    return Ok{};
  }

  void Reader() {
    for (uint64_t batch = 0; batch < batches_; ++batch) {
      Slot& slot = SlotOf(batch);
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return error_ || slot.batch < 0 || (slot.hashed && slot.written); });
        if (error_) return;
      }
      const uint64_t first = batch * stages_.batch_chunks;
      const size_t count = static_cast<size_t>(std::min<uint64_t>(stages_.batch_chunks, stages_.chunks - first));
      for (size_t i = 0; i < count; ++i) {
        if (Status status = stages_.read(first + i, slot.in[i]); !status) return Fail(status.error());
      }
      std::lock_guard lock(mutex_);
      slot.batch = static_cast<int64_t>(batch);
      slot.count = count;
      slot.read = true;
      slot.transformed = slot.hashed = slot.written = false;
      slot.next = slot.done = 0;
      changed_.notify_all();
    }
  }

  void Worker() {
    for (uint64_t batch = 0; batch < batches_; ++batch) {
      Slot& slot = SlotOf(batch);
      for (;;) {
        size_t i = 0;
        {
          std::unique_lock lock(mutex_);
          // A slot only moves on to later batches, and only once every stage is done with the one it held:
          // a worker that finds a later batch there was late, and this batch is finished.
          changed_.wait(
              lock, [&] { return error_ || slot.batch > static_cast<int64_t>(batch) || (Has(batch) && slot.read); });
          if (error_) return;
          if (!Has(batch) || slot.next == slot.count) break;  // every chunk taken: on to the next batch
          i = slot.next++;
        }
        const uint64_t index = batch * stages_.batch_chunks + i;
        if (Status status = stages_.transform(index, slot.in[i], slot.out[i]); !status) return Fail(status.error());
        std::lock_guard lock(mutex_);
        if (++slot.done == slot.count) {
          slot.transformed = true;
          changed_.notify_all();
        }
      }
    }
  }

  // A stage that takes the batches in order: waits until `ready(slot)`, runs `work` on the slot outside
  // the lock, then sets the slot's `done` flag.
  template <typename Ready, typename Work>
  void InOrder(const Ready& ready, const Work& work, bool Slot::*done) {
    for (uint64_t batch = 0; batch < batches_; ++batch) {
      Slot& slot = SlotOf(batch);
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return error_ || (Has(batch) && ready(slot)); });
        if (error_) return;
      }
      if (Status status = work(slot); !status) return Fail(status.error());
      std::lock_guard lock(mutex_);
      slot.*done = true;
      changed_.notify_all();
    }
  }

  void Hasher() {
    InOrder([&](const Slot& slot) { return stages_.hash_input ? slot.read : slot.transformed; },
            [&](const Slot& slot) -> Status {
              for (size_t i = 0; i < slot.count; ++i) stages_.hash(stages_.hash_input ? slot.in[i] : slot.out[i]);
              return Ok{};
            },
            &Slot::hashed);
  }

  void Writer() {
    InOrder([](const Slot& slot) { return slot.transformed; },
            [&](const Slot& slot) -> Status {
              for (size_t i = 0; i < slot.count; ++i) MG_TRY(stages_.write(slot.out[i]));
              return Ok{};
            },
            &Slot::written);
  }

  const Stages& stages_;
  uint64_t batches_ = 0;
  Slot slots_[kSlots];
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Error> error_;
};

// Chunks per batch: two per core, within about 16 MiB (a batch is held twice, as input and output, in each
// of the pipeline's slots).
size_t BatchChunks(uint64_t chunk_size, unsigned threads) {
  return static_cast<size_t>(std::max<uint64_t>(1, std::min<uint64_t>(2 * threads, (uint64_t{16} << 20) / chunk_size)));
}

unsigned Threads(unsigned wanted) { return wanted ? wanted : std::max(1u, std::thread::hardware_concurrency()); }

nlohmann::ordered_json SlotJson(const KeySlot& slot, bool with_wrapped) {
  nlohmann::ordered_json out{{"kind", slot.kind}};
  if (slot.kind == "file") out["id"] = slot.key_id;
  if (slot.kind == "passphrase")
    out["argon2id"] = {{"ops", slot.argon2_ops}, {"mem_kib", slot.argon2_mem_kib}, {"salt", slot.argon2_salt}};
  if (with_wrapped) out["wrapped"] = slot.wrapped;
  return out;
}

// The wrap's associated data: the slot's other fields, so none of them can be changed alone.
std::string WrapAad(const KeySlot& slot) { return "modelguard-seal/v1 key " + SlotJson(slot, false).dump(); }

// The key-encryption key a source gives for a slot (new slots get their salt and cost here first).
Result<std::string> KeyEncryptionKey(const KeySource& source, KeySlot& slot, bool creating,
                                     const SealOptions& options) {
  if (!source.key_file.empty()) {
    MG_ASSIGN_OR_RETURN(std::string key, ReadKeyFile(source.key_file));
    const std::string id = KeyId(key);
    if (creating) {
      slot.kind = "file";
      slot.key_id = id;
    } else if (slot.kind != "file") {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the file was sealed with a " + KeyKindName(slot.kind) + ", not a key file");
    } else if (slot.key_id != id) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "wrong key: the file was sealed under key " + slot.key_id + ", this key file holds " + id);
    }
    return key;
  }
  if (!source.passphrase.empty()) {
    if (creating) {
      slot.kind = "passphrase";
      slot.argon2_ops = options.argon2_ops;
      slot.argon2_mem_kib = options.argon2_mem_kib;
      slot.argon2_salt = HexEncode(RandomBytes(16));
    } else if (slot.kind != "passphrase") {
      return MakeError(ErrorCode::kInvalidArgument,
                       "the file was sealed with a " + KeyKindName(slot.kind) + ", not a passphrase");
    }
    return PassphraseKey(source.passphrase, *HexDecode(slot.argon2_salt), slot.argon2_ops, slot.argon2_mem_kib);
  }
  return MakeError(ErrorCode::kInvalidArgument, "no key: give a key file, a passphrase or a key command");
}

Status WrapDataKey(const KeySource& source, std::string_view data_key, KeySlot& slot, const SealOptions& options) {
  slot = {};
  if (!source.key_command.empty()) {
    slot.kind = "command";
    MG_ASSIGN_OR_RETURN(slot.wrapped, RunKeyCommand(source.key_command, "wrap", HexEncode(data_key) + "\n"));
    if (slot.wrapped.empty()) return MakeError(ErrorCode::kParse, "the key command's 'wrap' gave nothing");
    for (char c : slot.wrapped)
      if (c < 0x21 || c > 0x7e)
        return MakeError(ErrorCode::kParse, "the key command's 'wrap' must print one line of printable ASCII");
    return Ok{};
  }
  MG_ASSIGN_OR_RETURN(std::string kek, KeyEncryptionKey(source, slot, true, options));
  const std::string nonce = RandomBytes(12);
  std::string sealed(data_key.size() + kTagBytes, '\0');
  if (nonce.size() != 12 || !AesGcmSeal(kek, nonce, WrapAad(slot), data_key, sealed.data()))
    return MakeError(ErrorCode::kUnsupported, "OpenSSL could not wrap the data key");
  slot.wrapped = HexEncode(nonce + sealed);
  return Ok{};
}

Result<std::string> UnwrapDataKey(const KeySource& source, const KeySlot& stored) {
  KeySlot slot = stored;
  if (!source.key_command.empty()) {
    if (slot.kind != "command")
      return MakeError(ErrorCode::kInvalidArgument,
                       "the file was sealed with a " + KeyKindName(slot.kind) + ", not a key command");
    MG_ASSIGN_OR_RETURN(std::string hex, RunKeyCommand(source.key_command, "unwrap", slot.wrapped + "\n"));
    auto key = HexDecode(hex);
    if (!key || key->size() != 32)
      return MakeError(ErrorCode::kParse, "the key command's 'unwrap' must print the data key as 64 hex digits");
    return *key;
  }
  if (slot.kind == "command")
    return MakeError(ErrorCode::kInvalidArgument, "the file was sealed through a key command: give --key-command");
  MG_ASSIGN_OR_RETURN(std::string kek, KeyEncryptionKey(source, slot, false, SealOptions{}));
  const auto wrapped = HexDecode(slot.wrapped);
  if (!wrapped || wrapped->size() != 12 + 32 + kTagBytes)
    return MakeError(ErrorCode::kParse, "the wrapped key is malformed");
  std::string data_key(32, '\0');
  if (!AesGcmOpen(kek, wrapped->substr(0, 12), WrapAad(slot), wrapped->substr(12), data_key.data()))
    return MakeError(ErrorCode::kInvalidArgument, slot.kind == "passphrase"
                                                      ? "wrong passphrase (or the key slot was altered)"
                                                      : "the data key does not unwrap: the key slot was altered");
  return data_key;
}

// Magic, length and header JSON: the bytes the MAC covers.
std::string HeaderBytes(const std::string& json) {
  std::string out(kMagic, sizeof kMagic);
  const auto n = static_cast<uint32_t>(json.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>(n >> (8 * i) & 0xff));
  return out + json;
}

struct OpenedFile {
  InputFile file;
  SealHeader header;
  std::string header_bytes;  // magic, length, JSON
  std::string mac;
  uint64_t body_offset = 0;
};

Result<OpenedFile> OpenSealed(const std::string& path) {
  OpenedFile opened;
  MG_ASSIGN_OR_RETURN(opened.file, InputFile::Open(path));
  std::string prefix(kPrefixBytes, '\0');
  if (opened.file.size() < kPrefixBytes)
    return MakeError(ErrorCode::kParse, "'" + path + "' is not a sealed model file");
  MG_TRY(opened.file.ReadExactly(0, prefix.data(), prefix.size(), "the header"));
  if (!LooksSealed(prefix)) return MakeError(ErrorCode::kParse, "'" + path + "' is not a sealed model file");
  uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length |= static_cast<uint32_t>(static_cast<uint8_t>(prefix[8 + i])) << (8 * i);
  if (length == 0 || length > kMaxHeaderBytes)
    return MakeError(ErrorCode::kParse, "'" + path + "': header length " + std::to_string(length) + " out of bounds");
  std::string json(length, '\0');
  MG_TRY(opened.file.ReadExactly(kPrefixBytes, json.data(), json.size(), "the header"));
  opened.mac.assign(kMacBytes, '\0');
  MG_TRY(opened.file.ReadExactly(kPrefixBytes + length, opened.mac.data(), kMacBytes, "the header"));
  auto header = ParseHeaderJson(json);
  if (!header) return MakeError(header.error().code, "'" + path + "': " + header.error().message);
  opened.header = std::move(*header);
  opened.header_bytes = prefix + json;
  opened.body_offset = kPrefixBytes + length + kMacBytes;
  // The body's size follows from the header: anything else is truncation or extra bytes.
  const SealHeader& h = opened.header;
  const uint64_t expected = opened.body_offset + h.plaintext_size + h.Chunks() * kTagBytes;
  if (opened.file.size() != expected)
    return MakeError(ErrorCode::kParse, "'" + path + "' is " + std::to_string(opened.file.size()) + " bytes, " +
                                            std::to_string(expected) + " expected: truncated or extended");
  return opened;
}

// The data key of an opened file, with its header MAC checked.
Result<std::string> OpenDataKey(const OpenedFile& opened, const KeySource& key) {
  MG_ASSIGN_OR_RETURN(std::string data_key, UnwrapDataKey(key, opened.header.key));
  const std::string salt = *HexDecode(opened.header.salt);
  if (!SameBytes(HmacSha256(DeriveKey(data_key, salt, "header"), opened.header_bytes), opened.mac))
    return MakeError(ErrorCode::kInvalidArgument, "the header was altered (its MAC does not verify)");
  return data_key;
}

}  // namespace

uint64_t SealHeader::Chunks() const {
  if (chunk_size == 0) return 0;
  return std::max<uint64_t>(1, plaintext_size / chunk_size + (plaintext_size % chunk_size ? 1 : 0));
}

std::string KeyKindName(std::string_view kind) {
  return kind == "file" ? "key file" : kind == "command" ? "key command" : std::string(kind);
}

bool LooksSealed(std::string_view prefix) {
  return prefix.size() >= sizeof kMagic && std::memcmp(prefix.data(), kMagic, sizeof kMagic) == 0;
}

std::vector<std::string> SealedFilesAt(const std::string& path, size_t limit) {
  std::vector<std::string> out;
  auto sealed = [](const std::string& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);  // no FIFO hangs
    if (fd < 0) return false;
    struct stat st {};
    char prefix[sizeof kMagic] = {};
    const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    const bool read_all = regular && ::pread(fd, prefix, sizeof prefix, 0) == static_cast<ssize_t>(sizeof prefix);
    ::close(fd);
    return read_all && LooksSealed(std::string_view(prefix, sizeof prefix));
  };
  std::error_code error;
  if (!std::filesystem::is_directory(std::filesystem::symlink_status(path, error))) {
    if (sealed(path)) out.push_back("");
    return out;
  }
  std::filesystem::recursive_directory_iterator it(path, std::filesystem::directory_options::skip_permission_denied,
                                                   error);
  for (; !error && it != std::filesystem::recursive_directory_iterator() && out.size() < limit; it.increment(error)) {
    if (!it->is_regular_file(error) || it->is_symlink(error)) continue;
    if (sealed(it->path().string())) out.push_back(std::filesystem::relative(it->path(), path, error).string());
  }
  return out;
}

std::string ChunkNonce(uint64_t index, bool last) {
  std::string nonce(12, '\0');
  for (int i = 0; i < 8; ++i) nonce[10 - i] = static_cast<char>(index >> (8 * i) & 0xff);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

std::string HeaderJson(const SealHeader& header) {
  nlohmann::ordered_json doc{{"format", kFormat},
                             {"cipher", kCipher},
                             {"chunk_size", header.chunk_size},
                             {"salt", header.salt},
                             {"plaintext_size", header.plaintext_size},
                             {"plaintext_sha256", header.plaintext_sha256}};
  doc["manifest_sha256"] = header.manifest_sha256 ? nlohmann::ordered_json(*header.manifest_sha256) : nullptr;
  doc["key"] = SlotJson(header.key, true);
  return doc.dump();
}

Result<SealHeader> ParseHeaderJson(std::string_view json) {
  const auto doc = nlohmann::json::parse(json, nullptr, false);
  auto bad = [](const std::string& what) { return MakeError(ErrorCode::kParse, "sealed header: " + what); };
  if (doc.is_discarded() || !doc.is_object()) return bad("not a JSON object");
  const std::vector<std::string> keys = {"format",         "cipher",           "chunk_size",      "salt",
                                         "plaintext_size", "plaintext_sha256", "manifest_sha256", "key"};
  if (doc.size() != keys.size()) return bad("unexpected or missing members");
  for (const auto& k : keys)
    if (!doc.contains(k)) return bad("'" + k + "' is missing");
  if (doc["format"] != kFormat) return bad("format is not " + std::string(kFormat) + " (a newer modelguard?)");
  if (doc["cipher"] != kCipher) return bad("unknown cipher");
  SealHeader h;
  if (!doc["chunk_size"].is_number_unsigned() || !doc["plaintext_size"].is_number_unsigned())
    return bad("sizes must be whole numbers");
  h.chunk_size = doc["chunk_size"].get<uint64_t>();
  h.plaintext_size = doc["plaintext_size"].get<uint64_t>();
  if (h.chunk_size < kMinChunkSize || h.chunk_size > kMaxChunkSize) return bad("chunk size out of bounds");
  if (h.plaintext_size > (uint64_t{1} << 50)) return bad("plaintext size out of bounds");
  if (!doc["salt"].is_string() || !IsHex(h.salt = doc["salt"].get<std::string>(), 64)) return bad("salt");
  if (!doc["plaintext_sha256"].is_string() ||
      !IsHex(h.plaintext_sha256 = doc["plaintext_sha256"].get<std::string>(), 64))
    return bad("plaintext_sha256");
  if (!doc["manifest_sha256"].is_null()) {
    if (!doc["manifest_sha256"].is_string() || !IsHex(doc["manifest_sha256"].get<std::string>(), 64))
      return bad("manifest_sha256");
    h.manifest_sha256 = doc["manifest_sha256"].get<std::string>();
  }
  const auto& key = doc["key"];
  if (!key.is_object() || !key.contains("kind") || !key["kind"].is_string() || !key.contains("wrapped") ||
      !key["wrapped"].is_string())
    return bad("key slot");
  h.key.kind = key["kind"].get<std::string>();
  h.key.wrapped = key["wrapped"].get<std::string>();
  if (h.key.wrapped.empty() || h.key.wrapped.size() > kMaxWrappedBytes) return bad("wrapped key size");
  if (h.key.kind == "file") {
    if (key.size() != 3 || !key.contains("id") || !key["id"].is_string() ||
        !IsHex(h.key.key_id = key["id"].get<std::string>(), 16))
      return bad("key slot of a key file");
  } else if (h.key.kind == "passphrase") {
    const auto& a = key.contains("argon2id") ? key["argon2id"] : nlohmann::json();
    if (key.size() != 3 || !a.is_object() || a.size() != 3 || !a.contains("ops") || !a["ops"].is_number_unsigned() ||
        !a.contains("mem_kib") || !a["mem_kib"].is_number_unsigned() || !a.contains("salt") || !a["salt"].is_string())
      return bad("key slot of a passphrase");
    h.key.argon2_ops = a["ops"].get<uint64_t>();
    h.key.argon2_mem_kib = a["mem_kib"].get<uint64_t>();
    h.key.argon2_salt = a["salt"].get<std::string>();
    if (!IsHex(h.key.argon2_salt, 32)) return bad("passphrase salt");
  } else if (h.key.kind == "command") {
    if (key.size() != 2) return bad("key slot of a key command");
  } else {
    return bad("unknown key kind '" + h.key.kind + "'");
  }
  // The header must be exactly what this version writes: one spelling per header, so the MAC's input is
  // never ambiguous.
  if (HeaderJson(h) != json) return bad("not in canonical form");
  return h;
}

Status GenerateKeyFile(const std::string& path) {
  const std::string key = RandomBytes(32);
  if (key.size() != 32) return MakeError(ErrorCode::kUnsupported, "no random bytes");
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return MakeError(ErrorCode::kIo, "cannot create the key file '" + path + "': " + std::strerror(errno) +
                                         (errno == EEXIST ? " (an existing key is never replaced)" : ""));
  const std::string text = HexEncode(key) + "\n";
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!written) {
    ::unlink(path.c_str());
    return MakeError(ErrorCode::kIo, "cannot write the key file '" + path + "'");
  }
  return Ok{};
}

Result<SealSummary> SealFile(const std::string& input, const std::string& output, const KeySource& key,
                             const SealOptions& options) {
  if (options.chunk_size < kMinChunkSize || options.chunk_size > kMaxChunkSize)
    return MakeError(ErrorCode::kInvalidArgument, "the chunk size must be 4 KiB to 64 MiB");
  if (options.manifest_sha256 && !IsHex(*options.manifest_sha256, 64))
    return MakeError(ErrorCode::kInvalidArgument, "the manifest digest must be 64 lower-case hex digits");
  MG_ASSIGN_OR_RETURN(InputFile file, InputFile::Open(input));
  const std::string data_key = RandomBytes(32), salt = RandomBytes(32);
  if (data_key.size() != 32 || salt.size() != 32) return MakeError(ErrorCode::kUnsupported, "no random bytes");
  SealSummary summary;
  SealHeader& header = summary.header;
  header.chunk_size = options.chunk_size;
  header.salt = HexEncode(salt);
  header.plaintext_size = file.size();
  header.plaintext_sha256 = std::string(64, '0');  // written once the body is hashed
  header.manifest_sha256 = options.manifest_sha256;
  MG_TRY(WrapDataKey(key, data_key, header.key, options));
  const std::string json = HeaderJson(header);
  if (json.size() > kMaxHeaderBytes) return MakeError(ErrorCode::kLimit, "the header is too large");
  const size_t digest_at = kPrefixBytes + json.find("\"plaintext_sha256\":\"") + 20;
  MG_ASSIGN_OR_RETURN(AtomicFile out_file, AtomicFile::Create(output));
  MG_TRY(out_file.Write(HeaderBytes(json)));
  MG_TRY(out_file.Write(std::string(kMacBytes, '\0')));
  const std::string payload_key = DeriveKey(data_key, salt, "payload");
  const unsigned threads = Threads(options.threads);
  const uint64_t chunks = header.Chunks();
  DigestStream digest;
  ChunkPipeline::Stages stages;
  stages.chunks = chunks;
  stages.batch_chunks = BatchChunks(header.chunk_size, threads);
  stages.workers = threads;
  stages.hash_input = true;
  stages.read = [&](uint64_t index, std::string& in) {
    const uint64_t offset = index * header.chunk_size;
    in.resize(static_cast<size_t>(std::min<uint64_t>(header.chunk_size, header.plaintext_size - offset)));
    return file.ReadExactly(offset, in.data(), in.size(), "its data (did it shrink?)");
  };
  stages.transform = [&](uint64_t index, const std::string& in, std::string& out) -> Status {
    out.resize(in.size() + kTagBytes);
    if (!AesGcmSeal(payload_key, ChunkNonce(index, index + 1 == chunks), {}, in, out.data()))
      return MakeError(ErrorCode::kUnsupported, "OpenSSL could not encrypt a chunk");
    return Ok{};
  };
  stages.hash = [&](const std::string& bytes) { digest.Update(bytes); };
  stages.write = [&](const std::string& out) {
    summary.sealed_bytes += out.size();
    return out_file.Write(out);
  };
  MG_TRY(ChunkPipeline::Run(stages));
  // A file that grew while it was read would have more than its header says.
  char extra = 0;
  if (file.ReadExactly(header.plaintext_size, &extra, 1, "").ok())
    return MakeError(ErrorCode::kIo, "'" + input + "' grew while it was sealed");
  header.plaintext_sha256 = digest.HexDigest();
  const std::string final_json = HeaderJson(header);
  const std::string header_bytes = HeaderBytes(final_json);
  MG_TRY(out_file.WriteAt(digest_at, header.plaintext_sha256));
  MG_TRY(out_file.WriteAt(header_bytes.size(), HmacSha256(DeriveKey(data_key, salt, "header"), header_bytes)));
  MG_TRY(out_file.Commit());
  summary.sealed_bytes += header_bytes.size() + kMacBytes;
  return summary;
}

Result<SealHeader> ReadHeader(const std::string& path) {
  MG_ASSIGN_OR_RETURN(OpenedFile opened, OpenSealed(path));
  return opened.header;
}

Status UnsealStream(const std::string& input, const KeySource& key, unsigned wanted_threads,
                    const std::function<Status(std::string_view)>& consume, SealHeader* header_out) {
  MG_ASSIGN_OR_RETURN(OpenedFile opened, OpenSealed(input));
  MG_ASSIGN_OR_RETURN(std::string data_key, OpenDataKey(opened, key));
  const SealHeader& header = opened.header;
  if (header_out) *header_out = header;
  const std::string payload_key = DeriveKey(data_key, *HexDecode(header.salt), "payload");
  const unsigned threads = Threads(wanted_threads);
  const uint64_t chunks = header.Chunks();
  DigestStream digest;
  ChunkPipeline::Stages stages;
  stages.chunks = chunks;
  stages.batch_chunks = BatchChunks(header.chunk_size, threads);
  stages.workers = threads;
  stages.hash_input = false;
  stages.read = [&](uint64_t index, std::string& in) {
    const uint64_t plain_size =
        std::min<uint64_t>(header.chunk_size, header.plaintext_size - index * header.chunk_size);
    in.resize(static_cast<size_t>(plain_size) + kTagBytes);
    return opened.file.ReadExactly(opened.body_offset + index * (header.chunk_size + kTagBytes), in.data(), in.size(),
                                   "a chunk");
  };
  stages.transform = [&](uint64_t index, const std::string& in, std::string& out) -> Status {
    out.resize(in.size() - kTagBytes);
    if (!AesGcmOpen(payload_key, ChunkNonce(index, index + 1 == chunks), {}, in, out.data()))
      return MakeError(ErrorCode::kInvalidArgument, "chunk " + std::to_string(index) +
                                                        " does not authenticate: the file was altered, truncated "
                                                        "or reordered");
    return Ok{};
  };
  stages.hash = [&](const std::string& bytes) { digest.Update(bytes); };
  stages.write = [&](const std::string& out) { return consume(out); };
  MG_TRY(ChunkPipeline::Run(stages));
  if (digest.HexDigest() != header.plaintext_sha256)
    return MakeError(ErrorCode::kInvalidArgument, "the plaintext's SHA-256 differs from the header's");
  return Ok{};
}

Result<SealHeader> UnsealFile(const std::string& input, const std::string& output, const KeySource& key,
                              unsigned threads) {
  MG_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(output));
  SealHeader header;
  MG_TRY(UnsealStream(
      input, key, threads, [&](std::string_view bytes) { return out.Write(bytes); }, &header));
  MG_TRY(out.Commit());
  return header;
}

Result<SealHeader> Rekey(const std::string& input, const std::string& output, const KeySource& old_key,
                         const KeySource& new_key, const SealOptions& options) {
  MG_ASSIGN_OR_RETURN(OpenedFile opened, OpenSealed(input));
  MG_ASSIGN_OR_RETURN(std::string data_key, OpenDataKey(opened, old_key));
  SealHeader header = opened.header;
  MG_TRY(WrapDataKey(new_key, data_key, header.key, options));
  const std::string header_bytes = HeaderBytes(HeaderJson(header));
  if (header_bytes.size() > kPrefixBytes + kMaxHeaderBytes)
    return MakeError(ErrorCode::kLimit, "the header is too large");
  MG_ASSIGN_OR_RETURN(AtomicFile out, AtomicFile::Create(output));
  MG_TRY(out.Write(header_bytes));
  MG_TRY(out.Write(HmacSha256(DeriveKey(data_key, *HexDecode(header.salt), "header"), header_bytes)));
  // The chunks as they are: their key derives from the data key, which did not change.
  std::string buffer(1 << 20, '\0');
  for (uint64_t at = opened.body_offset; at < opened.file.size();) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buffer.size(), opened.file.size() - at));
    MG_TRY(opened.file.ReadExactly(at, buffer.data(), n, "the chunks"));
    MG_TRY(out.Write(std::string_view(buffer.data(), n)));
    at += n;
  }
  MG_TRY(out.Commit());
  return header;
}

}  // namespace modelguard::seal
