#include "modelguard/gateway/audit.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "modelguard/core/hash.h"
#include "modelguard/core/json_text.h"
#include "modelguard/integrity/log.h"
#include "src/gateway/log.h"

namespace modelguard::gateway {
namespace {

const std::string kGenesis(64, '0');

// What WriteObject accepts: the framing the writer relies on when it splices "seq" and "prev" in front of
// the event's members, and one line (a raw newline would split the event and break the chain).
Status CheckObjectText(std::string_view object) {
  const bool framed =
      object.size() >= 2 && object.front() == '{' && object.back() == '}' && (object.size() == 2 || object[1] == '"');
  if (!framed || object.find('\n') != std::string_view::npos)
    return MakeError(ErrorCode::kInvalidArgument, "an audit event must be one JSON object on one line");
  return Ok{};
}

// The hash-chained JSONL file, written by one writer thread. A request thread copies its event's text
// (already serialised, see audit_event.h) into a shared buffer under a short lock: no hashing, no system
// call, no allocation once the buffers have grown, and a wake-up only for a writer that sleeps. The writer
// gathers what arrives within a millisecond, swaps that buffer for its own, chains the events, and appends
// the whole batch with one write(2). Nothing is dropped: when the writer falls behind,
// WriteObject waits for room (back-pressure); when the file cannot be written (disk full), the lines are
// kept and retried, and once more than kMaxPendingBytes are waiting, WriteObject refuses the event with an
// error the caller reports. Closing (SIGTERM drain, reload, destruction) writes everything queued.
// Durability: a line is in the kernel within milliseconds of its request (so it survives the gateway being
// killed); fdatasync runs at most once a second and at close, so a machine crash can lose up to a second.
class JsonlAudit final : public AuditSink {
 public:
  ~JsonlAudit() override {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    wake_.notify_one();
    if (writer_.joinable()) writer_.join();
    if (fd_ >= 0) ::close(fd_);
  }

  Status Open(const std::string& path) {
    // Only a regular file can hold a chain: a FIFO or a device (/dev/full, /dev/zero) would make the chain
    // reader below wait or read forever.
    struct stat info {};
    if (::stat(path.c_str(), &info) == 0 && !S_ISREG(info.st_mode))
      return MakeError(ErrorCode::kInvalidArgument, "audit file '" + path + "' is not a regular file");
    {
      std::ifstream in(path, std::ios::binary);
      std::string line;
      while (std::getline(in, line)) {
        if (line.empty()) continue;
        prev_ = Sha256Hex(line);
        ++seq_;
      }
    }
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0)
      return MakeError(ErrorCode::kIo, "cannot append to audit file '" + path + "': " + std::strerror(errno));
    path_ = path;
    writer_ = std::thread([this] { Run(); });
    return Ok{};
  }

  Status WriteObject(std::string_view object) override {
    MG_TRY(CheckObjectText(object));
    std::unique_lock lock(mutex_);
    // Room: a bounded number of events and bytes, but an empty queue takes any one event.
    room_.wait(lock, [&] {
      return queued_events_ == 0 || (queued_events_ < kMaxQueuedEvents && queued_.size() < kMaxQueuedBytes) ||
             pending_bytes_ > kMaxPendingBytes || closing_;
    });
    if (closing_) return MakeError(ErrorCode::kIo, "audit file '" + path_ + "' is closed");
    if (pending_bytes_ > kMaxPendingBytes)
      return MakeError(ErrorCode::kIo,
                       "audit file '" + path_ + "' cannot be written (" + failure_ + "); event not recorded");
    queued_.append(object);
    queued_ += '\n';  // the separator: an event's text holds no raw newline (CheckObjectText)
    ++queued_events_;
    // Only a writer waiting for a first event, or gathering when the batch is full, needs waking: one
    // wake-up (a system call and a thread switch) per batch, not per event.
    if (writer_idle_ || (BatchFull() && !batch_full_signalled_)) {
      writer_idle_ = false;
      batch_full_signalled_ = BatchFull();
      wake_.notify_one();
    }
    return Ok{};
  }

 private:
  static constexpr size_t kMaxQueuedEvents = 1 << 16;
  static constexpr size_t kMaxQueuedBytes = size_t{64} << 20;
  static constexpr size_t kMaxPendingBytes = size_t{64} << 20;
  // Events that arrive within kGather of a batch's first event join it, up to these sizes. Under load
  // that is one wake-up and one write(2) for many events; a line still reaches the kernel within a
  // millisecond or two of its request.
  static constexpr auto kGather = std::chrono::milliseconds(1);
  static constexpr size_t kBatchBytes = size_t{256} << 10;
  static constexpr size_t kBatchEvents = 4096;

  bool BatchFull() const { return queued_.size() >= kBatchBytes || queued_events_ >= kBatchEvents; }

  void Run() {
    std::string batch;  // events taken from the queue, one per line; swapped, so both buffers keep their room
    std::string text;   // chained lines not yet in the file
    auto last_sync = std::chrono::steady_clock::now();
    bool unsynced = false;
    for (;;) {
      bool closing = false;
      {
        std::unique_lock lock(mutex_);
        const auto ready = [&] { return queued_events_ != 0 || closing_; };
        const auto full = [&] { return closing_ || BatchFull(); };
        if (!text.empty()) {
          // Lines wait after a failed write: retry every 100 ms even without new events.
          wake_.wait_for(lock, std::chrono::milliseconds(100), ready);
          wake_.wait_for(lock, kGather, full);
        } else {
          // Under load the writer wakes itself once per kGather and takes what arrived meanwhile, so request
          // threads never pay for waking it (a futex call on the request path, and a thread switch). Only
          // after a quiet period does it sleep until an event arrives, so an idle gateway costs nothing; the
          // thread that queues that first event wakes it, and the batch gathers for kGather from there.
          wake_.wait_for(lock, kGather, full);
          if (!ready()) {
            writer_idle_ = true;
            wake_.wait(lock, ready);
            writer_idle_ = false;
            wake_.wait_for(lock, kGather, full);
          }
        }
        batch.swap(queued_);
        queued_events_ = 0;
        batch_full_signalled_ = false;
        closing = closing_;
      }
      room_.notify_all();
      for (size_t at = 0; at < batch.size();) {
        const size_t end = batch.find('\n', at);
        AppendLine(std::string_view(batch).substr(at, end - at), text);
        at = end + 1;
      }
      batch.clear();
      if (!text.empty()) {
        const std::string error = WriteAll(text);
        std::lock_guard lock(mutex_);
        pending_bytes_ = text.size();
        failure_ = error;
        if (error.empty()) unsynced = true;
      }
      const auto now = std::chrono::steady_clock::now();
      if (unsynced && (closing || now - last_sync >= std::chrono::seconds(1))) {
        ::fdatasync(fd_);
        last_sync = now;
        unsynced = false;
      }
      if (closing) {
        std::lock_guard lock(mutex_);
        if (queued_events_ == 0 && (text.empty() || !failure_.empty())) break;
      }
    }
    if (!text.empty())
      LogEvent("error", "audit events lost at close", {{"file", path_}, {"bytes", text.size()}, {"error", failure_}});
  }

  // The line is {"seq":…,"prev":…, then the event's own members}: spliced as text, and the chain's hash is
  // the SHA-256 of the line's bytes without its newline (what VerifyAuditChain recomputes).
  void AppendLine(std::string_view object, std::string& text) {
    const size_t start = text.size();
    text += "{\"seq\":";
    AppendJsonNumber(text, seq_);
    text += ",\"prev\":\"";
    text += prev_;
    text += '"';
    if (object.size() > 2) {
      text += ',';
      text.append(object.substr(1));
    } else {
      text += '}';
    }
    prev_ = Sha256Hex(std::string_view(text).substr(start));
    ++seq_;
    text += '\n';
  }

  // Appends `text` and removes what was written; "" on success, else why (what was not written stays).
  std::string WriteAll(std::string& text) {
    size_t written = 0;
    std::string error;
    while (written < text.size()) {
      const ssize_t n = ::write(fd_, text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        error = n < 0 ? std::strerror(errno) : "no progress";
        break;
      }
      written += static_cast<size_t>(n);
    }
    // A short write leaves part of a line in the file; the retry appends the rest, so the line completes.
    text.erase(0, written);
    return error;
  }

  std::string path_;
  int fd_ = -1;
  std::mutex mutex_;
  std::condition_variable wake_, room_;
  std::string queued_;  // events waiting for the writer, each followed by '\n'
  size_t queued_events_ = 0;
  bool writer_idle_ = false;           // the writer waits for a first event
  bool batch_full_signalled_ = false;  // the writer was woken for a full batch
  bool closing_ = false;
  size_t pending_bytes_ = 0;
  std::string failure_;
  // Owned by the writer thread (and by Open before it starts).
  std::string prev_ = kGenesis;
  uint64_t seq_ = 0;
  std::thread writer_;
};

class LogAudit final : public AuditSink {
 public:
  explicit LogAudit(std::unique_ptr<integrity::TransparencyLog> log) : log_(std::move(log)) {}
  Status WriteObject(std::string_view object) override {
    MG_TRY(CheckObjectText(object));
    std::lock_guard lock(mutex_);
    auto index = log_->Append(object, "gateway-audit");
    if (!index) return index.error();
    return Ok{};
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<integrity::TransparencyLog> log_;
};

}  // namespace

Status AuditSink::Write(const nlohmann::ordered_json& event) {
  // A raw request path may not be UTF-8: replaced, never refused, as the gateway's own writer does.
  return WriteObject(event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<std::unique_ptr<AuditSink>> OpenJsonlAudit(const std::string& path) {
  auto sink = std::make_unique<JsonlAudit>();
  if (auto s = sink->Open(path); !s) return s.error();
  return std::unique_ptr<AuditSink>(std::move(sink));
}

Result<std::unique_ptr<AuditSink>> OpenLogAudit(const std::string& database) {
  auto log = integrity::TransparencyLog::Open(database);
  if (!log) return log.error();
  return std::unique_ptr<AuditSink>(std::make_unique<LogAudit>(std::move(*log)));
}

Result<AuditChainCheck> VerifyAuditChain(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIo, "cannot read audit file '" + path + "'");
  AuditChainCheck check;
  std::string prev = kGenesis, line;
  uint64_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty()) continue;
    const auto event = nlohmann::json::parse(line, nullptr, false);
    const std::string where = "line " + std::to_string(line_number);
    if (event.is_discarded() || !event.is_object()) {
      check.problems.push_back(where + ": not a JSON object");
    } else {
      if (event.value("prev", "") != prev)
        check.problems.push_back(where + ": the chain is broken (previous line changed, removed or reordered)");
      if (!event.contains("seq") || !event["seq"].is_number_unsigned() ||
          event["seq"].get<uint64_t>() != check.events) {
        check.problems.push_back(where + ": sequence number " +
                                 (event.contains("seq") ? event["seq"].dump() : "missing") + ", expected " +
                                 std::to_string(check.events));
      }
    }
    prev = Sha256Hex(line);
    ++check.events;
  }
  return check;
}

}  // namespace modelguard::gateway
