// The endpoint under test behind ChatTarget: one HTTP client (include/modelguard/gateway/client.h) and the
// policy around it that a hostile or overloaded endpoint needs: budgets checked before anything is sent,
// one rate limit shared by every thread, retries with jittered exponential back-off on 429, 5xx and
// broken connections (honouring Retry-After), and cancellation while waiting.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <ctime>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "modelguard/core/cancel.h"
#include "modelguard/gateway/client.h"
#include "modelguard/redteam/target.h"
#include "src/redteam/target/wire_format.h"

namespace modelguard::redteam {

namespace {

using Clock = std::chrono::steady_clock;
using gateway::Exchange;
using Failure = Exchange::Failure;

constexpr std::chrono::milliseconds kBackoffBase{500};
constexpr std::chrono::milliseconds kBackoffCap{30000};
constexpr std::chrono::seconds kRetryAfterCap{60};

// Sleeps until `until`, waking every 100 ms to see whether the process was asked to stop.
Status SleepUntil(Clock::time_point until) {
  for (;;) {
    MG_TRY(cancel::Check("red-team target"));
    const auto now = Clock::now();
    if (now >= until) return Ok{};
    std::this_thread::sleep_for(std::min<Clock::duration>(until - now, std::chrono::milliseconds(100)));
  }
}

// Requests per second for every thread together: each request reserves the next free slot, one interval
// after the previous one (no bursts: an endpoint's own limiter counts requests per second too).
class RateLimiter {
 public:
  explicit RateLimiter(double per_second)
      : interval_(per_second > 0
                      ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / per_second))
                      : Clock::duration::zero()) {}
  Status Wait() {
    if (interval_ == Clock::duration::zero()) return Ok{};
    Clock::time_point slot;
    {
      std::lock_guard lock(mutex_);
      slot = std::max(Clock::now(), next_);
      next_ = slot + interval_;
    }
    return SleepUntil(slot);
  }

 private:
  Clock::duration interval_;
  std::mutex mutex_;
  Clock::time_point next_{};
};

// Retry-After (RFC 9110 §10.2.3): delay seconds, or an HTTP date (IMF-fixdate) to wait for; capped, so an
// endpoint cannot park a campaign for hours. Anything else: nullopt (the back-off applies).
std::optional<std::chrono::milliseconds> RetryAfter(const std::string& value) {
  if (value.empty()) return std::nullopt;
  if (value.find_first_not_of("0123456789") == std::string::npos) {
    if (value.size() > 9) return std::chrono::milliseconds(kRetryAfterCap);
    return std::min<std::chrono::milliseconds>(std::chrono::seconds(std::stoul(value)), kRetryAfterCap);
  }
  std::tm when{};
  const char* end = ::strptime(value.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &when);
  if (!end || *end != '\0') return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(::timegm(&when));
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(at - std::chrono::system_clock::now());
  return std::clamp<std::chrono::milliseconds>(wait, std::chrono::milliseconds(0), kRetryAfterCap);
}

std::chrono::milliseconds Backoff(unsigned attempt) {
  thread_local std::mt19937_64 random(std::random_device{}());
  const double full = std::min<double>(static_cast<double>(kBackoffBase.count()) * std::pow(2.0, attempt),
                                       static_cast<double>(kBackoffCap.count()));
  // Half fixed, half random: threads that failed together do not retry together.
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(full * jitter(random)));
}

class HttpChatTarget final : public ChatTarget {
 public:
  HttpChatTarget(TargetOptions options, std::unique_ptr<gateway::HttpClient> client, gateway::Url url,
                 std::optional<target::RequestTemplate> request_template)
      : options_(std::move(options)),
        client_(std::move(client)),
        url_(std::move(url)),
        template_(std::move(request_template)),
        limiter_(options_.requests_per_second) {
    if (!options_.api_key.empty()) headers_.emplace_back("Authorization", "Bearer " + options_.api_key);
  }

  Result<ChatAnswer> Send(const ChatRequest& request) override {
    const auto started = Clock::now();
    const bool openai = !template_;
    const bool stream = openai && options_.stream;
    const std::string body =
        openai ? target::OpenAiRequestBody(request, options_.model, stream) : template_->Body(request);
    std::string last_failure;
    for (unsigned attempt = 0;; ++attempt) {
      MG_TRY(cancel::Check("red-team target"));
      MG_TRY(ReserveBudget());
      MG_TRY(limiter_.Wait());
      const Exchange exchange = client_->Post(body, headers_, stream, options_.timeout, options_.max_answer_bytes);
      std::optional<std::chrono::milliseconds> wait;  // set: worth another attempt
      switch (exchange.failure) {
        case Failure::kNone:
          break;
        case Failure::kCancelled:
          return MakeError(ErrorCode::kLimit, "red-team target: " + exchange.why);
        case Failure::kConnect:
        case Failure::kClosed:
          last_failure = exchange.why;
          wait = Backoff(attempt);
          break;
        case Failure::kTooBig:
          return MakeError(ErrorCode::kLimit, Where() + exchange.why);
        case Failure::kTimeout:  // not retried: a stalling endpoint would stall every attempt
        case Failure::kTls:      // not retried: a certificate does not fix itself
        case Failure::kBroken:
          return MakeError(ErrorCode::kIo, Where() + exchange.why);
      }
      if (exchange.failure == Failure::kNone) {
        if (exchange.status == 429 || exchange.status >= 500) {
          last_failure = "HTTP " + std::to_string(exchange.status) + Said(exchange);
          wait = RetryAfter(exchange.retry_after);
          if (!wait) wait = Backoff(attempt);
        } else if (exchange.status < 200 || exchange.status > 299) {
          return MakeError(ErrorCode::kIo, Where() + "HTTP " + std::to_string(exchange.status) + Said(exchange));
        } else {
          auto answer = Parse(exchange);
          if (!answer) return MakeError(answer.error().code, Where() + answer.error().message);
          answer->http_status = exchange.status;
          answer->attempts = attempt + 1;
          answer->seconds = std::chrono::duration<double>(Clock::now() - started).count();
          tokens_.fetch_add(answer->prompt_tokens + answer->completion_tokens);
          return answer;
        }
      }
      if (attempt >= options_.max_retries) {
        return MakeError(ErrorCode::kIo, Where() + last_failure + " (gave up after " + std::to_string(attempt + 1) +
                                             (attempt == 0 ? " attempt)" : " attempts)"));
      }
      MG_TRY(SleepUntil(Clock::now() + *wait));
    }
  }

  std::string Describe() const override {
    // Scheme, authority and path: a query string may carry a credential, so it stays out of reports.
    std::string where =
        (url_.tls ? "https://" : "http://") + url_.authority + url_.target.substr(0, url_.target.find('?'));
    if (template_)
      return "HTTP JSON API at " + where + " (request template, answer at " + template_->pointer_text() + ")";
    std::string out = "OpenAI chat completions at " + where;
    if (!options_.model.empty())
      out += " (model " + options_.model + (options_.stream ? ", streamed)" : ")");
    else if (options_.stream)
      out += " (streamed)";
    return out;
  }
  uint64_t requests_sent() const override { return requests_.load(); }
  uint64_t tokens_used() const override { return tokens_.load(); }

 private:
  std::string Where() const { return "target " + url_.authority + ": "; }

  // What an error answer said, for the error message; an endpoint that echoes the credential it was given
  // (some do, in "invalid key" answers) does not get it into logs and reports through us.
  std::string Said(const Exchange& exchange) const {
    std::string text = exchange.event_stream ? std::string() : exchange.body.substr(0, 4096);
    if (!options_.api_key.empty()) {
      for (size_t at = 0; (at = text.find(options_.api_key, at)) != std::string::npos;) {
        text.replace(at, options_.api_key.size(), "[redacted]");
        at += 10;
      }
    }
    text = target::Snippet(text, 160);
    return text.empty() ? std::string() : " (" + text + ")";
  }

  // Both budgets are checked before a request leaves: the request budget exactly (a slot is reserved, so
  // threads together never exceed it), the token budget against what answers reported so far (requests
  // in flight may still add theirs).
  Status ReserveBudget() {
    if (options_.budget_tokens > 0 && tokens_.load() >= options_.budget_tokens) {
      return MakeError(ErrorCode::kLimit, "token budget of " + std::to_string(options_.budget_tokens) + " spent (" +
                                              std::to_string(tokens_.load()) + " tokens used)");
    }
    uint64_t sent = requests_.load();
    do {
      if (options_.budget_requests > 0 && sent >= options_.budget_requests) {
        return MakeError(ErrorCode::kLimit, "request budget of " + std::to_string(options_.budget_requests) + " spent");
      }
    } while (!requests_.compare_exchange_weak(sent, sent + 1));
    return Ok{};
  }

  Result<ChatAnswer> Parse(const Exchange& exchange) const {
    if (template_) {
      if (exchange.event_stream) return MakeError(ErrorCode::kParse, "the answer is an event stream, not JSON");
      return template_->ParseAnswer(exchange.body);
    }
    if (exchange.event_stream) return target::ParseOpenAiStream(exchange.events);
    auto answer = target::ParseOpenAiAnswer(exchange.body);
    if (!answer && answer.error().code == ErrorCode::kParse && !exchange.content_type.empty() &&
        exchange.content_type.find("json") == std::string::npos) {
      return MakeError(ErrorCode::kParse,
                       answer.error().message + " [Content-Type: " + target::Snippet(exchange.content_type, 80) + "]");
    }
    return answer;
  }

  TargetOptions options_;
  std::unique_ptr<gateway::HttpClient> client_;
  gateway::Url url_;
  std::optional<target::RequestTemplate> template_;
  std::vector<std::pair<std::string, std::string>> headers_;
  RateLimiter limiter_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> tokens_{0};
};

}  // namespace

Result<std::unique_ptr<ChatTarget>> MakeChatTarget(const TargetOptions& options) {
  MG_ASSIGN_OR_RETURN(gateway::Url url, gateway::ParseUrl(options.url));
  if (options.timeout.count() <= 0)
    return MakeError(ErrorCode::kInvalidArgument, "the request timeout must be positive");
  if (options.max_answer_bytes == 0)
    return MakeError(ErrorCode::kInvalidArgument, "the answer size cap must be positive");
  if (options.requests_per_second < 0 || !std::isfinite(options.requests_per_second))
    return MakeError(ErrorCode::kInvalidArgument,
                     "the rate limit must be a non-negative number of requests per second");
  for (const char c : options.api_key) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return MakeError(ErrorCode::kInvalidArgument, "the API key holds a control character");  // never the key itself
  }
  std::optional<target::RequestTemplate> request_template;
  if (!options.request_template.empty()) {
    MG_ASSIGN_OR_RETURN(auto made, target::RequestTemplate::Make(options.request_template, options.answer_pointer));
    request_template = std::move(made);
  } else if (!options.answer_pointer.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "an answer pointer needs a request template");
  }
  MG_ASSIGN_OR_RETURN(auto client, gateway::HttpClient::Make(url, options.ca_file));
  return std::unique_ptr<ChatTarget>(
      new HttpChatTarget(options, std::move(client), std::move(url), std::move(request_template)));
}

}  // namespace modelguard::redteam
