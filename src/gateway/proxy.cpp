#include "src/gateway/proxy.h"

#include "modelguard/core/clock.h"
#include "modelguard/core/hash.h"
#include "src/gateway/audit_event.h"
#include "src/gateway/filter_chain.h"
#include "src/gateway/log.h"

namespace modelguard::gateway {
namespace {

std::string_view KindName(FilterVerdict::Kind kind) {
  switch (kind) {
    case FilterVerdict::Kind::kAllow:
      return "allow";
    case FilterVerdict::Kind::kBlock:
      return "block";
    case FilterVerdict::Kind::kFlag:
      return "flag";
    case FilterVerdict::Kind::kModify:
      return "modify";
    case FilterVerdict::Kind::kError:
      return "error";
    case FilterVerdict::Kind::kGone:
      return "gone";
  }
  return "unknown";
}

// The event's signals from what the request gathered: numbers and categories, no text.
void FillSignals(const RequestContext& context, const Signals& gathered, EventSignals& out) {
  const AnswerSignals& answer = gathered.answer;
  if (gathered.llm) {
    // The upstream's own counts when it gave them, else the gateway's estimates (4 bytes a token, openai.h).
    out.prompt_tokens = answer.prompt_tokens ? answer.prompt_tokens : context.prompt_tokens;
    out.completion_tokens = answer.completion_tokens;
    if (!out.completion_tokens && answer.seen)
      out.completion_tokens = static_cast<int64_t>((answer.text.bytes() + 3) / 4);
    if (answer.prompt_tokens && answer.completion_tokens)
      out.token_source = "usage";
    else if (out.prompt_tokens || out.completion_tokens)
      out.token_source = "estimate";
  }
  if (answer.seen) {
    out.answer_chars = answer.text.chars();
    out.refusal = answer.refusal_field || answer.text.LooksLikeRefusal();
    out.tool_calls = answer.tool_calls;
    out.finish_reason = answer.finish_reason;
  }
  if (auto guard = context.verdicts.find("guard"); guard != context.verdicts.end()) {
    out.guard_verdict = KindName(guard->second.kind);
    out.guard_score = context.guard_score;
    out.guard_scores = &context.guard_scores;
  }
  if (gathered.classifier || !gathered.classes.features.empty()) out.classifier = &gathered.classes;
}

}  // namespace

Result<std::shared_ptr<const Runtime>> MakeRuntime(const GatewayConfig& config, Metrics& metrics) {
  auto runtime = std::make_shared<Runtime>();
  runtime->config = config;
  for (const auto& route : config.routes) runtime->route_metrics.push_back(&metrics.Route(route.name));
  for (const auto& [name, upstream] : config.upstreams) {
    auto state = MakeUpstreamState(upstream);
    if (!state) return state.error();
    runtime->upstreams[name] = *state;
  }
  return std::shared_ptr<const Runtime>(std::move(runtime));
}

const Route* MatchRoute(const std::vector<Route>& routes, std::string_view target) {
  const std::string_view path = target.substr(0, target.find('?'));
  for (const auto& r : routes) {
    if (!r.path.empty() && r.path.back() == '*') {
      if (path.substr(0, r.path.size() - 1) == std::string_view(r.path).substr(0, r.path.size() - 1)) return &r;
    } else if (path == r.path) {
      return &r;
    }
  }
  return nullptr;
}

void Gateway::Record(UpstreamState& upstream, TargetState& target, bool ok, const std::string& why) {
  if (ok) {
    if (target.failures.load(std::memory_order_relaxed) != 0) target.failures = 0;
    if (!target.healthy.load(std::memory_order_relaxed) && !target.healthy.exchange(true)) {
      LogEvent("info", "upstream target healthy again", {{"upstream", upstream.config.name}, {"target", target.label}});
      metrics_->SetTargetHealth(upstream.config.name, target.label, true);
    }
  } else if (++target.failures >= upstream.config.unhealthy_after && target.healthy.exchange(false)) {
    LogEvent("warn", "upstream target unhealthy",
             {{"upstream", upstream.config.name}, {"target", target.label}, {"reason", why}});
    metrics_->SetTargetHealth(upstream.config.name, target.label, false);
  }
}

void Gateway::Audit(const GatewayConfig& config, const RequestContext& context, const std::string& target,
                    const Outcome& outcome, Clock::time_point started) {
  for (const auto& [filter, verdict] : context.verdicts) {
    if (verdict.kind == FilterVerdict::Kind::kFlag) metrics_->CountFlag(filter, verdict.reason);
  }
  if (!audit_ && !config.access_log) return;
  // Digests, never the bodies: the audit trail proves what passed without holding prompts or secrets. A
  // request without a body (GET, a refusal before the body) gets the empty text's digest, computed once.
  static const std::string kEmptySha256 = Sha256Hex("");
  const std::string request_sha256 = context.body.empty() ? std::string() : Sha256Hex(context.body);
  AuditEvent event;
  event.time_ms = NowUnixMilliseconds();
  event.key_id = context.key_id;
  event.route = context.route;
  event.method = context.method;
  event.path = std::string_view(target).substr(0, target.find('?'));
  event.model = context.model;
  event.status = outcome.status;
  event.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  event.first_byte_ms = outcome.first_byte_ms;
  event.stream = outcome.streamed;
  event.tokens = outcome.tokens;
  event.upstream = outcome.target;
  event.verdicts = &context.verdicts;
  event.request_sha256 = context.body.empty() ? kEmptySha256 : request_sha256;
  event.response_sha256 = outcome.response_sha256;
  event.request_id = context.request_id;
  event.tools = &context.tool_decisions;
  if (context.watermark) event.watermark = &*context.watermark;
  EventSignals signals;
  if (outcome.signals.enabled) {
    FillSignals(context, outcome.signals, signals);
    event.signals = &signals;
  }
  // One buffer per worker thread, reused: the event is serialised once, without a DOM, and without
  // allocating once the buffer has grown. (Audit runs start to end on one thread: nothing here suspends.)
  thread_local std::string text, access_line;
  const size_t after_time = WriteAuditEvent(text, event);
  if (config.access_log) {
    WriteAccessLogLine(access_line, text, after_time);
    LogLine(access_line);
  }
  if (audit_) {
    if (auto written = audit_->WriteObject(text); !written)
      LogEvent("error", "audit write failed", {{"error", written.error().message}});
  }
  // An event with a huge path would otherwise keep its buffer's size for the thread's life.
  constexpr size_t kKeptCapacity = size_t{64} << 10;
  if (text.capacity() > kKeptCapacity) std::string().swap(text);
  if (access_line.capacity() > kKeptCapacity) std::string().swap(access_line);
}

}  // namespace modelguard::gateway
