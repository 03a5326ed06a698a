#pragma once
// Tool calls held for a person's decision (the tools filter's `approval: required`): the filter posts the
// call here and waits; the admin API lists what waits (GET /admin/pending) and decides it (POST
// /admin/pending/ID/approve or /deny); a call nobody decides in time is denied. One board per gateway
// process, kept across configuration reloads.
#include <utility>  // first: Boost 1.74's Asio uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::gateway {

struct PendingCall {
  std::string id;  // 32 random hex digits
  std::string tool;
  std::string arguments;  // as the model wrote them (the person deciding needs to see them)
  std::string key_id, route, request_id;
  int64_t created_ms = 0, expires_ms = 0;  // wall clock, milliseconds since the epoch
};
nlohmann::ordered_json PendingCallJson(const PendingCall& call);

// kKeyFull: the calling key's own cap was reached (the board has room for other keys); spelled "full" too.
enum class ApprovalOutcome { kApproved, kDenied, kTimeout, kFull, kKeyFull };
const char* ToString(ApprovalOutcome outcome);

class ApprovalBoard {
 public:
  explicit ApprovalBoard(size_t max_pending = 1000);
  ~ApprovalBoard();
  ApprovalBoard(const ApprovalBoard&) = delete;
  ApprovalBoard& operator=(const ApprovalBoard&) = delete;

  // Posts `call` (its id and times are filled in) and waits on the caller's executor until a person
  // decides it or `timeout` passes. kFull: max_pending calls wait already; kKeyFull: `max_per_key` calls of
  // the same key (calls without one: of the same route) wait already, so one key cannot fill the board and
  // starve the others. Both are denied at once.
  // `webhook`, when not empty, is told of the call (a JSON POST, from a thread of the board's own, so a slow
  // receiver delays nobody; failures are logged).
  boost::asio::awaitable<ApprovalOutcome> Await(PendingCall call, std::chrono::milliseconds timeout,
                                                std::string webhook, size_t max_per_key = SIZE_MAX);
  std::vector<PendingCall> List() const;
  // false: no such call waits (decided already, timed out, or never posted).
  bool Decide(const std::string& id, bool approve, const std::string& by);

 private:
  struct Waiter;
  static std::string Subject(const PendingCall& call);
  void Notify(std::string url, std::string body);
  void NotifyLoop();

  const size_t max_pending_;
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Waiter>> waiting_;
  std::map<std::string, size_t> waiting_per_key_;  // Subject(call) -> calls in waiting_; no zero counts
  std::mutex notify_mutex_;
  std::condition_variable notify_wake_;
  std::deque<std::pair<std::string, std::string>> notifications_;
  bool stopping_ = false;
  std::thread notifier_;  // started with the first notification
};

}  // namespace modelguard::gateway
