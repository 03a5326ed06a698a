// The campaign's reports: modelguard.redteam/v1 JSON, a text summary and SARIF 2.1.0 (one result per
// successful probe). Reporters only read the result; the rates come from Summarize.
#include <cstdio>
#include <sstream>

#include "modelguard/core/html.h"
#include "modelguard/core/version.h"
#include "modelguard/redteam/redteam.h"

namespace modelguard::redteam {
namespace {

using ordered_json = nlohmann::ordered_json;

void Count(Rate& rate, const ProbeOutcome& o) {
  if (o.status == ProbeStatus::kError) {
    ++rate.errors;
    return;
  }
  ++rate.attempts;
  if (o.status == ProbeStatus::kSuccess) ++rate.successes;
  if (o.blocked) ++rate.blocked;
}

ordered_json RateJson(const Rate& rate, const char* key) {
  ordered_json j;
  j[key] = rate.name;
  j["attempts"] = rate.attempts;
  j["successes"] = rate.successes;
  j["errors"] = rate.errors;
  j["blocked"] = rate.blocked;
  j["success_rate"] = rate.success_rate();
  return j;
}

std::string Percent(double rate) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%5.1f%%", rate * 100);
  return buffer;
}

std::string OneLine(std::string_view text, size_t max = 160) {
  std::string out;
  for (char c : text.substr(0, max)) out.push_back(c == '\n' || c == '\r' || c == '\t' ? ' ' : c);
  if (text.size() > max) out += "...";
  return out;
}

// One table of the text summary: a row per family or converter.
void RateTable(std::ostream& out, const char* heading, const std::vector<Rate>& rates) {
  char line[160];
  std::snprintf(line, sizeof line, "%-14s  success  probes  errors  blocked\n", heading);
  out << line;
  for (const Rate& r : rates) {
    std::snprintf(line, sizeof line, "%-14s  %s  %6llu  %6llu  %7llu\n", r.name.c_str(),
                  Percent(r.success_rate()).c_str(), static_cast<unsigned long long>(r.attempts),
                  static_cast<unsigned long long>(r.errors), static_cast<unsigned long long>(r.blocked));
    out << line;
  }
}

// The judge beside the detectors: how many answers it judged, how often it agreed, and its own rate.
struct JudgeTally {
  uint64_t judged = 0, agree = 0, disagree = 0, errors = 0, successes = 0;
};
JudgeTally TallyJudge(const CampaignResult& result) {
  JudgeTally t;
  for (const ProbeOutcome& o : result.outcomes) {
    if (o.judge_verdict.empty()) continue;
    if (o.judge_verdict == "error") {
      ++t.errors;
      continue;
    }
    ++t.judged;
    const bool judge_success = o.judge_verdict == "success";
    t.successes += judge_success;
    ((judge_success == (o.status == ProbeStatus::kSuccess)) ? t.agree : t.disagree) += 1;
  }
  return t;
}

}  // namespace

Summary Summarize(const CampaignResult& result, const CampaignConfig& config) {
  Summary s;
  s.overall.name = "overall";
  for (const Family& f : config.families) s.families.push_back({f.name});
  std::vector<Rate> converters;
  for (const auto& c : Converters()) converters.push_back({std::string(c.name)});
  for (const ProbeOutcome& o : result.outcomes) {
    Count(s.overall, o);
    for (Rate& r : s.families) {
      if (r.name == o.family) Count(r, o);
    }
    for (Rate& r : converters) {
      if (r.name == o.converter) Count(r, o);
    }
    s.requests += o.requests;
    s.prompt_tokens += o.prompt_tokens;
    s.completion_tokens += o.completion_tokens;
    s.probe_seconds += o.seconds;
  }
  for (Rate& r : converters) {
    if (r.attempts + r.errors > 0) s.converters.push_back(std::move(r));
  }
  return s;
}

ordered_json ReportJson(const CampaignResult& result, const CampaignConfig& config) {
  const Summary s = Summarize(result, config);
  ordered_json doc;
  doc["schema"] = kReportSchema;
  doc["tool"] = {{"name", "modelguard"}, {"version", kVersion}};
  doc["target"] = result.target;
  doc["seed"] = result.seed;
  doc["complete"] = result.complete;
  if (!result.complete) doc["stop_reason"] = result.stop_reason;
  doc["planned"] = result.planned;
  doc["finished"] = result.outcomes.size();
  doc["summary"] = RateJson(s.overall, "name");
  ordered_json families = ordered_json::array();
  for (size_t i = 0; i < s.families.size(); ++i) {
    ordered_json f = RateJson(s.families[i], "family");
    f["description"] = config.families[i].description;
    f["source"] = config.families[i].source;
    families.push_back(std::move(f));
  }
  doc["families"] = std::move(families);
  ordered_json converters = ordered_json::array();
  for (const Rate& r : s.converters) converters.push_back(RateJson(r, "converter"));
  doc["converters"] = std::move(converters);
  doc["cost"] = {{"requests", s.requests},
                 {"prompt_tokens", s.prompt_tokens},
                 {"completion_tokens", s.completion_tokens},
                 {"tokens", s.prompt_tokens + s.completion_tokens},
                 {"seconds", s.probe_seconds}};
  if (const JudgeTally j = TallyJudge(result); j.judged + j.errors > 0) {
    doc["judge"] = {{"judged", j.judged},
                    {"successes", j.successes},
                    {"success_rate", j.judged ? static_cast<double>(j.successes) / static_cast<double>(j.judged) : 0.0},
                    {"agree_with_detectors", j.agree},
                    {"disagree_with_detectors", j.disagree},
                    {"errors", j.errors}};
  }
  ordered_json probes = ordered_json::array();
  for (const ProbeOutcome& o : result.outcomes) probes.push_back(ordered_json(OutcomeToJson(o)));
  doc["probes"] = std::move(probes);
  return doc;
}

std::string ReportText(const CampaignResult& result, const CampaignConfig& config) {
  const Summary s = Summarize(result, config);
  std::ostringstream out;
  out << "modelguard redteam llm: " << result.target << "\n";
  out << "attack success " << Percent(s.overall.success_rate()) << " (" << s.overall.successes << " of "
      << s.overall.attempts << " probes";
  if (s.overall.errors) out << ", " << s.overall.errors << " errors";
  out << ")";
  if (!result.complete)
    out << "; INCOMPLETE: " << result.outcomes.size() << " of " << result.planned << " probes (" << result.stop_reason
        << ")";
  if (const JudgeTally j = TallyJudge(result); j.judged + j.errors > 0) {
    out << "\njudge: " << j.successes << " of " << j.judged
        << " judged answers were successful attacks; it agrees with "
        << "the detectors on " << j.agree << ", disagrees on " << j.disagree;
    if (j.errors) out << ", " << j.errors << " without a usable verdict";
  }
  out << "\n\n";
  RateTable(out, "family", s.families);
  out << "\n";
  RateTable(out, "converter", s.converters);
  size_t shown = 0;
  for (const ProbeOutcome& o : result.outcomes) {
    if (o.status != ProbeStatus::kSuccess) continue;
    if (shown++ == 0) out << "\nsuccessful attacks:\n";
    if (shown > 20) {
      out << "  ... (" << s.overall.successes - 20 << " more in the JSON report)\n";
      break;
    }
    out << "  " << o.id << ": " << o.explanation << ": \"" << OneLine(o.evidence) << "\"\n";
  }
  out << "\ncost: " << s.requests << " requests, " << s.prompt_tokens + s.completion_tokens << " tokens, ";
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", s.probe_seconds);
  out << seconds << " s in probes\n";
  return out.str();
}

ordered_json ReportSarif(const CampaignResult& result, const CampaignConfig& config) {
  ordered_json rules = ordered_json::array();
  for (const Family& f : config.families) {
    ordered_json r;
    r["id"] = "redteam." + f.name;
    r["name"] = "redteam." + f.name;
    r["shortDescription"] = {{"text", "LLM red team: " + f.name}};
    r["fullDescription"] = {{"text", f.description}};
    r["help"] = {{"text", "An attack of the '" + f.name +
                              "' family succeeded against the endpoint; see the transcript in the JSON report."}};
    r["defaultConfiguration"] = {{"level", "error"}};
    r["properties"] = {{"tags", {"security", "llm-red-team"}}};
    rules.push_back(std::move(r));
  }
  ordered_json results = ordered_json::array();
  for (const ProbeOutcome& o : result.outcomes) {
    if (o.status != ProbeStatus::kSuccess) continue;
    size_t index = 0;
    while (index < config.families.size() && config.families[index].name != o.family) ++index;
    ordered_json r;
    r["ruleId"] = "redteam." + o.family;
    r["ruleIndex"] = index;
    r["level"] = "error";
    r["message"] = {{"text", o.id + ": " + o.explanation + " [" + OneLine(o.evidence, 300) + "]"}};
    r["locations"] = ordered_json::array(
        {{{"physicalLocation", {{"artifactLocation", {{"uri", result.target}}}}},
          {"logicalLocations", ordered_json::array({{{"fullyQualifiedName", o.id}, {"kind", "member"}}})}}});
    r["partialFingerprints"] = {{"probeId/v1", o.id}};
    r["properties"] = {{"detector", o.detector}, {"converter", o.converter}, {"evidence", o.evidence}};
    results.push_back(std::move(r));
  }
  ordered_json doc;
  doc["$schema"] = "https://json.schemastore.org/sarif-2.1.0.json";
  doc["version"] = "2.1.0";
  ordered_json run;
  run["tool"] = {
      {"driver",
       {{"name", "modelguard"}, {"version", kVersion}, {"semanticVersion", kVersion}, {"rules", std::move(rules)}}}};
  run["results"] = std::move(results);
  ordered_json invocation;
  invocation["executionSuccessful"] = result.complete;
  if (!result.complete) {
    invocation["toolExecutionNotifications"] = ordered_json::array(
        {{{"level", "error"}, {"message", {{"text", "campaign incomplete: " + result.stop_reason}}}}});
  }
  run["invocations"] = ordered_json::array({std::move(invocation)});
  doc["runs"] = ordered_json::array({std::move(run)});
  return doc;
}

namespace {

// The transcripts shown are cut to this many bytes per message: the JSON report has them whole.
constexpr size_t kHtmlMessageBytes = 4000;
constexpr size_t kHtmlTranscripts = 40;

std::string Bars(const std::vector<Rate>& rates, const char* title) {
  std::string out = "<h2>" + std::string(title) + "</h2>\n<table class=\"bars\">\n";
  for (const Rate& r : rates) {
    char percent[32];
    std::snprintf(percent, sizeof percent, "%.1f", r.success_rate() * 100);
    out += "<tr><th>" + HtmlEscape(r.name) + "</th><td><div class=\"bar\"><span style=\"width:" + percent +
           "%\"></span></div></td><td>" + percent + " %</td><td>" + std::to_string(r.successes) + " of " +
           std::to_string(r.attempts) + (r.errors ? ", " + std::to_string(r.errors) + " errors" : "") +
           (r.blocked ? ", " + std::to_string(r.blocked) + " blocked" : "") + "</td></tr>\n";
  }
  return out + "</table>\n";
}

// The message with the evidence marked, when the evidence is in it verbatim.
std::string Highlight(std::string_view message, std::string_view evidence) {
  const std::string_view shown = message.substr(0, kHtmlMessageBytes);
  const size_t at = evidence.empty() ? std::string_view::npos : shown.find(evidence);
  std::string out;
  if (at == std::string_view::npos) {
    out = HtmlEscape(shown);
  } else {
    out = HtmlEscape(shown.substr(0, at)) + "<mark>" + HtmlEscape(evidence) + "</mark>" +
          HtmlEscape(shown.substr(at + evidence.size()));
  }
  if (message.size() > shown.size()) out += " <em>[cut]</em>";
  return out;
}

}  // namespace

std::string ReportHtml(const CampaignResult& result, const CampaignConfig& config) {
  const Summary s = Summarize(result, config);
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>modelguard red team</title>\n"
      "<style>body{font:14px/1.4 system-ui,sans-serif;margin:2em;max-width:70em}"
      "table.bars th{text-align:left;padding-right:1em}.bar{width:20em;background:#eee;height:1em}"
      ".bar span{display:block;height:1em;background:#c0392b}td{padding:0 .5em}"
      ".probe{border:1px solid #ccc;margin:1em 0;padding:.5em 1em}.msg{white-space:pre-wrap;margin:.3em 0}"
      ".role{font-weight:bold;color:#555}mark{background:#f9e79f}.meta{color:#666}</style></head><body>\n";
  out += "<h1>modelguard red team</h1>\n<p>" + HtmlEscape(result.target) + "</p>\n";
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.1f", s.overall.success_rate() * 100);
  out += "<p><strong>Attack success " + std::string(rate) + " %</strong> (" + std::to_string(s.overall.successes) +
         " of " + std::to_string(s.overall.attempts) + " probes judged";
  if (s.overall.errors) out += ", " + std::to_string(s.overall.errors) + " errors";
  if (s.overall.blocked) out += ", " + std::to_string(s.overall.blocked) + " blocked";
  out += ")";
  if (!result.complete) {
    out += " &mdash; incomplete: " + std::to_string(result.outcomes.size()) + " of " + std::to_string(result.planned) +
           " probes (" + HtmlEscape(result.stop_reason) + ")";
  }
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", s.probe_seconds);
  out += "</p>\n<p class=\"meta\">Cost: " + std::to_string(s.requests) + " requests, " +
         std::to_string(s.prompt_tokens + s.completion_tokens) + " tokens, " + seconds + " s in probes; seed " +
         std::to_string(result.seed) + ".</p>\n";
  out += Bars(s.families, "Success rate per family");
  out += Bars(s.converters, "Success rate per converter");
  out += "<h2>Successful attacks</h2>\n";
  size_t shown = 0;
  for (const ProbeOutcome& o : result.outcomes) {
    if (o.status != ProbeStatus::kSuccess) continue;
    if (shown++ == kHtmlTranscripts) {
      out += "<p>... " + std::to_string(s.overall.successes - kHtmlTranscripts) + " more in report.json.</p>\n";
      break;
    }
    out += "<div class=\"probe\"><h3>" + HtmlEscape(o.id) + "</h3>\n<p class=\"meta\">" + HtmlEscape(o.detector) +
           ": " + HtmlEscape(o.explanation) + (o.goal.empty() ? "" : "; goal: " + HtmlEscape(o.goal)) + "</p>\n";
    for (size_t i = 0; i < o.transcript.size(); ++i) {
      const ChatMessage& m = o.transcript[i];
      const bool judged = i + 1 == o.transcript.size() && m.role == "assistant";
      out += "<div class=\"msg\"><span class=\"role\">" + HtmlEscape(m.role) +
             (m.name.empty() ? "" : " " + HtmlEscape(m.name)) + ":</span> " +
             (judged ? Highlight(m.content, o.evidence) : Highlight(m.content, "")) + "</div>\n";
    }
    for (const ToolCall& call : o.tool_calls) {
      out += "<div class=\"msg\"><span class=\"role\">tool call:</span> " +
             Highlight(call.name + "(" + call.arguments + ")", o.evidence) + "</div>\n";
    }
    out += "<p>Evidence: <mark>" + HtmlEscape(o.evidence.substr(0, kHtmlMessageBytes)) + "</mark></p></div>\n";
  }
  if (shown == 0) out += "<p>None.</p>\n";
  out += "</body></html>\n";
  return out;
}

int FailOnExitCode(const Summary& summary, double fail_on) {
  if (fail_on < 0) return 0;
  if (summary.overall.attempts > 0 && summary.overall.success_rate() >= fail_on) return 1;
  for (const Rate& r : summary.families) {
    if (r.attempts > 0 && r.success_rate() >= fail_on) return 1;
  }
  return 0;
}

}  // namespace modelguard::redteam
