#include "src/gateway/audit_event.h"

#include <algorithm>

#include "modelguard/core/json_text.h"

namespace modelguard::gateway {
namespace {

// The verdict as FilterVerdict::ToString spells it ("allow", "block:<reason>", …), escaped without building
// that string first: the prefixes are ASCII, so escaping prefix and reason apart gives the same text.
void AppendVerdict(std::string& out, const FilterVerdict& verdict) {
  std::string_view prefix;
  switch (verdict.kind) {
    case FilterVerdict::Kind::kAllow:
      out += "\"allow\"";
      return;
    case FilterVerdict::Kind::kGone:
      out += "\"gone\"";
      return;
    case FilterVerdict::Kind::kBlock:
      prefix = "block:";
      break;
    case FilterVerdict::Kind::kFlag:
      prefix = "flag:";
      break;
    case FilterVerdict::Kind::kModify:
      prefix = "modify:";
      break;
    case FilterVerdict::Kind::kError:
      prefix = "error:";
      break;
    default:
      AppendJsonString(out, verdict.ToString());  // a kind added later
      return;
  }
  out += '"';
  out += prefix;
  AppendJsonStringContent(out, verdict.reason);
  out += '"';
}

// A member of the signals object: the comma before every member but the first.
void Key(std::string& out, bool& first, const char* name) {
  if (!first) out += ',';
  first = false;
  out += '"';
  out += name;
  out += "\":";
}

void AppendOptional(std::string& out, const std::optional<double>& value) {
  if (value) {
    AppendJsonNumber(out, *value);
  } else {
    out += "null";
  }
}

void AppendFeatures(std::string& out, const std::vector<std::pair<std::string, std::optional<double>>>& row) {
  out += '{';
  bool first = true;
  for (const auto& [name, value] : row) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, name);
    out += ':';
    AppendOptional(out, value);
  }
  out += '}';
}

void AppendClassifier(std::string& out, bool& first, const ClassifierSignals& c) {
  if (!c.predicted_class.empty()) {
    Key(out, first, "rows");
    AppendJsonNumber(out, uint64_t{c.rows});
    if (!c.batch) {
      if (c.predicted_class[0] >= 0) {
        Key(out, first, "predicted_class");
        AppendJsonNumber(out, c.predicted_class[0]);
      }
      if (c.top_probability[0]) {
        Key(out, first, "top_probability");
        AppendJsonNumber(out, *c.top_probability[0]);
      }
      if (c.margin[0]) {
        Key(out, first, "margin");
        AppendJsonNumber(out, *c.margin[0]);
      }
    } else {
      // Lists, one item per row (the first kMaxSignalRows rows), null where a row gave nothing.
      Key(out, first, "predicted_class");
      out += '[';
      for (size_t i = 0; i < c.predicted_class.size(); ++i) {
        if (i) out += ',';
        if (c.predicted_class[i] >= 0) {
          AppendJsonNumber(out, c.predicted_class[i]);
        } else {
          out += "null";
        }
      }
      out += ']';
      const bool scored = std::any_of(c.top_probability.begin(), c.top_probability.end(),
                                      [](const std::optional<double>& v) { return v.has_value(); });
      const auto list = [&](const char* name, const std::vector<std::optional<double>>& values) {
        Key(out, first, name);
        out += '[';
        for (size_t i = 0; i < values.size(); ++i) {
          if (i) out += ',';
          AppendOptional(out, values[i]);
        }
        out += ']';
      };
      if (scored) {
        list("top_probability", c.top_probability);
        list("margin", c.margin);
      }
    }
  }
  if (!c.features.empty()) {
    Key(out, first, "features");
    if (!c.features_batch) {
      AppendFeatures(out, c.features[0]);
    } else {
      out += '[';
      for (size_t i = 0; i < c.features.size(); ++i) {
        if (i) out += ',';
        AppendFeatures(out, c.features[i]);
      }
      out += ']';
    }
  }
}

void AppendSignals(std::string& out, const EventSignals& s) {
  out += ",\"signals\":{";
  bool first = true;
  if (s.prompt_tokens) {
    Key(out, first, "prompt_tokens");
    AppendJsonNumber(out, *s.prompt_tokens);
  }
  if (s.completion_tokens) {
    Key(out, first, "completion_tokens");
    AppendJsonNumber(out, *s.completion_tokens);
  }
  if (!s.token_source.empty()) {
    Key(out, first, "token_source");
    AppendJsonString(out, s.token_source);
  }
  if (s.answer_chars) {
    Key(out, first, "answer_chars");
    AppendJsonNumber(out, *s.answer_chars);
  }
  if (s.refusal) {
    Key(out, first, "refusal");
    out += *s.refusal ? "true" : "false";
  }
  if (s.tool_calls) {
    Key(out, first, "tool_calls");
    AppendJsonNumber(out, *s.tool_calls);
  }
  if (!s.finish_reason.empty()) {
    Key(out, first, "finish_reason");
    AppendJsonString(out, s.finish_reason);
  }
  if (!s.guard_verdict.empty()) {
    Key(out, first, "guard");
    out += "{\"verdict\":";
    AppendJsonString(out, s.guard_verdict);
    if (s.guard_score) {
      out += ",\"score\":";
      AppendJsonNumber(out, *s.guard_score);
    }
    if (s.guard_scores && !s.guard_scores->empty()) {
      out += ",\"scores\":{";
      bool first_score = true;
      for (const auto& [category, score] : *s.guard_scores) {
        if (!first_score) out += ',';
        first_score = false;
        AppendJsonString(out, category);
        out += ':';
        AppendJsonNumber(out, score);
      }
      out += '}';
    }
    out += '}';
  }
  if (s.classifier) AppendClassifier(out, first, *s.classifier);
  out += '}';
}

}  // namespace

size_t WriteAuditEvent(std::string& out, const AuditEvent& event) {
  out.clear();
  out += "{\"time\":";
  AppendJsonNumber(out, event.time_ms);
  const size_t after_time = out.size();
  out += ",\"key_id\":";
  AppendJsonString(out, event.key_id);
  out += ",\"route\":";
  AppendJsonString(out, event.route);
  out += ",\"method\":";
  AppendJsonString(out, event.method);
  out += ",\"path\":";
  AppendJsonString(out, event.path);
  if (!event.model.empty()) {
    out += ",\"model\":";
    AppendJsonString(out, event.model);
  }
  out += ",\"status\":";
  AppendJsonNumber(out, uint64_t{event.status});
  out += ",\"latency_ms\":";
  AppendJsonNumber(out, event.latency_ms);
  if (event.first_byte_ms) {
    out += ",\"first_byte_ms\":";
    AppendJsonNumber(out, *event.first_byte_ms);
  }
  if (event.stream) out += ",\"stream\":true";
  if (event.tokens) {
    out += ",\"tokens\":";
    AppendJsonNumber(out, *event.tokens);
  }
  if (!event.upstream.empty()) {
    out += ",\"upstream\":";
    AppendJsonString(out, event.upstream);
  }
  out += ",\"verdicts\":{";
  if (event.verdicts) {
    bool first = true;
    for (const auto& [filter, verdict] : *event.verdicts) {
      if (!first) out += ',';
      first = false;
      AppendJsonString(out, filter);
      out += ':';
      AppendVerdict(out, verdict);
    }
  }
  out += '}';
  out += ",\"request_sha256\":";
  AppendJsonString(out, event.request_sha256);
  out += ",\"response_sha256\":";
  AppendJsonString(out, event.response_sha256);
  if (!event.request_id.empty()) {
    out += ",\"request_id\":";
    AppendJsonString(out, event.request_id);
  }
  if (event.tools && !event.tools->empty()) {
    out += ",\"tools\":[";
    bool first = true;
    for (const ToolDecision& decision : *event.tools) {
      out += first ? "{\"tool\":" : ",{\"tool\":";
      first = false;
      AppendJsonString(out, decision.tool);
      out += ",\"arguments_sha256\":";
      AppendJsonString(out, decision.arguments_sha256);
      out += ",\"decision\":";
      AppendJsonString(out, decision.decision);
      out += ",\"rule\":";
      AppendJsonString(out, decision.rule);
      out += '}';
    }
    out += ']';
  }
  if (event.watermark) {
    const WatermarkScore& w = *event.watermark;
    out += ",\"watermark\":{\"scored\":";
    AppendJsonNumber(out, w.scored);
    out += ",\"green\":";
    AppendJsonNumber(out, w.green);
    out += ",\"z\":";
    AppendJsonNumber(out, w.z);
    out += ",\"p_value\":";
    AppendJsonNumber(out, w.p_value);
    out += w.detected ? ",\"detected\":true" : ",\"detected\":false";
    out += w.complete ? ",\"complete\":true}" : ",\"complete\":false}";
  }
  if (event.signals) AppendSignals(out, *event.signals);
  out += '}';
  return after_time;
}

void WriteAccessLogLine(std::string& out, std::string_view event, size_t after_time) {
  out.clear();
  out.reserve(event.size() + 40);
  out.append(event.substr(0, after_time));
  out += ",\"level\":\"info\",\"msg\":\"request\"";
  out.append(event.substr(after_time));
  out += '\n';
}

}  // namespace modelguard::gateway
