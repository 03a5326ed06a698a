// Audit followers: a JSON Lines file being appended, or the transparency log (follow.h).
#include "modelguard/monitor/follow.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "modelguard/core/hash.h"
#include "modelguard/integrity/log.h"
#include "modelguard/monitor/stream.h"

namespace modelguard::monitor {
namespace {

constexpr size_t kReadChunk = size_t{1} << 20;
constexpr uint64_t kHeadBytes = 4096;  // the first bytes whose digest recognises a file again
constexpr std::chrono::milliseconds kRotationGrace{1000};
constexpr const char* kAuditKind = "gateway-audit";

// A saved count: a non-negative integer, however the JSON reader typed it.
bool IsCount(const nlohmann::json& object, const char* name) {
  if (!object.is_object() || !object.contains(name)) return false;
  const auto& value = object[name];
  return value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0);
}

Error SystemError(const std::string& what, const std::string& path) {
  return Error{ErrorCode::kIo, what + " " + path + ": " + std::strerror(errno)};
}

class JsonlFollower final : public AuditFollower {
 public:
  explicit JsonlFollower(std::string path) : path_(std::move(path)) {}
  ~JsonlFollower() override { Close(); }

  Status Open() {
    Close();
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd_ < 0) return SystemError("cannot open audit file", path_);
    struct stat info {};
    if (::fstat(fd_, &info) != 0) return SystemError("cannot stat audit file", path_);
    if (!S_ISREG(info.st_mode)) {
      Close();
      return MakeError(ErrorCode::kInvalidArgument, "audit file " + path_ + " is not a regular file");
    }
    device_ = info.st_dev;
    inode_ = info.st_ino;
    offset_ = line_start_ = 0;
    pending_.clear();
    discarding_ = false;
    rotation_seen_.reset();
    return Ok{};
  }

  Result<uint64_t> Poll(const std::function<void(std::string_view)>& on_event, uint64_t max_events) override {
    uint64_t handed = 0;
    if (fd_ < 0) {
      if (auto opened = Open(); !opened) return opened.error();
    }
    while (handed < max_events) {
      struct stat info {};
      if (::fstat(fd_, &info) != 0) return SystemError("cannot stat audit file", path_);
      if (static_cast<uint64_t>(info.st_size) < offset_) {
        // Cut shorter than what was read: a new file written in place. Its events start at 0.
        offset_ = line_start_ = 0;
        pending_.clear();
        discarding_ = false;
      }
      if (static_cast<uint64_t>(info.st_size) == offset_) {
        // Rotated: the gateway may still append to the renamed file until it reopens its audit, so the old
        // file is read until it has stayed at its end for kRotationGrace; then the new file from its start.
        if (!Rotated()) break;
        const auto now = std::chrono::steady_clock::now();
        if (!rotation_seen_) rotation_seen_ = now;
        if (now - *rotation_seen_ < kRotationGrace) break;
        if (auto opened = Open(); !opened) return opened.error();
        continue;
      }
      buffer_.resize(kReadChunk);
      const ssize_t got = ::pread(fd_, buffer_.data(), buffer_.size(), static_cast<off_t>(offset_));
      if (got < 0) {
        if (errno == EINTR) continue;
        return SystemError("cannot read audit file", path_);
      }
      if (got == 0) break;
      rotation_seen_.reset();  // the old file still grows
      std::string_view chunk(buffer_.data(), static_cast<size_t>(got));
      // Hand out whole lines; offset_ advances past every byte looked at, line_start_ stays at the start of
      // the line not yet complete, so a stop anywhere resumes exactly after the last event given.
      size_t start = 0;
      while (handed < max_events) {
        const size_t newline = chunk.find('\n', start);
        if (newline == std::string_view::npos) break;
        const std::string_view piece = chunk.substr(start, newline - start);
        if (discarding_ || pending_.size() + piece.size() > kMaxAuditLineBytes) {
          ++skipped_;
        } else {
          std::string_view line = piece;
          if (!pending_.empty()) line = pending_.append(piece);
          if (!line.empty()) {
            on_event(line);
            ++handed;
          }
        }
        discarding_ = false;
        pending_.clear();
        offset_ += newline + 1 - start;
        line_start_ = offset_;
        start = newline + 1;
      }
      if (handed >= max_events) break;
      // The rest of the chunk starts a line still being written (or one longer than a chunk).
      const std::string_view rest = chunk.substr(start);
      if (discarding_ || pending_.size() + rest.size() > kMaxAuditLineBytes) {
        discarding_ = true;
        pending_.clear();
      } else {
        pending_.append(rest);
      }
      offset_ += rest.size();
      // A short read reached the end: the next turn sees it (and a rotation, if any) through fstat.
    }
    return handed;
  }

  nlohmann::json Position() const override {
    // A line being written is not part of the position: the next run reads it again whole. The file is
    // recognised by the digest of its first bytes (up to kHeadBytes, and not past the position).
    const uint64_t head = std::min<uint64_t>(line_start_, kHeadBytes);
    return {{"kind", "jsonl"},
            {"path", path_},
            {"offset", line_start_},
            {"head_bytes", head},
            {"head_sha256", HeadDigest(head).value_or("")}};
  }

  Result<std::string> Resume(const nlohmann::json& position) override {
    if (fd_ < 0) {
      if (auto opened = Open(); !opened) return opened.error();
    }
    const nlohmann::json* kind = position.is_object() && position.contains("kind") ? &position["kind"] : nullptr;
    if (!kind || *kind != "jsonl" || !IsCount(position, "offset") || !IsCount(position, "head_bytes") ||
        !position.contains("head_sha256") || !position["head_sha256"].is_string())
      return std::string("no saved position for a JSON Lines audit: reading from the start");
    const uint64_t offset = position["offset"].get<uint64_t>();
    const uint64_t head = position["head_bytes"].get<uint64_t>();
    struct stat info {};
    if (::fstat(fd_, &info) != 0) return SystemError("cannot stat audit file", path_);
    if (offset > static_cast<uint64_t>(info.st_size) || head > offset)
      return std::string("the audit file is shorter than the saved position (truncated): reading from the start");
    if (HeadDigest(head) != position["head_sha256"].get<std::string>())
      return std::string(
          "the audit file's first bytes differ from the saved ones (another file): reading from "
          "the start");
    offset_ = line_start_ = offset;
    pending_.clear();
    discarding_ = false;
    return std::string("resuming at byte ") + std::to_string(offset);
  }

  uint64_t skipped() const override { return skipped_; }

 private:
  // SHA-256 of the file's first `bytes` bytes (nullopt when they cannot be read).
  std::optional<std::string> HeadDigest(uint64_t bytes) const {
    std::string head(bytes, '\0');
    const ssize_t got = ::pread(fd_, head.data(), head.size(), 0);
    if (got < 0 || static_cast<uint64_t>(got) != bytes) return std::nullopt;
    return Sha256Hex(head);
  }

  bool Rotated() const {
    struct stat now {};
    if (::stat(path_.c_str(), &now) != 0) return false;  // removed and not yet replaced: keep waiting
    return now.st_dev != device_ || now.st_ino != inode_;
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  std::string path_;
  int fd_ = -1;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  uint64_t offset_ = 0;      // bytes of the file looked at, a partial line included
  uint64_t line_start_ = 0;  // where the line not yet complete starts: the position to save
  std::string pending_;
  bool discarding_ = false;                                             // inside an over-long line, until its newline
  std::optional<std::chrono::steady_clock::time_point> rotation_seen_;  // at the end of a rotated file since
  std::vector<char> buffer_;
  uint64_t skipped_ = 0;
};

class LogFollower final : public AuditFollower {
 public:
  explicit LogFollower(std::unique_ptr<integrity::TransparencyLog> log) : log_(std::move(log)) {}

  Result<uint64_t> Poll(const std::function<void(std::string_view)>& on_event, uint64_t max_events) override {
    auto size = log_->Size();
    if (!size) return size.error();
    uint64_t handed = 0;
    while (next_ < *size && handed < max_events) {
      auto entry = log_->Entry(next_);
      if (!entry) return entry.error();
      ++next_;
      if (entry->kind != kAuditKind) continue;
      if (entry->data.size() > kMaxAuditLineBytes) {
        ++skipped_;
        continue;
      }
      on_event(entry->data);
      ++handed;
    }
    return handed;
  }

  nlohmann::json Position() const override {
    return {{"kind", "log"}, {"origin", log_->origin()}, {"next_index", next_}};
  }

  Result<std::string> Resume(const nlohmann::json& position) override {
    const nlohmann::json* kind = position.is_object() && position.contains("kind") ? &position["kind"] : nullptr;
    if (!kind || *kind != "log" || !IsCount(position, "next_index"))
      return std::string("no saved position for a transparency log: reading from the start");
    if (!position.contains("origin") || position["origin"] != log_->origin())
      return std::string("the log's origin differs from the saved one (another log): reading from the start");
    const uint64_t next = position["next_index"].get<uint64_t>();
    auto size = log_->Size();
    if (!size) return size.error();
    if (next > *size) return std::string("the log is shorter than the saved position: reading from the start");
    next_ = next;
    return std::string("resuming at entry ") + std::to_string(next);
  }

  uint64_t skipped() const override { return skipped_; }

 private:
  std::unique_ptr<integrity::TransparencyLog> log_;
  uint64_t next_ = 0;
  uint64_t skipped_ = 0;
};

}  // namespace

Result<std::unique_ptr<AuditFollower>> FollowJsonl(const std::string& path) {
  auto follower = std::make_unique<JsonlFollower>(path);
  if (auto opened = follower->Open(); !opened) return opened.error();
  return std::unique_ptr<AuditFollower>(std::move(follower));
}

Result<std::unique_ptr<AuditFollower>> FollowLog(const std::string& database) {
  auto log = integrity::TransparencyLog::Open(database, "", integrity::LogOpen::kExisting);
  if (!log) return log.error();
  return std::unique_ptr<AuditFollower>(std::make_unique<LogFollower>(std::move(*log)));
}

Result<std::unique_ptr<AuditFollower>> FollowAudit(const std::string& location) {
  if (location.starts_with("postgresql://") || location.starts_with("postgres://") || location.ends_with(".sqlite") ||
      location.ends_with(".db"))
    return FollowLog(location);
  return FollowJsonl(location);
}

}  // namespace modelguard::monitor
