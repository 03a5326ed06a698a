#include "modelguard/gateway/client.h"

#include "src/gateway/wire.h"  // first among Boost users: Boost 1.74 needs <utility> before asio

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cctype>

#include "modelguard/core/cancel.h"
#include "src/gateway/sse.h"
#include "src/gateway/upstream.h"

namespace modelguard::gateway {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

Result<Url> ParseUrl(const std::string& text) {
  Url url;
  std::string rest;
  std::string scheme;
  const size_t colon = text.find("://");
  if (colon != std::string::npos) {
    for (size_t i = 0; i < colon; ++i) scheme += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
  }
  if (scheme == "http") {
    url.port = "80";
  } else if (scheme == "https") {
    url.tls = true;
    url.port = "443";
  } else {
    return MakeError(ErrorCode::kInvalidArgument, "target URL '" + text + "': only http:// and https:// are supported");
  }
  rest = text.substr(colon + 3);
  const size_t end = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, end);
  std::string target = end == std::string::npos ? "/" : rest.substr(end);
  if (const size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  if (target.empty() || target[0] != '/') target = "/" + target;
  for (const char c : target) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f)
      return MakeError(ErrorCode::kInvalidArgument, "target URL: the path holds a space or a control character");
  }
  if (authority.find('@') != std::string::npos)
    return MakeError(ErrorCode::kInvalidArgument,
                     "target URL: user information in the URL is not supported (use an API key)");
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos)
      return MakeError(ErrorCode::kInvalidArgument, "target URL: unterminated IPv6 address");
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return MakeError(ErrorCode::kInvalidArgument, "target URL: malformed authority");
      port = authority.substr(close + 2);
    }
  } else {
    const size_t port_at = authority.rfind(':');
    url.host = authority.substr(0, port_at);
    if (port_at != std::string::npos) port = authority.substr(port_at + 1);
  }
  if (url.host.empty()) return MakeError(ErrorCode::kInvalidArgument, "target URL '" + text + "': no host");
  for (const char c : url.host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_' && c != ':' && c != '%')
      return MakeError(ErrorCode::kInvalidArgument, "target URL: the host holds '" + std::string(1, c) + "'");
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) == 0 ||
        std::stoul(port) > 65535)
      return MakeError(ErrorCode::kInvalidArgument, "target URL: port '" + port + "' is not a port number");
    url.port = port;
  }
  url.authority = authority;
  url.target = target;
  return url;
}

Result<std::unique_ptr<HttpClient>> HttpClient::Make(const Url& url, const std::string& ca_file) {
  gateway::Upstream config;
  config.name = "target";
  config.targets = {{url.host, url.port}};
  config.tls = url.tls;
  config.tls_ca_file = url.tls ? ca_file : "";
  MG_ASSIGN_OR_RETURN(auto state, gateway::MakeUpstreamState(config));
  std::unique_ptr<HttpClient> client(new HttpClient());
  client->url_ = url;
  client->upstream_ = std::move(state);
  return client;
}

HttpClient::~HttpClient() = default;

namespace {

using Failure = Exchange::Failure;

void Fail(Exchange& out, Failure failure, std::string why) {
  if (out.failure != Failure::kNone) return;  // the first cause is the one worth reporting
  out.failure = failure;
  out.why = std::move(why);
}

// A read or write error, classified: the deadline, the size cap, or a broken connection.
void FailIo(Exchange& out, const beast::error_code& error, std::chrono::milliseconds timeout, size_t max_bytes,
            const char* while_doing) {
  if (error == beast::error::timeout || error == asio::error::operation_aborted) {
    Fail(out, Failure::kTimeout,
         std::string("no complete answer within ") + std::to_string(timeout.count()) + " ms (" + while_doing + ")");
  } else if (error == http::error::body_limit) {
    Fail(out, Failure::kTooBig, "the answer is larger than " + std::to_string(max_bytes) + " bytes");
  } else if (error == http::error::header_limit) {
    Fail(out, Failure::kTooBig, "the answer's header is too large");
  } else if (error == http::error::end_of_stream) {
    Fail(out, Failure::kClosed, "the endpoint closed the connection without answering");
  } else if (error.category() == http::make_error_code(http::error::bad_version).category()) {
    Fail(out, Failure::kBroken, std::string("malformed HTTP answer: ") + error.message());
  } else {
    Fail(out, Failure::kClosed, std::string(while_doing) + ": " + error.message());
  }
}

struct Job {
  gateway::UpstreamState* upstream;
  const Url* url;
  const std::string* body;
  const std::vector<std::pair<std::string, std::string>>* headers;
  bool want_stream;
  std::chrono::milliseconds timeout;
  Clock::time_point deadline;
  size_t max_bytes;
};

asio::awaitable<void> Run(Job job, Exchange& out) {
  beast::error_code error;
  auto connection =
      co_await gateway::ConnectUpstream(*job.upstream, *job.upstream->targets.front(), job.timeout, error);
  if (!connection) {
    const bool tls = error.category() == asio::error::get_ssl_category() ||
                     error.category() == asio::ssl::error::get_stream_category();
    if (error == beast::error::timeout) {
      Fail(out, Failure::kTimeout, "could not connect within " + std::to_string(job.timeout.count()) + " ms");
    } else {
      Fail(out, tls ? Failure::kTls : Failure::kConnect,
           std::string(tls ? "TLS handshake with " : "cannot connect to ") + job.url->authority + ": " +
               error.message());
    }
    co_return;
  }
  connection->lowest().expires_at(job.deadline);

  http::request<http::string_body> request{http::verb::post, job.url->target, 11};
  request.set(http::field::host, job.url->authority);
  request.set(http::field::user_agent, "modelguard-redteam");
  request.set(http::field::content_type, "application/json");
  request.set(http::field::accept, job.want_stream ? "text/event-stream, application/json" : "application/json");
  request.set(http::field::connection, "close");
  for (const auto& [name, value] : *job.headers) request.set(name, value);
  request.body() = *job.body;
  request.prepare_payload();
  co_await gateway::Write(*connection, request, error);
  if (error) {
    FailIo(out, error, job.timeout, job.max_bytes, "sending the request");
    co_return;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::empty_body> head;
  head.body_limit(job.max_bytes);
  co_await gateway::ReadHead(*connection, buffer, head, error);
  if (error) {
    FailIo(out, error, job.timeout, job.max_bytes, "waiting for the answer");
    co_return;
  }
  out.status = static_cast<int>(head.get().result_int());
  out.content_type = std::string(head.get()[http::field::content_type]);
  out.retry_after = std::string(head.get()[http::field::retry_after]);
  std::string lower_type;
  for (const char c : out.content_type) lower_type += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out.event_stream = lower_type.find("text/event-stream") != std::string::npos;

  http::response_parser<http::buffer_body> parser(std::move(head));
  parser.body_limit(job.max_bytes);
  gateway::SseSplitter splitter(job.max_bytes);
  std::vector<std::string> events;
  std::vector<char> chunk(16384);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    co_await gateway::ReadPart(*connection, buffer, parser, error);
    if (error == http::error::need_buffer) error = {};
    const size_t got = chunk.size() - parser.get().body().size;
    if (got > 0) {
      const std::string_view bytes(chunk.data(), got);
      if (!out.event_stream) {
        out.body.append(bytes);
      } else {
        events.clear();
        if (auto fed = splitter.Feed(bytes, events); !fed) {
          Fail(out, Failure::kTooBig, fed.error().message);
          co_return;
        }
        for (const auto& event : events) {
          bool has_data = false;
          std::string data = gateway::SseData(event, has_data);
          if (!has_data) continue;
          if (data == "[DONE]") {
            out.done_event = true;
            co_return;  // what follows (if anything) is not part of the answer
          }
          out.events.push_back(std::move(data));
        }
      }
    }
    if (error) {
      FailIo(out, error, job.timeout, job.max_bytes,
             out.event_stream ? "reading the event stream" : "reading the answer");
      co_return;
    }
  }
}

}  // namespace

Exchange HttpClient::Post(const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers,
                          bool want_stream, std::chrono::milliseconds timeout, size_t max_bytes) const {
  Exchange out;
  const Job job{upstream_.get(), &url_, &body, &headers, want_stream, timeout, Clock::now() + timeout, max_bytes};
  bool finished = false;
  {
    asio::io_context io;
    asio::co_spawn(io, Run(job, out), [&](std::exception_ptr failure) {
      finished = true;
      if (failure) {
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          Fail(out, Failure::kBroken, std::string("internal error in the HTTP exchange: ") + e.what());
        } catch (...) {
          Fail(out, Failure::kBroken, "internal error in the HTTP exchange");
        }
      }
    });
    // Short slices, so that Ctrl-C stops a request in flight; the stream's expiry bounds every operation,
    // and the deadline here is only a backstop (a name resolution the expiry cannot interrupt). Leaving
    // the loop with work pending destroys that work with the loop.
    const auto backstop = job.deadline + std::chrono::seconds(2);
    while (!finished) {
      io.run_for(std::chrono::milliseconds(100));
      if (finished) break;
      if (cancel::Requested()) {
        Fail(out, Failure::kCancelled, cancel::Describe());
        break;
      }
      if (Clock::now() > backstop) {
        Fail(out, Failure::kTimeout, "no complete answer within " + std::to_string(timeout.count()) + " ms");
        break;
      }
    }
  }
  return out;
}

}  // namespace modelguard::gateway
