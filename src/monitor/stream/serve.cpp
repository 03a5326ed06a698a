// `monitor serve`: configuration, the follow-observe-alert loop, webhooks, the metrics listener and the state
// file (serve.h).
#include "modelguard/monitor/serve.h"

#include <utility>  // before asio: Boost 1.74 awaitable.hpp uses std::exchange without it

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "modelguard/core/append_file.h"
#include "modelguard/core/cancel.h"
#include "modelguard/core/config_document.h"
#include "modelguard/core/host_port.h"
#include "modelguard/core/io.h"
#include "modelguard/gateway/client.h"
#include "modelguard/gateway/settings.h"
#include "modelguard/monitor/follow.h"
#include "modelguard/monitor/labels.h"

namespace modelguard::monitor {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using gateway::Setting;
using gateway::SettingType;

constexpr uint64_t kMaxConfigBytes = uint64_t{1} << 20;
constexpr uint64_t kMaxStateBytes = uint64_t{1} << 30;
constexpr uint64_t kEventsPerPoll = 65536;
constexpr size_t kMaxQueuedWebhooks = 10000;  // beyond: the oldest message is given up (and counted)
constexpr std::chrono::milliseconds kMaxBackoff{60000};
constexpr const char* kServeStateSchema = "modelguard.monitor-serve-state/v1";

const gateway::SettingsSchema& Schema() {
  static const gateway::SettingsSchema schema = {
      {"audit",
       SettingType::kString,
       "the gateway's audit: a JSON Lines file (the jsonl sink), an SQLite log (.sqlite, .db) or a postgresql:// URI "
       "(the log sink)",
       nullptr,
       {},
       {},
       {},
       true},
      {"reference_file", SettingType::kString,
       "audit events (JSON Lines) that form each route's reference; default: each route's first reference_events "
       "events",
       ""},
      {"reference_events", SettingType::kInteger, "events per route that form its reference", 1000, {}, 10, 10000000},
      {"window_events",
       SettingType::kInteger,
       "events per window (each route, and each key, counts its own)",
       500,
       {},
       20,
       1000000},
      {"false_alarm_rate",
       SettingType::kNumber,
       "per window, scope, signal and detector: how often a stream that behaves like the reference may alarm",
       0.01,
       {},
       1e-6,
       0.5},
      {"detectors",
       SettingType::kStringList,
       "which detectors judge each signal",
       nlohmann::json::array({"test", "cusum", "page_hinkley"}),
       {"test", "cusum", "page_hinkley"}},
      {"signals", SettingType::kStringList,
       "signals followed (latency_ms, first_byte_ms, tokens, status_class, signals.refusal, ...); empty: all",
       nlohmann::json::array()},
      {"per_key", SettingType::kBool, "also judge each API key's traffic against its route's reference", true},
      {"resolve_after",
       SettingType::kInteger,
       "consecutive clean windows before a firing alert is resolved",
       2,
       {},
       1,
       1000},
      {"cusum_k",
       SettingType::kNumber,
       "CUSUM allowance in reference standard deviations (half the shift to catch)",
       0.25,
       {},
       0,
       10},
      {"page_hinkley_delta",
       SettingType::kNumber,
       "Page-Hinkley tolerance in reference standard deviations",
       0.125,
       {},
       0,
       10},
      {"calibration_runs",
       SettingType::kInteger,
       "windows resampled from the reference to set the CUSUM and Page-Hinkley thresholds",
       2000,
       {},
       100,
       100000},
      {"seed", SettingType::kInteger, "the calibration's resampling seed", 1, {}, 0, 9007199254740991.0},
      {"max_routes", SettingType::kInteger, "routes followed; more share the route \"(other)\"", 64, {}, 1, 4096},
      {"max_keys_per_route",
       SettingType::kInteger,
       "keys judged per route; more share the key \"(other)\"",
       100,
       {},
       0,
       100000},
      {"max_signals", SettingType::kInteger, "signals followed per route", 64, {}, 1, 1024},
      {"labels", SettingType::kString,
       "true labels of classifier predictions (JSON Lines of {\"request_id\", \"label\"}, appended by monitor label), "
       "followed like the audit",
       ""},
      {"performance", SettingType::kBool,
       "estimate classifier accuracy without labels (CBPE) on routes whose events carry predicted_class", true},
      {"calibration_labels",
       SettingType::kInteger,
       "labelled reference predictions needed before confidences are calibrated (isotonic regression)",
       100,
       {},
       10,
       10000000},
      {"max_pending_labels",
       SettingType::kInteger,
       "predictions kept waiting for their label, and labels waiting for their prediction",
       100000,
       {},
       1,
       10000000},
      {"history_windows",
       SettingType::kInteger,
       "closed windows kept per route and signal for report.html's time series",
       120,
       {},
       1,
       10000},
      {"performance_windows",
       SettingType::kInteger,
       "closed windows kept per scope for labels that arrive later",
       100,
       {},
       1,
       100000},
      {"state", SettingType::kString, "state file, written atomically; a restart continues from it", ""},
      {"state_interval_seconds",
       SettingType::kInteger,
       "how often the state file is written (and on exit)",
       10,
       {},
       1,
       86400},
      {"alert_log", SettingType::kString, "alerts appended as JSON Lines", ""},
      {"metrics", SettingType::kString, "host:port of the Prometheus listener (GET /metrics, /healthz)", ""},
      {"poll_ms", SettingType::kInteger, "how often the audit is polled when nothing new arrived", 200, {}, 10, 60000},
      {"webhooks",
       SettingType::kObjectList,
       "alert receivers: each message is a JSON POST",
       nlohmann::json::array(),
       {},
       {},
       {},
       false,
       {{"url", SettingType::kString, "http:// or https:// URL", nullptr, {}, {}, {}, true},
        {"authorization_env", SettingType::kString, "environment variable holding the Authorization header's value",
         ""},
        {"ca_file", SettingType::kString, "CA bundle for https:// (default: the system's)", ""},
        {"attempts", SettingType::kInteger, "tries before a message is given up", 6, {}, 1, 100},
        {"backoff_ms",
         SettingType::kInteger,
         "wait before the first retry, doubled after each (at most 60 s)",
         500,
         {},
         1,
         60000},
        {"timeout_ms", SettingType::kInteger, "connect to last byte, per try", 5000, {}, 10, 300000}}},
  };
  return schema;
}

// --- the metrics listener -------------------------------------------------------------------------------------

class MetricsServer {
 public:
  static Result<std::unique_ptr<MetricsServer>> Start(const std::string& host, uint16_t port) {
    auto server = std::unique_ptr<MetricsServer>(new MetricsServer());
    beast::error_code error;
    const auto address = asio::ip::make_address(host, error);
    if (error) return MakeError(ErrorCode::kInvalidArgument, "metrics: '" + host + "' is not an IP address");
    const tcp::endpoint endpoint(address, port);
    server->acceptor_.open(endpoint.protocol(), error);
    if (!error) server->acceptor_.set_option(asio::socket_base::reuse_address(true), error);
    if (!error) server->acceptor_.bind(endpoint, error);
    if (!error) server->acceptor_.listen(asio::socket_base::max_listen_connections, error);
    if (error)
      return MakeError(ErrorCode::kIo,
                       "metrics: cannot listen on " + host + ":" + std::to_string(port) + ": " + error.message());
    server->Accept();
    server->thread_ = std::thread([raw = server.get()] { raw->io_.run(); });
    return server;
  }

  ~MetricsServer() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void Publish(std::string text) {
    std::lock_guard lock(mutex_);
    text_ = std::move(text);
  }

 private:
  MetricsServer() : acceptor_(io_), retry_(io_) {}

  struct Session : std::enable_shared_from_this<Session> {
    explicit Session(tcp::socket socket, MetricsServer& owner) : stream(std::move(socket)), server(owner) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer{8192};
    http::request_parser<http::empty_body> parser;
    http::response<http::string_body> response;
    MetricsServer& server;

    void Start() {
      parser.header_limit(8192);
      stream.expires_after(std::chrono::seconds(5));
      http::async_read(stream, buffer, parser, [self = shared_from_this()](beast::error_code error, size_t) {
        if (error) return;
        self->Answer();
      });
    }

    void Answer() {
      const auto& request = parser.get();
      const std::string target(request.target());
      response.version(request.version());
      response.keep_alive(false);
      if (request.method() != http::verb::get && request.method() != http::verb::head) {
        response.result(http::status::method_not_allowed);
        response.set(http::field::allow, "GET, HEAD");
      } else if (target == "/metrics") {
        response.result(http::status::ok);
        response.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
        std::lock_guard lock(server.mutex_);
        response.body() = server.text_;
      } else if (target == "/healthz") {
        response.result(http::status::ok);
        response.set(http::field::content_type, "text/plain");
        response.body() = "ok\n";
      } else {
        response.result(http::status::not_found);
        response.body() = "not found: GET /metrics or /healthz\n";
      }
      response.prepare_payload();
      if (request.method() == http::verb::head) response.body().clear();
      http::async_write(stream, response, [self = shared_from_this()](beast::error_code, size_t) {
        beast::error_code ignored;
        self->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      });
    }
  };

  void Accept() {
    acceptor_.async_accept([this](beast::error_code error, tcp::socket socket) {
      if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!error) {
        std::make_shared<Session>(std::move(socket), *this)->Start();
        Accept();
        return;
      }
      // Out of descriptors (or another accept failure): wait before trying again instead of spinning.
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([this](beast::error_code) { Accept(); });
    });
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  std::thread thread_;
  std::mutex mutex_;
  std::string text_ = "# no data yet\n";
};

// --- webhooks ---------------------------------------------------------------------------------------------------

struct Delivery {
  size_t webhook = 0;  // index into the configuration's list
  std::string body;
  std::string idempotency_key;
  uint64_t attempts = 0;  // made so far
  std::chrono::steady_clock::time_point due{};
};

class WebhookSender {
 public:
  WebhookSender(const std::vector<WebhookSettings>& hooks, std::function<void(const std::string&)> note)
      : hooks_(hooks), note_(std::move(note)) {}

  Status Start() {
    for (const auto& hook : hooks_) {
      auto url = gateway::ParseUrl(hook.url);
      if (!url) return MakeError(url.error().code, "webhook " + hook.url + ": " + url.error().message);
      auto client = gateway::HttpClient::Make(*url, hook.ca_file);
      if (!client) return MakeError(client.error().code, "webhook " + hook.url + ": " + client.error().message);
      clients_.push_back(std::move(*client));
    }
    if (!hooks_.empty()) worker_ = std::thread([this] { Run(); });
    return Ok{};
  }

  ~WebhookSender() { Stop(); }

  void Enqueue(Delivery delivery) {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kMaxQueuedWebhooks) {
      queue_.pop_front();
      ++failures_;
    }
    queue_.push_back(std::move(delivery));
    wake_.notify_all();
  }

  void Post(const Alert& alert) {
    const std::string body = ToJson(alert).dump() + "\n";
    for (size_t i = 0; i < hooks_.size(); ++i)
      Enqueue({i, body, alert.id + "-" + alert.status, 0, std::chrono::steady_clock::now()});
  }

  // Waits until every message was delivered or given up, or `deadline` passes.
  void Drain(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    drained_.wait_until(lock, deadline, [&] { return queue_.empty() && in_flight_ == 0; });
  }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
      wake_.notify_all();
    }
    if (worker_.joinable()) worker_.join();
  }

  // What is not delivered yet, the message being sent included: saved with the state (periodically and at
  // the end), retried after a restart.
  std::deque<Delivery> Undelivered() {
    std::lock_guard lock(mutex_);
    std::deque<Delivery> out = queue_;
    if (sending_) out.push_front(*sending_);
    return out;
  }

  uint64_t failures() const {
    std::lock_guard lock(mutex_);
    return failures_;
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (queue_.empty()) {
        wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        continue;
      }
      auto next = std::min_element(queue_.begin(), queue_.end(),
                                   [](const Delivery& a, const Delivery& b) { return a.due < b.due; });
      if (next->due > std::chrono::steady_clock::now()) {
        wake_.wait_until(lock, next->due);
        continue;
      }
      Delivery delivery = std::move(*next);
      queue_.erase(next);
      ++in_flight_;
      sending_ = delivery;
      lock.unlock();
      const WebhookSettings& hook = hooks_[delivery.webhook];
      std::vector<std::pair<std::string, std::string>> headers = {{"Idempotency-Key", delivery.idempotency_key}};
      if (!hook.authorization.empty()) headers.push_back({"Authorization", hook.authorization});
      const auto answer = clients_[delivery.webhook]->Post(delivery.body, headers, false, hook.timeout, 65536);
      ++delivery.attempts;
      const bool delivered =
          answer.failure == gateway::Exchange::Failure::kNone && answer.status >= 200 && answer.status < 300;
      lock.lock();
      --in_flight_;
      sending_.reset();
      if (!delivered) {
        const std::string why =
            answer.failure == gateway::Exchange::Failure::kNone ? "HTTP " + std::to_string(answer.status) : answer.why;
        if (delivery.attempts >= hook.attempts) {
          ++failures_;
          if (note_)
            note_("webhook " + hook.url + ": given up after " + std::to_string(delivery.attempts) + " attempts (" +
                  why + ")");
        } else {
          auto wait = hook.backoff * (int64_t{1} << std::min<uint64_t>(delivery.attempts - 1, 20));
          delivery.due = std::chrono::steady_clock::now() + std::min<std::chrono::milliseconds>(wait, kMaxBackoff);
          queue_.push_back(std::move(delivery));
        }
      }
      if (queue_.empty() && in_flight_ == 0) drained_.notify_all();
    }
  }

  const std::vector<WebhookSettings>& hooks_;
  std::function<void(const std::string&)> note_;
  std::vector<std::unique_ptr<gateway::HttpClient>> clients_;
  mutable std::mutex mutex_;
  std::condition_variable wake_, drained_;
  std::deque<Delivery> queue_;
  std::optional<Delivery> sending_;
  uint64_t in_flight_ = 0, failures_ = 0;
  bool stopping_ = false;
  std::thread worker_;
};

// --- the alert log ------------------------------------------------------------------------------------------------

class AlertLog {
 public:
  ~AlertLog() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status Open(const std::string& path) {
    if (path.empty()) return Ok{};
    path_ = path;
    fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return MakeError(ErrorCode::kIo, "cannot open alert log " + path + ": " + std::strerror(errno));
    return Ok{};
  }
  Status Append(const Alert& alert) {
    if (fd_ < 0) return Ok{};
    const std::string line = ToJson(alert).dump() + "\n";
    size_t done = 0;
    while (done < line.size()) {
      const ssize_t wrote = ::write(fd_, line.data() + done, line.size() - done);
      if (wrote < 0 && errno == EINTR) continue;
      if (wrote <= 0) return MakeError(ErrorCode::kIo, "cannot write alert log " + path_ + ": " + std::strerror(errno));
      done += static_cast<size_t>(wrote);
    }
    return Ok{};
  }

 private:
  std::string path_;
  int fd_ = -1;
};

Status SaveState(const ServeConfig& config, const StreamMonitor& monitor, const AuditFollower& follower,
                 const AuditFollower* labels, const std::deque<Delivery>& undelivered) {
  if (config.state.empty()) return Ok{};
  nlohmann::json webhooks = nlohmann::json::array();
  for (const auto& delivery : undelivered)
    webhooks.push_back({{"url", config.webhooks[delivery.webhook].url},
                        {"body", delivery.body},
                        {"idempotency_key", delivery.idempotency_key},
                        {"attempts", delivery.attempts}});
  nlohmann::json state = {{"schema", kServeStateSchema},
                          {"audit", config.audit},
                          {"position", follower.Position()},
                          {"monitor", monitor.SaveState()},
                          {"webhooks", webhooks}};
  if (labels) {
    state["labels"] = config.labels;
    state["labels_position"] = labels->Position();
  }
  return WriteFileAtomic(config.state, state.dump() + "\n");
}

}  // namespace

Result<ServeConfig> LoadServeConfig(const std::string& path) {
  auto text = ReadFile(path, kMaxConfigBytes);
  if (!text) return MakeError(text.error().code, "cannot read monitor configuration: " + text.error().message);
  MG_ASSIGN_OR_RETURN(ConfigDocument document, ParseConfigDocument(*text, path));
  auto settings = gateway::Settings::Read(Schema(), document.doc, "monitor");
  auto located = [&](const Error& error) {
    // "monitor.window_events: message" -> "file:line: window_events: message"
    std::string message = error.message;
    if (message.starts_with("monitor.")) message = message.substr(8);
    const auto colon = message.find(": ");
    if (colon == std::string::npos) return MakeError(ErrorCode::kInvalidArgument, path + ": " + message);
    return MakeError(ErrorCode::kInvalidArgument, document.Where(message.substr(0, colon)) + message.substr(colon + 2));
  };
  if (!settings) return located(settings.error());
  ServeConfig config;
  config.file = path;
  config.audit = settings->String("audit");
  if (config.audit.empty()) return located(settings->Invalid("audit", "must name the audit to follow"));
  config.reference_file = settings->String("reference_file");
  config.labels = settings->String("labels");
  config.state = settings->String("state");
  config.state_interval = std::chrono::seconds(settings->Integer("state_interval_seconds"));
  config.alert_log = settings->String("alert_log");
  config.poll = std::chrono::milliseconds(settings->Integer("poll_ms"));
  if (const std::string metrics = settings->String("metrics"); !metrics.empty()) {
    const auto listener = ParseHostPort(metrics);
    if (!listener) return located(settings->Invalid("metrics", "host:port is expected, got '" + metrics + "'"));
    config.metrics_host = listener->host;
    config.metrics_port = listener->port;
  }
  StreamSettings& stream = config.stream;
  stream.reference_events = static_cast<uint64_t>(settings->Integer("reference_events"));
  stream.window_events = static_cast<uint64_t>(settings->Integer("window_events"));
  stream.false_alarm_rate = settings->Number("false_alarm_rate");
  const auto detectors = settings->Strings("detectors");
  auto has = [&](const char* name) { return std::find(detectors.begin(), detectors.end(), name) != detectors.end(); };
  stream.test = has("test");
  stream.cusum = has("cusum");
  stream.page_hinkley = has("page_hinkley");
  stream.signals = settings->Strings("signals");
  stream.per_key = settings->Bool("per_key");
  stream.resolve_after = static_cast<uint64_t>(settings->Integer("resolve_after"));
  stream.cusum_k = settings->Number("cusum_k");
  stream.page_hinkley_delta = settings->Number("page_hinkley_delta");
  stream.calibration_runs = static_cast<uint64_t>(settings->Integer("calibration_runs"));
  stream.seed = static_cast<uint64_t>(settings->Integer("seed"));
  stream.max_routes = static_cast<size_t>(settings->Integer("max_routes"));
  stream.max_keys_per_route = static_cast<size_t>(settings->Integer("max_keys_per_route"));
  stream.max_signals = static_cast<size_t>(settings->Integer("max_signals"));
  stream.performance = settings->Bool("performance");
  stream.calibration_labels = static_cast<uint64_t>(settings->Integer("calibration_labels"));
  stream.max_pending_labels = static_cast<size_t>(settings->Integer("max_pending_labels"));
  stream.performance_windows = static_cast<size_t>(settings->Integer("performance_windows"));
  stream.history_windows = static_cast<size_t>(settings->Integer("history_windows"));
  if (stream.reference_events < stream.window_events)
    return located(settings->Invalid("reference_events",
                                     "must be at least window_events (" + std::to_string(stream.window_events) + ")"));
  for (const auto& hook : settings->Objects("webhooks")) {
    WebhookSettings out;
    out.url = hook.String("url");
    if (auto url = gateway::ParseUrl(out.url); !url) return located(hook.Invalid("url", url.error().message));
    if (const std::string env = hook.String("authorization_env"); !env.empty()) {
      const char* value = std::getenv(env.c_str());
      if (!value || !*value)
        return located(hook.Invalid("authorization_env", "the environment variable " + env + " is not set"));
      out.authorization = value;
    }
    out.ca_file = hook.String("ca_file");
    out.attempts = static_cast<uint64_t>(hook.Integer("attempts"));
    out.backoff = std::chrono::milliseconds(hook.Integer("backoff_ms"));
    out.timeout = std::chrono::milliseconds(hook.Integer("timeout_ms"));
    config.webhooks.push_back(std::move(out));
  }
  return config;
}

std::string ServeConfigReference() { return gateway::SettingsTableMarkdown(Schema()); }

Result<ServeOutcome> Serve(const ServeConfig& config, const ServeOptions& options) {
  auto note = [&](const std::string& text) {
    if (options.note) options.note(text);
  };
  for (const std::string& output : {config.state, config.alert_log}) {
    if (output.empty()) continue;
    std::error_code same;
    for (const std::string& input : {config.audit, config.reference_file, config.labels})
      if (!input.empty() && (input == output || std::filesystem::equivalent(output, input, same)))
        return MakeError(ErrorCode::kInvalidArgument,
                         "monitor: " + output + " is an input (the audit, reference or labels)");
  }
  if (!config.labels.empty()) {
    std::error_code same;
    if (config.labels == config.audit || std::filesystem::equivalent(config.labels, config.audit, same))
      return MakeError(ErrorCode::kInvalidArgument, "monitor: labels and audit name the same file");
  }
  if (!config.state.empty() && !config.alert_log.empty() && config.state == config.alert_log)
    return MakeError(ErrorCode::kInvalidArgument, "monitor: state and alert_log name the same file");
  MG_ASSIGN_OR_RETURN(auto follower, FollowAudit(config.audit));
  std::unique_ptr<AuditFollower> labels;
  if (!config.labels.empty()) {
    // `monitor label` may not have written any label yet: an empty file to follow.
    MG_TRY(AppendToFile(config.labels, ""));
    MG_ASSIGN_OR_RETURN(labels, FollowJsonl(config.labels));
  }
  StreamMonitor monitor(config.stream);
  std::deque<Delivery> restored;
  bool resumed = false;
  std::error_code missing;
  if (!config.state.empty() && std::filesystem::exists(config.state, missing)) {
    auto text = ReadFile(config.state, kMaxStateBytes);
    if (!text) return text.error();
    const auto state = nlohmann::json::parse(*text, nullptr, false);
    auto text_of = [&](const char* key) {
      return state.is_object() && state.contains(key) && state[key].is_string() ? state[key].get<std::string>() : "";
    };
    if (!state.is_object() || text_of("schema") != kServeStateSchema)
      return MakeError(ErrorCode::kParse,
                       "state file " + config.state + " is not a monitor state; remove it to start afresh");
    if (text_of("audit") != config.audit) {
      note("state file " + config.state + " followed another audit (" + text_of("audit") + "): starting afresh");
    } else {
      if (auto loaded = monitor.LoadState(state.contains("monitor") ? state["monitor"] : nlohmann::json()); !loaded)
        return MakeError(loaded.error().code, config.state + ": " + loaded.error().message);
      MG_ASSIGN_OR_RETURN(std::string where,
                          follower->Resume(state.contains("position") ? state["position"] : nlohmann::json()));
      note("state " + config.state + ": " + where);
      if (labels && state.contains("labels_position") && text_of("labels") == config.labels) {
        MG_ASSIGN_OR_RETURN(std::string labels_where, labels->Resume(state["labels_position"]));
        note("labels " + config.labels + ": " + labels_where);
      }
      resumed = true;
      if (auto hooks = state.find("webhooks"); hooks != state.end() && hooks->is_array()) {
        for (const auto& saved : *hooks) {
          if (!saved.is_object() || !saved.contains("body") || !saved["body"].is_string()) continue;
          if (!saved.contains("url") || !saved["url"].is_string() || !saved.contains("idempotency_key") ||
              !saved["idempotency_key"].is_string())
            continue;
          for (size_t i = 0; i < config.webhooks.size(); ++i)
            if (config.webhooks[i].url == saved["url"].get<std::string>())
              restored.push_back({i, saved["body"].get<std::string>(), saved["idempotency_key"].get<std::string>(), 0,
                                  std::chrono::steady_clock::now()});
        }
      }
    }
  }
  if (!resumed && !config.reference_file.empty()) {
    MG_ASSIGN_OR_RETURN(auto reference, FollowJsonl(config.reference_file));
    uint64_t bad = 0, read = 0;
    for (;;) {
      MG_ASSIGN_OR_RETURN(uint64_t got, reference->Poll(
                                            [&](std::string_view line) {
                                              auto event = ParseAuditEvent(line);
                                              if (event)
                                                monitor.AddReference(*event);
                                              else
                                                ++bad;
                                            },
                                            kEventsPerPoll));
      read += got;
      if (got == 0) break;
      MG_TRY(cancel::Check("monitor: reading the reference"));
    }
    if (read == bad)
      return MakeError(ErrorCode::kInvalidArgument,
                       "reference_file " + config.reference_file + " holds no audit event");
    monitor.FreezeReferences();
    note("reference: " + std::to_string(read - bad) + " events from " + config.reference_file);
  }

  AlertLog alert_log;
  MG_TRY(alert_log.Open(config.alert_log));
  WebhookSender webhooks(config.webhooks, note);
  MG_TRY(webhooks.Start());
  for (auto& delivery : restored) webhooks.Enqueue(std::move(delivery));
  std::unique_ptr<MetricsServer> metrics;
  if (!config.metrics_host.empty()) {
    MG_ASSIGN_OR_RETURN(metrics, MetricsServer::Start(config.metrics_host, config.metrics_port));
    metrics->Publish(monitor.Prometheus());
    note("metrics on http://" + config.metrics_host + ":" + std::to_string(metrics->port()) + "/metrics");
  }
  if (options.on_listening) options.on_listening(metrics ? metrics->port() : 0);

  ServeOutcome outcome;
  MonitoredEvent event;  // one, reused line after line
  auto last_save = std::chrono::steady_clock::now();
  std::optional<Error> failure;
  for (;;) {
    // Labels first: one that names a prediction of this poll waits for it, while a prediction read first and
    // closed into a window before its reference label was read would miss the calibration.
    uint64_t labels_got = 0;
    if (labels) {
      auto read = labels->Poll(
          [&](std::string_view line) {
            if (auto label = ParseLabelLine(line))
              monitor.Label(label->request_id, label->label);
            else
              ++outcome.label_errors;
          },
          kEventsPerPoll);
      if (!read) {
        failure = read.error();
        break;
      }
      labels_got = *read;
      outcome.labels += labels_got;
    }
    auto got = follower->Poll(
        [&](std::string_view line) {
          // Only the signals the monitor follows: the others would be copied out of the line to be ignored.
          if (!ParseAuditEvent(line, event, config.stream.signals)) {
            ++outcome.parse_errors;
            return;
          }
          monitor.Observe(event);
        },
        kEventsPerPoll);
    if (!got) {
      failure = got.error();
      break;
    }
    outcome.events += *got;
    for (const Alert& alert : monitor.TakeAlerts()) {
      ++outcome.alerts;
      note(std::string(alert.status == "firing" ? "ALERT " : "resolved ") + alert.message);
      if (auto logged = alert_log.Append(alert); !logged) note(logged.error().message);
      webhooks.Post(alert);
    }
    if (metrics && (*got > 0 || labels_got > 0 || outcome.events == 0)) metrics->Publish(monitor.Prometheus());
    if (cancel::Requested()) {
      outcome.interrupted = true;
      break;
    }
    if (*got == 0 && labels_got == 0 && options.once) break;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_save >= config.state_interval) {
      if (auto saved = SaveState(config, monitor, *follower, labels.get(), webhooks.Undelivered()); !saved)
        note(saved.error().message);
      last_save = now;
    }
    if (*got == 0 && labels_got == 0) {
      // Sleep in short steps so a signal is answered quickly.
      const auto until = std::chrono::steady_clock::now() + config.poll;
      while (!cancel::Requested() && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  // --once delivers what it found before returning; a signal does not wait: what is undelivered is saved.
  if (options.once && !outcome.interrupted) {
    uint64_t longest = 0;
    for (const auto& hook : config.webhooks)
      longest = std::max<uint64_t>(longest, static_cast<uint64_t>((hook.timeout.count() + kMaxBackoff.count()) *
                                                                  static_cast<int64_t>(hook.attempts)));
    webhooks.Drain(std::chrono::steady_clock::now() + std::chrono::milliseconds(longest));
  }
  webhooks.Stop();
  outcome.webhook_failures = webhooks.failures();
  if (auto saved = SaveState(config, monitor, *follower, labels.get(), webhooks.Undelivered()); !saved && !failure)
    failure = saved.error();
  if (failure) return *failure;
  outcome.skipped = follower->skipped();
  outcome.status = monitor.SignalStatuses();
  outcome.performance = monitor.Performance();
  outcome.label_counts = monitor.labels();
  outcome.history = monitor.History();
  for (const auto& status : outcome.status)
    for (const auto& [detector, on] : status.firing) outcome.firing = outcome.firing || on;
  return outcome;
}

}  // namespace modelguard::monitor
