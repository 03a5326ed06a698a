#include "modelguard/gateway/audit.h"

#include <fstream>
#include <mutex>

#include "modelguard/integrity/log.h"
#include "src/gateway/digest.h"

namespace modelguard::gateway {
namespace {

const std::string kGenesis(64, '0');

class JsonlAudit final : public AuditSink {
 public:
  Status Open(const std::string& path) {
    {
      std::ifstream in(path, std::ios::binary);
      std::string line;
      while (std::getline(in, line)) {
        if (line.empty()) continue;
        prev_ = Sha256Hex(line);
        ++seq_;
      }
    }
    out_.open(path, std::ios::binary | std::ios::app);
    if (!out_) return MakeError(ErrorCode::kIo, "cannot append to audit file '" + path + "'");
    return Ok{};
  }
  Status Write(nlohmann::ordered_json event) override {
    // The line is {"seq":…,"prev":…, then the event's own members}: spliced as text, so the event is
    // serialized once, outside the lock, and never copied.
    const std::string members =
        event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);  // a raw request path may not be UTF-8
    std::lock_guard lock(mutex_);
    std::string text = "{\"seq\":" + std::to_string(seq_) + ",\"prev\":\"" + prev_ + "\"";
    if (members.size() > 2)
      text.append(",").append(members, 1, std::string::npos);
    else
      text += "}";
    out_ << text << '\n';
    out_.flush();
    if (!out_) return MakeError(ErrorCode::kIo, "audit write failed");
    prev_ = Sha256Hex(text);
    ++seq_;
    return Ok{};
  }

 private:
  std::mutex mutex_;
  std::ofstream out_;
  std::string prev_ = kGenesis;
  uint64_t seq_ = 0;
};

class LogAudit final : public AuditSink {
 public:
  explicit LogAudit(std::unique_ptr<integrity::TransparencyLog> log) : log_(std::move(log)) {}
  Status Write(nlohmann::ordered_json event) override {
    std::lock_guard lock(mutex_);
    auto index = log_->Append(event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), "gateway-audit");
    if (!index) return index.error();
    return Ok{};
  }

 private:
  std::mutex mutex_;
  std::unique_ptr<integrity::TransparencyLog> log_;
};

}  // namespace

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
