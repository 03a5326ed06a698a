#include "modelguard/gateway/approvals.h"

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "modelguard/core/bytes.h"
#include "modelguard/core/clock.h"
#include "modelguard/core/random.h"
#include "modelguard/gateway/client.h"
#include "src/gateway/log.h"

namespace modelguard::gateway {
namespace {

// Past this many undelivered notifications new ones are dropped (and logged): a dead receiver must not
// grow the queue without bound.
constexpr size_t kMaxQueuedNotifications = 1000;

}  // namespace

nlohmann::ordered_json PendingCallJson(const PendingCall& call) {
  return {{"id", call.id},
          {"tool", call.tool},
          {"arguments", call.arguments},
          {"key_id", call.key_id},
          {"route", call.route},
          {"request_id", call.request_id},
          {"created_ms", call.created_ms},
          {"expires_ms", call.expires_ms}};
}

const char* ToString(ApprovalOutcome outcome) {
  switch (outcome) {
    case ApprovalOutcome::kApproved:
      return "approved";
    case ApprovalOutcome::kDenied:
      return "denied";
    case ApprovalOutcome::kTimeout:
      return "timeout";
    case ApprovalOutcome::kFull:
    case ApprovalOutcome::kKeyFull:
      return "full";
  }
  return "denied";
}

// A call's waiting state, shared by the waiting coroutine and whoever decides. The decision is read under
// the board's mutex; the timer only wakes the waiter early (it also wakes every 100 ms on its own, so a
// wake-up lost to a race costs at most that).
struct ApprovalBoard::Waiter {
  PendingCall call;
  std::optional<bool> approved;
  std::string decided_by;
  std::shared_ptr<boost::asio::steady_timer> timer;
};

ApprovalBoard::ApprovalBoard(size_t max_pending) : max_pending_(max_pending) {}

// Whose share of the board a call takes: its key, or its route when the route has no keys (as the tools
// filter's rates count).
std::string ApprovalBoard::Subject(const PendingCall& call) {
  return call.key_id.empty() ? "route:" + call.route : "key:" + call.key_id;
}

ApprovalBoard::~ApprovalBoard() {
  {
    std::lock_guard lock(notify_mutex_);
    stopping_ = true;
  }
  notify_wake_.notify_all();
  if (notifier_.joinable()) notifier_.join();
}

boost::asio::awaitable<ApprovalOutcome> ApprovalBoard::Await(PendingCall call, std::chrono::milliseconds timeout,
                                                             std::string webhook, size_t max_per_key) {
  std::array<uint8_t, 16> bytes{};
  if (!SecureRandomBytes(bytes)) co_return ApprovalOutcome::kDenied;  // no id nobody could guess: no approval
  call.id = HexEncode(bytes);
  call.created_ms = NowUnixMilliseconds();
  call.expires_ms = call.created_ms + timeout.count();
  auto waiter = std::make_shared<Waiter>();
  waiter->call = call;
  waiter->timer = std::make_shared<boost::asio::steady_timer>(co_await boost::asio::this_coro::executor);
  {
    std::lock_guard lock(mutex_);
    if (waiting_.size() >= max_pending_) co_return ApprovalOutcome::kFull;
    size_t& mine = waiting_per_key_[Subject(call)];
    if (mine >= max_per_key) {
      if (mine == 0) waiting_per_key_.erase(Subject(call));
      co_return ApprovalOutcome::kKeyFull;
    }
    ++mine;
    waiting_[call.id] = waiter;
  }
  LogEvent("info", "tool call waits for approval",
           {{"id", call.id}, {"tool", call.tool}, {"request_id", call.request_id}});
  if (!webhook.empty()) {
    nlohmann::ordered_json body = {{"event", "tool_call_pending"}};
    body["call"] = PendingCallJson(call);
    Notify(std::move(webhook), body.dump());
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  ApprovalOutcome outcome = ApprovalOutcome::kTimeout;
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (waiter->approved) {
        outcome = *waiter->approved ? ApprovalOutcome::kApproved : ApprovalOutcome::kDenied;
        break;
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    waiter->timer->expires_after(
        std::min<std::chrono::steady_clock::duration>(deadline - now, std::chrono::milliseconds(100)));
    boost::system::error_code ignored;  // cancelled: a decision arrived
    co_await waiter->timer->async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
  }
  {
    std::lock_guard lock(mutex_);
    // A decision that raced the deadline still counts.
    if (waiter->approved) outcome = *waiter->approved ? ApprovalOutcome::kApproved : ApprovalOutcome::kDenied;
    waiting_.erase(call.id);
    if (auto share = waiting_per_key_.find(Subject(call)); share != waiting_per_key_.end() && --share->second == 0)
      waiting_per_key_.erase(share);
  }
  LogEvent("info", "tool call decided",
           {{"id", call.id}, {"tool", call.tool}, {"outcome", ToString(outcome)}, {"by", waiter->decided_by}});
  co_return outcome;
}

std::vector<PendingCall> ApprovalBoard::List() const {
  std::lock_guard lock(mutex_);
  std::vector<PendingCall> out;
  for (const auto& [id, waiter] : waiting_) {
    if (!waiter->approved) out.push_back(waiter->call);
  }
  std::sort(out.begin(), out.end(),
            [](const PendingCall& a, const PendingCall& b) { return a.created_ms < b.created_ms; });
  return out;
}

bool ApprovalBoard::Decide(const std::string& id, bool approve, const std::string& by) {
  std::lock_guard lock(mutex_);
  auto it = waiting_.find(id);
  if (it == waiting_.end() || it->second->approved) return false;
  const std::shared_ptr<Waiter>& waiter = it->second;
  waiter->approved = approve;
  waiter->decided_by = by;
  // The timer belongs to the waiter's executor: cancelled there, never from this thread. Posted under the
  // lock: the waiter leaves only through the lock, so its event loop is still there to take the post.
  auto timer = waiter->timer;
  boost::asio::post(timer->get_executor(), [timer] { timer->cancel(); });
  return true;
}

void ApprovalBoard::Notify(std::string url, std::string body) {
  std::lock_guard lock(notify_mutex_);
  if (notifications_.size() >= kMaxQueuedNotifications) {
    LogEvent("warn", "approval webhook queue full: notification dropped", {{"url", url}});
    return;
  }
  notifications_.emplace_back(std::move(url), std::move(body));
  if (!notifier_.joinable()) notifier_ = std::thread([this] { NotifyLoop(); });
  notify_wake_.notify_one();
}

void ApprovalBoard::NotifyLoop() {
  for (;;) {
    std::pair<std::string, std::string> next;
    {
      std::unique_lock lock(notify_mutex_);
      notify_wake_.wait(lock, [&] { return stopping_ || !notifications_.empty(); });
      if (stopping_) return;
      next = std::move(notifications_.front());
      notifications_.pop_front();
    }
    const auto url = ParseUrl(next.first);
    std::string failure;
    if (!url) {
      failure = url.error().message;
    } else if (auto client = HttpClient::Make(*url, ""); !client) {
      failure = client.error().message;
    } else {
      const Exchange exchange =
          (*client)->Post(next.second, {}, false, std::chrono::milliseconds(5000), size_t{64} << 10);
      if (exchange.failure != Exchange::Failure::kNone) {
        failure = exchange.why;
      } else if (exchange.status >= 300) {
        failure = "status " + std::to_string(exchange.status);
      }
    }
    if (!failure.empty()) LogEvent("warn", "approval webhook failed", {{"url", next.first}, {"error", failure}});
  }
}

}  // namespace modelguard::gateway
