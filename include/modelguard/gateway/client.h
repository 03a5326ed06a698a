#pragma once
// One HTTP POST, synchronously: the red team's requests to the endpoint under test, the monitor's webhooks.
// The connection (plain TCP or TLS, verified with SNI and host name checks) comes from the gateway's
// upstream code, so both reach an endpoint the way the gateway reaches its upstreams. Each exchange runs on an event
// loop of its own, which makes Post safe to call from any number of threads at once.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::gateway {

struct UpstreamState;

struct Url {
  bool tls = false;
  std::string host;  // without brackets (IPv6)
  std::string port;
  std::string target;     // path and query, at least "/"
  std::string authority;  // for the Host field and for reports
};

// http:// or https:// only; no user information, a port in range.
Result<Url> ParseUrl(const std::string& url);

// What one exchange ended with. `failure` is empty when a whole HTTP answer arrived (whatever its status).
struct Exchange {
  enum class Failure { kNone, kConnect, kTls, kClosed, kTimeout, kTooBig, kBroken, kCancelled };
  Failure failure = Failure::kNone;
  std::string why;  // for the failure, human readable
  int status = 0;
  std::string content_type;
  std::string retry_after;
  bool event_stream = false;        // text/event-stream: `events` holds the data of each event
  std::string body;                 // otherwise the body
  std::vector<std::string> events;  // data fields, up to and excluding "[DONE]"
  bool done_event = false;          // "[DONE]" arrived (the exchange stops reading there)
};

class HttpClient {
 public:
  static Result<std::unique_ptr<HttpClient>> Make(const Url& url, const std::string& ca_file);
  ~HttpClient();
  // Posts `body` (JSON) and reads the answer within `timeout` (connect to last byte) and `max_bytes` (the
  // body, streamed or not); `headers` are added as given (Authorization). Checks cancellation while
  // waiting.
  Exchange Post(const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers,
                bool want_stream, std::chrono::milliseconds timeout, size_t max_bytes) const;

 private:
  HttpClient() = default;
  Url url_;
  std::shared_ptr<UpstreamState> upstream_;
};

}  // namespace modelguard::gateway
