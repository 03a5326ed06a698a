// The audit event and the JSONL audit writer: the event text written without a DOM is, byte for byte, what
// the DOM serialiser wrote (hostile strings included), and so is the access log line; a file line is that
// text with "seq" and "prev" spliced in front; events from many threads at once all end up in the file, in
// one intact chain, by the time the sink is closed; special files and malformed event text are refused.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "modelguard/core/hash.h"
#include "modelguard/gateway/audit.h"
#include "modelguard/integrity/log.h"
#include "src/gateway/audit_event.h"

namespace modelguard::gateway {
namespace {
namespace fs = std::filesystem;

TEST(AuditWriter, EventsFromManyThreadsFormOneChain) {
  const std::string path =
      (fs::temp_directory_path() / ("mg-audit-threads-" + std::to_string(::getpid()) + ".jsonl")).string();
  fs::remove(path);
  constexpr int kThreads = 8, kEach = 2000;
  {
    auto sink = OpenJsonlAudit(path);
    ASSERT_TRUE(sink.ok()) << sink.error().message;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) EXPECT_TRUE((*sink)->Write({{"thread", t}, {"n", i}}).ok());
      });
    }
    for (auto& t : threads) t.join();
  }  // closing writes everything still queued
  auto check = VerifyAuditChain(path);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->events, uint64_t{kThreads} * kEach);
  EXPECT_TRUE(check->problems.empty()) << check->problems.front();
  fs::remove(path);
}

TEST(AuditWriter, SpecialFilesAreRefused) {
  for (const char* special : {"/dev/full", "/dev/zero", "/dev/null"}) {
    auto sink = OpenJsonlAudit(special);
    ASSERT_FALSE(sink.ok()) << special;
    EXPECT_NE(sink.error().message.find("not a regular file"), std::string::npos) << sink.error().message;
  }
  EXPECT_FALSE(OpenJsonlAudit("/nonexistent-dir/audit.jsonl").ok());
}

// The signals member as a DOM: members in the documented order (docs/gateway.md, "Audit"), unset ones left
// out; classifier values as scalars for one row, lists (null where a row gave nothing) for several.
nlohmann::ordered_json ReferenceSignals(const EventSignals& s) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (s.prompt_tokens) out["prompt_tokens"] = *s.prompt_tokens;
  if (s.completion_tokens) out["completion_tokens"] = *s.completion_tokens;
  if (!s.token_source.empty()) out["token_source"] = std::string(s.token_source);
  if (s.answer_chars) out["answer_chars"] = *s.answer_chars;
  if (s.refusal) out["refusal"] = *s.refusal;
  if (s.tool_calls) out["tool_calls"] = *s.tool_calls;
  if (!s.finish_reason.empty()) out["finish_reason"] = std::string(s.finish_reason);
  if (!s.guard_verdict.empty()) {
    auto& guard = out["guard"];
    guard["verdict"] = std::string(s.guard_verdict);
    if (s.guard_score) guard["score"] = *s.guard_score;
    if (s.guard_scores && !s.guard_scores->empty()) {
      for (const auto& [category, score] : *s.guard_scores) guard["scores"][category] = score;
    }
  }
  if (const ClassifierSignals* c = s.classifier) {
    const auto optional = [](const std::optional<double>& v) { return v ? nlohmann::ordered_json(*v) : nullptr; };
    if (!c->predicted_class.empty()) {
      out["rows"] = c->rows;
      if (!c->batch) {
        if (c->predicted_class[0] >= 0) out["predicted_class"] = c->predicted_class[0];
        if (c->top_probability[0]) out["top_probability"] = *c->top_probability[0];
        if (c->margin[0]) out["margin"] = *c->margin[0];
      } else {
        auto& classes = out["predicted_class"] = nlohmann::ordered_json::array();
        for (int64_t k : c->predicted_class) classes.push_back(k >= 0 ? nlohmann::ordered_json(k) : nullptr);
        bool scored = false;
        for (const auto& p : c->top_probability) scored = scored || p.has_value();
        if (scored) {
          for (const auto& p : c->top_probability) out["top_probability"].push_back(optional(p));
          for (const auto& m : c->margin) out["margin"].push_back(optional(m));
        }
      }
    }
    if (!c->features.empty()) {
      const auto row = [&](const auto& features) {
        nlohmann::ordered_json object = nlohmann::ordered_json::object();
        for (const auto& [name, value] : features) object[name] = optional(value);
        return object;
      };
      if (!c->features_batch) {
        out["features"] = row(c->features[0]);
      } else {
        for (const auto& features : c->features) out["features"].push_back(row(features));
      }
    }
  }
  return out;
}

// The audit event as the gateway built it before it was written directly: this DOM, dumped with the
// replace handler, is the reference the direct writer must reproduce byte for byte.
nlohmann::ordered_json ReferenceEvent(const AuditEvent& e) {
  nlohmann::ordered_json event;
  event["time"] = e.time_ms;
  event["key_id"] = std::string(e.key_id);
  event["route"] = std::string(e.route);
  event["method"] = std::string(e.method);
  event["path"] = std::string(e.path);
  if (!e.model.empty()) event["model"] = std::string(e.model);
  event["status"] = e.status;
  event["latency_ms"] = e.latency_ms;
  if (e.first_byte_ms) event["first_byte_ms"] = *e.first_byte_ms;
  if (e.stream) event["stream"] = true;
  if (e.tokens) event["tokens"] = *e.tokens;
  if (!e.upstream.empty()) event["upstream"] = std::string(e.upstream);
  event["verdicts"] = nlohmann::ordered_json::object();
  if (e.verdicts) {
    for (const auto& [name, verdict] : *e.verdicts) event["verdicts"][name] = verdict.ToString();
  }
  event["request_sha256"] = std::string(e.request_sha256);
  event["response_sha256"] = std::string(e.response_sha256);
  if (!e.request_id.empty()) event["request_id"] = std::string(e.request_id);
  if (e.signals) event["signals"] = ReferenceSignals(*e.signals);
  return event;
}

std::string Dump(const nlohmann::ordered_json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// The access log line as LogEvent built it from that DOM: the log's own "time" stamp first, then the
// event's members merged in, so the event's "time" takes the stamp's place.
std::string ReferenceAccessLine(const nlohmann::ordered_json& event) {
  nlohmann::ordered_json line;
  line["time"] = "2026-12-01T00:00:00.000Z";
  line["level"] = "info";
  line["msg"] = "request";
  for (auto& [key, value] : event.items()) line[key] = value;
  return Dump(line) + "\n";
}

const std::map<std::string, FilterVerdict> kEveryVerdict = {
    {"api_key", FilterVerdict::Allow()},
    {"guard", FilterVerdict::Block("prompt_injection")},
    {"prada", FilterVerdict::Flag("extraction_suspected")},
    {"redact", FilterVerdict::Modify("pii:email")},
    {"stream", FilterVerdict::Gone()},
    {"token_budget", FilterVerdict::Error("store \"down\"\n\xFF")},
};

AuditEvent TypicalEvent() {
  AuditEvent e;
  e.time_ms = 1796123082269;
  e.key_id = "k";
  e.route = "/v1/*";
  e.method = "POST";
  e.path = "/v1/chat/completions";
  e.model = "m";
  e.status = 200;
  e.latency_ms = 0.746406;
  e.first_byte_ms = 0.529685;
  e.tokens = 5;
  e.upstream = "127.0.0.1:8080";
  e.verdicts = &kEveryVerdict;
  e.request_sha256 = "a4b3d84d29a3526e27ca9bbee66d30fa486b6b9fc059c27efc3660301bc40c49";
  e.response_sha256 = "6630b57757e7b7ff7ed2ecb1d846f485351edab2efabaad6d13f653200139b27";
  e.request_id = "0f9c3a5e1b7d4c2a8e6f0b1d3c5a7e9f";
  return e;
}

void ExpectLikeReference(const AuditEvent& event) {
  std::string text = "stale contents";  // replaced, not appended to
  const size_t after_time = WriteAuditEvent(text, event);
  const nlohmann::ordered_json reference = ReferenceEvent(event);
  EXPECT_EQ(text, Dump(reference));
  EXPECT_EQ(text.substr(0, after_time), "{\"time\":" + std::to_string(event.time_ms));
  EXPECT_EQ(text.find('\n'), std::string::npos);
  EXPECT_FALSE(nlohmann::json::parse(text, nullptr, false).is_discarded());  // strict UTF-8
  std::string access;
  WriteAccessLogLine(access, text, after_time);
  EXPECT_EQ(access, ReferenceAccessLine(reference));
}

TEST(AuditEventText, IsTheDomSerialisationByteForByte) {
  ExpectLikeReference(TypicalEvent());
  AuditEvent refused;  // a request refused while it was read: most members empty, no optional ones
  refused.time_ms = 1;
  refused.status = 413;
  refused.request_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  ExpectLikeReference(refused);
  AuditEvent streamed = TypicalEvent();
  streamed.stream = true;
  streamed.tokens = -1;
  streamed.latency_ms = 1500.0;
  streamed.first_byte_ms = 1e-05;
  const std::map<std::string, FilterVerdict> none;
  streamed.verdicts = &none;
  ExpectLikeReference(streamed);
}

TEST(AuditEventText, HostileStringsAreEscapedAsTheDomSerialiserDid) {
  const std::string huge_path = "/v1/" + std::string(1 << 20, 'a') + "\"\\\x01\xC3";
  const std::string controls(std::string("\0\x01\x08\t\n\x0b\x0c\r\x1b\x1f\x7f", 11));
  const std::map<std::string, FilterVerdict> hostile_verdicts = {
      {std::string("na\"me\n\xFE", 7), FilterVerdict::Block(controls)},
      {"ok", FilterVerdict::Flag("\xE2\x82")},  // truncated UTF-8 at the end of the reason
  };
  AuditEvent e = TypicalEvent();
  for (const std::string& hostile : std::vector<std::string>{
           controls, "\"quoted\" \\ back\\slash", "\xFF\xFE not utf-8 \xC0\xAF \xED\xA0\x80 \xF4\x90\x80\x80",
           "caf\xC3\xA9 \xF0\x9F\x98\x80", "\xE2\x82", "{\"seq\":0,\"prev\":\"forged\"}", huge_path}) {
    e.key_id = e.route = e.method = e.path = e.model = e.upstream = hostile;
    e.request_sha256 = e.response_sha256 = e.request_id = hostile;
    e.verdicts = &hostile_verdicts;
    ExpectLikeReference(e);
  }
}

TEST(AuditEventText, SignalsAreTheLastMemberWrittenAsTheDomDid) {
  const std::map<std::string, double> scores = {{"injection", 0.125}, {"jailbreak", 0.75}, {"pii\n\"x\xFF", 1.0}};
  EventSignals llm;
  llm.prompt_tokens = 12;
  llm.completion_tokens = 40;
  llm.token_source = "usage";
  llm.answer_chars = 151;
  llm.refusal = false;
  llm.tool_calls = 2;
  llm.finish_reason = "tool_\"calls\"\xC3";  // from the upstream: escaped like any string
  llm.guard_verdict = "flag";
  llm.guard_score = 0.75;
  llm.guard_scores = &scores;
  AuditEvent e = TypicalEvent();
  e.signals = &llm;
  ExpectLikeReference(e);
  std::string text;
  WriteAuditEvent(text, e);
  const auto parsed = nlohmann::ordered_json::parse(text);
  // Backward compatible: every member an older reader knows comes first, in its place; `signals` is last.
  EXPECT_EQ((--parsed.end()).key(), "signals");
  AuditEvent without = TypicalEvent();
  std::string old_text;
  WriteAuditEvent(old_text, without);
  EXPECT_EQ(text.substr(0, old_text.size() - 1), old_text.substr(0, old_text.size() - 1));

  EventSignals refused;  // refused by the guard before any answer: the estimate and the verdict only
  refused.prompt_tokens = 3;
  refused.token_source = "estimate";
  refused.guard_verdict = "block";
  refused.guard_score = 0.99;
  e.signals = &refused;
  ExpectLikeReference(e);
  EventSignals empty;
  e.signals = &empty;
  ExpectLikeReference(e);
  WriteAuditEvent(text, e);
  EXPECT_NE(text.find(",\"signals\":{}}"), std::string::npos) << text;

  ClassifierSignals one;
  one.rows = 1;
  one.predicted_class = {1};
  one.top_probability = {0.75};
  one.margin = {0.5};
  one.features = {{{"0", 1.5}, {"age", std::nullopt}, {"na\"me", -3e300}}};
  EventSignals classifier;
  classifier.classifier = &one;
  e.signals = &classifier;
  ExpectLikeReference(e);
  ClassifierSignals many;
  many.rows = 3;
  many.batch = true;
  many.predicted_class = {2, -1, 0};
  many.top_probability = {0.5, std::nullopt, 1.0};
  many.margin = {0.25, std::nullopt, std::nullopt};
  many.features = {{{"0", 1.0}}, {{"0", std::nullopt}}, {}};
  many.features_batch = true;
  classifier.classifier = &many;
  ExpectLikeReference(e);
  ClassifierSignals labels_only;  // a label-only answer: classes, no probability lists
  labels_only.rows = 2;
  labels_only.batch = true;
  labels_only.predicted_class = {0, 1};
  labels_only.top_probability = {std::nullopt, std::nullopt};
  labels_only.margin = {std::nullopt, std::nullopt};
  classifier.classifier = &labels_only;
  ExpectLikeReference(e);
  WriteAuditEvent(text, e);
  EXPECT_NE(text.find(",\"signals\":{\"rows\":2,\"predicted_class\":[0,1]}}"), std::string::npos) << text;
}

TEST(AuditEventText, DoublesReadBackToTheSameValue) {
  // nlohmann's digit generator sometimes writes 17 digits where fewer read back the same; the direct writer
  // writes the shorter form. The values, and everything else, are the same.
  AuditEvent e = TypicalEvent();
  e.latency_ms = std::chrono::duration<double, std::milli>(std::chrono::nanoseconds(29944604)).count();
  std::string text;
  WriteAuditEvent(text, e);
  const auto written = nlohmann::ordered_json::parse(text);
  EXPECT_EQ(written, nlohmann::ordered_json::parse(Dump(ReferenceEvent(e))));  // U+FFFD in place of bad bytes
  EXPECT_EQ(written["latency_ms"].get<double>(), e.latency_ms);
  EXPECT_NE(text.find("\"latency_ms\":29.944604,"), std::string::npos) << text;
}

// A line of the chained file: {"seq":N,"prev":"<SHA-256 of the line before, or 64 zeros>", then the event's
// members as written}; the chain links the exact bytes of each line.
TEST(AuditWriter, LinesAreTheEventTextChained) {
  const std::string path =
      (fs::temp_directory_path() / ("mg-audit-lines-" + std::to_string(::getpid()) + ".jsonl")).string();
  fs::remove(path);
  std::vector<std::string> events;
  AuditEvent e = TypicalEvent();
  const std::string hostile_path = std::string("/v1/\xFF\n\"", 7) + std::string(70000, 'x');
  for (int i = 0; i < 3; ++i) {
    e.path = i == 1 ? std::string_view(hostile_path) : std::string_view("/v1/chat/completions");
    std::string text;
    WriteAuditEvent(text, e);
    events.push_back(text);
  }
  {
    auto sink = OpenJsonlAudit(path);
    ASSERT_TRUE(sink.ok()) << sink.error().message;
    for (const auto& text : events) ASSERT_TRUE((*sink)->WriteObject(text).ok());
    ASSERT_TRUE((*sink)->WriteObject("{}").ok());
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u);
  std::string prev(64, '0');
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string expected = "{\"seq\":" + std::to_string(i) + ",\"prev\":\"" + prev + "\"" +
                                 (i < events.size() ? "," + events[i].substr(1) : "}");
    EXPECT_EQ(lines[i], expected) << "line " << i;
    prev = Sha256Hex(lines[i]);
  }
  auto check = VerifyAuditChain(path);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->events, 4u);
  EXPECT_TRUE(check->problems.empty()) << check->problems.front();
  // Reopened, the file's chain continues.
  {
    auto sink = OpenJsonlAudit(path);
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write({{"status", 200}}).ok());
  }
  check = VerifyAuditChain(path);
  EXPECT_EQ(check->events, 5u);
  EXPECT_TRUE(check->problems.empty());
  fs::remove(path);
}

TEST(AuditWriter, AnEventReachesTheFileWhileTheSinkIsOpen) {
  // The writer gathers events for a moment, but never waits for more: a lone event (and then a second one,
  // after the writer went back to sleep) is in the file long before the sink closes.
  const std::string path =
      (fs::temp_directory_path() / ("mg-audit-prompt-" + std::to_string(::getpid()) + ".jsonl")).string();
  fs::remove(path);
  const auto lines_in_file = [&] {
    std::ifstream in(path, std::ios::binary);
    size_t lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    return lines;
  };
  const auto wait_for_lines = [&](size_t want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (lines_in_file() < want && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return lines_in_file();
  };
  auto sink = OpenJsonlAudit(path);
  ASSERT_TRUE(sink.ok());
  ASSERT_TRUE((*sink)->WriteObject("{\"n\":1}").ok());
  EXPECT_EQ(wait_for_lines(1), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the writer is asleep again
  ASSERT_TRUE((*sink)->WriteObject("{\"n\":2}").ok());
  EXPECT_EQ(wait_for_lines(2), 2u);
  sink->reset();
  fs::remove(path);
}

TEST(AuditWriter, TheTransparencyLogSinkStoresTheEventText) {
  const std::string path =
      (fs::temp_directory_path() / ("mg-audit-log-" + std::to_string(::getpid()) + ".db")).string();
  fs::remove(path);
  std::string text;
  WriteAuditEvent(text, TypicalEvent());
  {
    auto sink = OpenLogAudit(path);
    ASSERT_TRUE(sink.ok()) << sink.error().message;
    ASSERT_TRUE((*sink)->WriteObject(text).ok());
    ASSERT_TRUE((*sink)->Write({{"status", 200}}).ok());
    EXPECT_FALSE((*sink)->WriteObject("not an object").ok());
  }
  auto log = integrity::TransparencyLog::Open(path);
  ASSERT_TRUE(log.ok()) << log.error().message;
  ASSERT_EQ(*(*log)->Size(), 2u);
  auto first = (*log)->Entry(0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->kind, "gateway-audit");
  EXPECT_EQ(first->data, text);
  EXPECT_EQ((*log)->Entry(1)->data, "{\"status\":200}");
  fs::remove(path);
}

TEST(AuditWriter, TextThatIsNotOneObjectIsRefused) {
  const std::string path =
      (fs::temp_directory_path() / ("mg-audit-refused-" + std::to_string(::getpid()) + ".jsonl")).string();
  fs::remove(path);
  {
    auto sink = OpenJsonlAudit(path);
    ASSERT_TRUE(sink.ok());
    for (const std::string_view bad : {"", "{", "}", "[]", "{ }", "\"a\"", "{\"a\":1}\n{\"b\":2}", "{\"a\":\n1}"}) {
      const auto written = (*sink)->WriteObject(bad);
      ASSERT_FALSE(written.ok()) << bad;
      EXPECT_EQ(written.error().code, ErrorCode::kInvalidArgument);
    }
    EXPECT_FALSE((*sink)->Write(nlohmann::ordered_json::array()).ok());
    EXPECT_TRUE((*sink)->WriteObject("{\"a\":1}").ok());
  }
  auto check = VerifyAuditChain(path);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->events, 1u);  // only the one well-formed event
  EXPECT_TRUE(check->problems.empty());
  fs::remove(path);
}

TEST(AuditWriter, LargeEventsAreAllWritten) {
  // More bytes than the queue holds at once: writers wait for room, nothing is lost or split.
  const std::string path =
      (fs::temp_directory_path() / ("mg-audit-large-" + std::to_string(::getpid()) + ".jsonl")).string();
  fs::remove(path);
  const std::string big = "{\"path\":\"" + std::string(2 << 20, 'p') + "\"}";
  constexpr int kThreads = 4, kEach = 10;
  {
    auto sink = OpenJsonlAudit(path);
    ASSERT_TRUE(sink.ok());
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kEach; ++i) EXPECT_TRUE((*sink)->WriteObject(big).ok());
      });
    }
    for (auto& t : threads) t.join();
  }
  auto check = VerifyAuditChain(path);
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->events, uint64_t{kThreads} * kEach);
  EXPECT_TRUE(check->problems.empty());
  fs::remove(path);
}

}  // namespace
}  // namespace modelguard::gateway
