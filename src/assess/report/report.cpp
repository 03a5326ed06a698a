// Report: verdicts with the numbers behind them, report.json, and a self-contained report.html whose
// plots are inline SVG (no scripts, no fonts or styles fetched from anywhere).
#include "modelguard/assess/report.h"

#include "modelguard/assess/attack_table.h"
#include "modelguard/core/html.h"
#include "modelguard/core/io.h"
#include "modelguard/core/number_text.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace modelguard::assess {
namespace {

// The differential-privacy guarantee a model's metadata records (`harden dp-sgd`), in words; empty when it
// records none. The metadata comes from the model file, so every field is checked before use.
std::string PrivacyGuarantee(const nlohmann::json& model) {
  if (!model.is_object() || !model.contains("training") || !model["training"].is_object()) return "";
  const nlohmann::json& training = model["training"];
  if (!training.contains("privacy") || !training["privacy"].is_object()) return "";
  const nlohmann::json& privacy = training["privacy"];
  const auto number = [&](const char* key) {
    return privacy.contains(key) && privacy[key].is_number() ? privacy[key].get<double>() : std::nan("");
  };
  const double epsilon = number("epsilon"), delta = number("delta");
  if (!std::isfinite(epsilon) || !std::isfinite(delta)) return "";
  std::ostringstream delta_text;
  delta_text << delta;
  return "trained with DP-SGD at epsilon " + FixedDecimal(epsilon, 3) + ", delta " + delta_text.str() +
         " (recorded in the model's metadata)";
}

std::string Percent(double value) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(1);
  out << value * 100 << "%";
  return out.str();
}

nlohmann::json PointsJson(const std::vector<Point>& points) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : points) out.push_back({p.x, p.y});
  return out;
}

nlohmann::json CostJson(const AttackCost& cost) {
  return {{"queries", cost.queries}, {"gradient_evaluations", cost.gradient_evaluations}, {"seconds", cost.seconds}};
}

double ReadCurve(const std::vector<Point>& points, double x) {
  for (const auto& p : points) {
    if (std::abs(p.x - x) < 1e-9) return p.y;
  }
  return std::nan("");
}

struct Series {
  std::string label;
  std::vector<Point> points;
};

const char* kColours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

// A line plot: x linear or log10, y in [0, 1]. Returns an <svg> element.
std::string SvgPlot(const std::string& title, const std::string& x_label, const std::string& y_label,
                    const std::vector<Series>& series, bool log_x, bool log_y = false, bool diagonal = false) {
  constexpr double kWidth = 520, kHeight = 320, kLeft = 60, kRight = 150, kTop = 30, kBottom = 45;
  double x_min = INFINITY, x_max = -INFINITY;
  const double floor_value = 1e-4;
  for (const auto& s : series) {
    for (const auto& p : s.points) {
      const double x = log_x ? std::log10(std::max(p.x, floor_value)) : p.x;
      x_min = std::min(x_min, x);
      x_max = std::max(x_max, x);
    }
  }
  if (!std::isfinite(x_min)) x_min = 0, x_max = 1;
  if (x_max - x_min < 1e-12) x_max = x_min + 1;
  const double y_min = log_y ? std::log10(floor_value) : 0.0, y_max = log_y ? 0.0 : 1.0;
  auto sx = [&](double x) {
    return kLeft +
           ((log_x ? std::log10(std::max(x, floor_value)) : x) - x_min) / (x_max - x_min) * (kWidth - kLeft - kRight);
  };
  auto sy = [&](double y) {
    const double v = log_y ? std::log10(std::max(y, floor_value)) : y;
    return kHeight - kBottom - (v - y_min) / (y_max - y_min) * (kHeight - kTop - kBottom);
  };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" role=\"img\" aria-label=\"" << HtmlEscape(title) << "\">";
  svg << "<text x=\"" << kLeft << "\" y=\"18\" font-size=\"14\" font-weight=\"bold\">" << HtmlEscape(title)
      << "</text>";
  svg << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kWidth - kLeft - kRight << "\" height=\""
      << kHeight - kTop - kBottom << "\" fill=\"none\" stroke=\"#888\"/>";
  for (int i = 0; i <= 4; ++i) {
    const double fraction = i / 4.0;
    const double y_value = log_y ? std::pow(10.0, y_min + fraction * (y_max - y_min)) : fraction;
    const double x_value =
        log_x ? std::pow(10.0, x_min + fraction * (x_max - x_min)) : x_min + fraction * (x_max - x_min);
    svg << "<text x=\"" << kLeft - 6 << "\" y=\"" << sy(y_value) + 4 << "\" font-size=\"10\" text-anchor=\"end\">"
        << (log_y ? FixedDecimal(y_value, 4) : FixedDecimal(y_value, 2)) << "</text>";
    svg << "<text x=\"" << sx(x_value) << "\" y=\"" << kHeight - kBottom + 14
        << "\" font-size=\"10\" text-anchor=\"middle\">"
        << (log_x ? FixedDecimal(x_value, x_value < 1 ? 4 : 0) : FixedDecimal(x_value, x_max > 100 ? 0 : 2))
        << "</text>";
  }
  svg << "<text x=\"" << (kLeft + kWidth - kRight) / 2 << "\" y=\"" << kHeight - 8
      << "\" font-size=\"11\" text-anchor=\"middle\">" << HtmlEscape(x_label) << "</text>";
  svg << "<text x=\"14\" y=\"" << (kTop + kHeight - kBottom) / 2
      << "\" font-size=\"11\" text-anchor=\"middle\" transform=\"rotate(-90 14 " << (kTop + kHeight - kBottom) / 2
      << ")\">" << HtmlEscape(y_label) << "</text>";
  if (diagonal) {
    svg << "<polyline fill=\"none\" stroke=\"#bbb\" stroke-dasharray=\"4 3\" points=\"";
    for (int i = 0; i <= 40; ++i) {
      const double v = log_x ? std::pow(10.0, x_min + i / 40.0 * (x_max - x_min)) : i / 40.0;
      svg << sx(v) << "," << sy(v) << " ";
    }
    svg << "\"/>";
  }
  for (size_t i = 0; i < series.size(); ++i) {
    const char* colour = kColours[i % (sizeof kColours / sizeof *kColours)];
    svg << "<polyline fill=\"none\" stroke=\"" << colour << "\" stroke-width=\"2\" points=\"";
    for (const auto& p : series[i].points) svg << FixedDecimal(sx(p.x), 1) << "," << FixedDecimal(sy(p.y), 1) << " ";
    svg << "\"/>";
    if (series[i].points.size() < 20) {
      for (const auto& p : series[i].points)
        svg << "<circle cx=\"" << FixedDecimal(sx(p.x), 1) << "\" cy=\"" << FixedDecimal(sy(p.y), 1)
            << "\" r=\"3\" fill=\"" << colour << "\"/>";
    }
    const double legend_y = kTop + 12 + 16 * static_cast<double>(i);
    svg << "<line x1=\"" << kWidth - kRight + 10 << "\" y1=\"" << legend_y - 4 << "\" x2=\"" << kWidth - kRight + 28
        << "\" y2=\"" << legend_y - 4 << "\" stroke=\"" << colour << "\" stroke-width=\"2\"/>";
    svg << "<text x=\"" << kWidth - kRight + 32 << "\" y=\"" << legend_y << "\" font-size=\"11\">"
        << HtmlEscape(series[i].label) << "</text>";
  }
  svg << "</svg>";
  return svg.str();
}

}  // namespace

void ComputeRoc(const std::vector<double>& member_scores, const std::vector<double>& nonmember_scores,
                MembershipAttack& out) {
  std::vector<std::pair<double, bool>> all;
  for (double s : member_scores) all.emplace_back(std::isfinite(s) ? s : -1e300, true);
  for (double s : nonmember_scores) all.emplace_back(std::isfinite(s) ? s : -1e300, false);
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  const double positives = static_cast<double>(member_scores.size()),
               negatives = static_cast<double>(nonmember_scores.size());
  out.roc.clear();
  out.auc = out.advantage = out.tpr_at_01_fpr = out.tpr_at_1_fpr = 0;
  if (positives == 0 || negatives == 0) return;
  std::vector<Point> full{{0, 0}};
  double tp = 0, fp = 0;
  for (size_t i = 0; i < all.size();) {
    // Ties move together: a threshold cannot split equal scores.
    size_t j = i;
    while (j < all.size() && all[j].first == all[i].first) {
      (all[j].second ? tp : fp) += 1;
      ++j;
    }
    const Point p{fp / negatives, tp / positives};
    out.auc += (p.x - full.back().x) * (p.y + full.back().y) / 2;
    full.push_back(p);
    out.advantage = std::max(out.advantage, p.y - p.x);
    if (p.x <= 0.001) out.tpr_at_01_fpr = std::max(out.tpr_at_01_fpr, p.y);
    if (p.x <= 0.01) out.tpr_at_1_fpr = std::max(out.tpr_at_1_fpr, p.y);
    i = j;
  }
  // Keep the curve small: every point at low FPR (what the log plot shows), then about 200 more.
  const size_t stride = std::max<size_t>(1, full.size() / 200);
  for (size_t i = 0; i < full.size(); ++i) {
    if (full[i].x <= 0.02 || i % stride == 0 || i + 1 == full.size()) out.roc.push_back(full[i]);
  }
}

std::vector<Verdict> JudgeRisks(const AssessmentReport& report) {
  std::vector<Verdict> verdicts;
  if (report.evasion) {
    const auto& e = *report.evasion;
    double worst = e.clean_accuracy;
    std::string by;
    for (const auto& curve : e.curves) {
      if (curve.norm != ToString(Norm::kLinf)) continue;
      const double v = ReadCurve(curve.robust_accuracy, e.reference_epsilon);
      if (std::isfinite(v) && v <= worst) worst = v, by = curve.attack;
    }
    Verdict v;
    v.risk = ToString(Risk::kEvasion);
    const double kept = e.clean_accuracy > 0 ? worst / e.clean_accuracy : 0;
    v.level = kept < 0.5 ? Severity::kHigh : kept < 0.8 ? Severity::kMedium : Severity::kLow;
    v.summary = "robust accuracy at L-inf epsilon " + FixedDecimal(e.reference_epsilon, 3) + " is " + Percent(worst) +
                (by.empty() ? "" : " (" + by + ")") + " against " + Percent(e.clean_accuracy) + " clean";
    v.remediation = {"retrain with `modelguard harden adversarial --epsilon " + FixedDecimal(e.reference_epsilon, 2) +
                         "` (PGD adversarial training) and re-assess",
                     "treat the model's decision as advisory where an attacker controls the input",
                     "watch inputs at the endpoint: the gateway's prada filter flags synthetic query streams"};
    verdicts.push_back(std::move(v));
  }
  if (report.extraction) {
    const auto& x = *report.extraction;
    double best = 0;
    double at = 0;
    std::string by;
    for (const auto& curve : x.curves) {
      for (const auto& p : curve.fidelity) {
        if (p.y > best) best = p.y, at = p.x, by = curve.method;
      }
    }
    Verdict v;
    v.risk = ToString(Risk::kExtraction);
    v.level = best >= 0.9 ? Severity::kHigh : best >= 0.7 ? Severity::kMedium : Severity::kLow;
    v.summary = "a surrogate agreed with the model on " + Percent(best) + " of held-out inputs after " +
                std::to_string(static_cast<int64_t>(at)) + " queries (" + by + ")";
    v.remediation = {"return labels or top-1 only: the gateway's output_hardening filter (mode: label | top-k | round)",
                     "run the gateway's prada filter per API key (action: block) and set a per-key query budget",
                     "for LLM routes: output_hardening refuses logit_bias with logprobs and caps top_logprobs"};
    verdicts.push_back(std::move(v));
  }
  if (report.membership) {
    const auto& m = *report.membership;
    double auc = 0.5, tpr = 0, advantage = 0;
    std::string by;
    for (const auto& a : m.attacks) {
      if (a.auc > auc) auc = a.auc, by = a.attack;
      tpr = std::max(tpr, a.tpr_at_1_fpr);
      advantage = std::max(advantage, a.advantage);
    }
    Verdict v;
    v.risk = ToString(Risk::kMembership);
    v.level = (auc >= 0.65 || tpr >= 0.05)   ? Severity::kHigh
              : (auc >= 0.55 || tpr >= 0.02) ? Severity::kMedium
                                             : Severity::kLow;
    v.summary = "best attack AUC " + FixedDecimal(auc, 3) + (by.empty() ? "" : " (" + by + ")") + ", TPR " +
                Percent(tpr) + " at 1% FPR, advantage " + FixedDecimal(advantage, 3) + "; train/test accuracy " +
                Percent(m.train_accuracy) + " / " + Percent(m.test_accuracy);
    const std::string guarantee = PrivacyGuarantee(report.model);
    if (!guarantee.empty()) v.summary += "; " + guarantee;
    v.remediation = {
        "regularise (weight decay, early stopping) or train with differential privacy (DP-SGD) to close the train/test "
        "gap",
        "return labels only or rounded scores (gateway output_hardening filter): confidence is what these attacks read",
        "keep training data out of reach of the same callers who can query the model"};
    verdicts.push_back(std::move(v));
  }
  return verdicts;
}

nlohmann::json ToJson(const AssessmentReport& report) {
  nlohmann::json out{{"tool", "modelguard assess"}, {"target", report.target}, {"target_kind", report.target_kind},
                     {"dataset", report.dataset},   {"model", report.model},   {"seconds", report.seconds}};
  if (report.evasion) {
    const auto& e = *report.evasion;
    nlohmann::json curves = nlohmann::json::array();
    for (const auto& c : e.curves)
      curves.push_back({{"attack", c.attack},
                        {"norm", c.norm},
                        {"robust_accuracy", PointsJson(c.robust_accuracy)},
                        {"cost", CostJson(c.cost)}});
    out["evasion"] = {{"samples", e.samples},
                      {"clean_accuracy", e.clean_accuracy},
                      {"reference_epsilon", e.reference_epsilon},
                      {"curves", curves}};
  }
  if (report.extraction) {
    const auto& x = *report.extraction;
    nlohmann::json curves = nlohmann::json::array();
    for (const auto& c : x.curves) {
      curves.push_back({{"method", c.method},
                        {"api_output", c.api_output},
                        {"fidelity", PointsJson(c.fidelity)},
                        {"accuracy", PointsJson(c.accuracy)},
                        {"cost", CostJson(c.cost)}});
    }
    out["extraction"] = {{"budget", x.budget}, {"target_accuracy", x.target_accuracy}, {"curves", curves}};
  }
  if (report.membership) {
    const auto& m = *report.membership;
    nlohmann::json attacks = nlohmann::json::array();
    for (const auto& a : m.attacks) {
      attacks.push_back({{"attack", a.attack},
                         {"auc", a.auc},
                         {"tpr_at_0.1%_fpr", a.tpr_at_01_fpr},
                         {"tpr_at_1%_fpr", a.tpr_at_1_fpr},
                         {"advantage", a.advantage},
                         {"roc", PointsJson(a.roc)},
                         {"cost", CostJson(a.cost)}});
    }
    out["membership"] = {{"members", m.members},
                         {"nonmembers", m.nonmembers},
                         {"train_accuracy", m.train_accuracy},
                         {"test_accuracy", m.test_accuracy},
                         {"attacks", attacks}};
    if (!PrivacyGuarantee(report.model).empty()) out["membership"]["privacy"] = report.model["training"]["privacy"];
  }
  nlohmann::json verdicts = nlohmann::json::array();
  for (const auto& v : report.verdicts)
    verdicts.push_back(
        {{"risk", v.risk}, {"level", ToString(v.level)}, {"summary", v.summary}, {"remediation", v.remediation}});
  out["verdicts"] = verdicts;
  return out;
}

std::string RenderHtml(const AssessmentReport& report) {
  std::ostringstream html;
  html << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>modelguard assessment: "
       << HtmlEscape(report.target) << "</title>"
       << "<style>body{font-family:sans-serif;max-width:1100px;margin:2em "
          "auto;color:#222}table{border-collapse:collapse}"
       << "td,th{border:1px solid #ccc;padding:4px "
          "8px;text-align:left}.high{background:#f8d7da}.medium{background:#fff3cd}.low{background:#d4edda}"
       << ".plots svg{margin:8px 16px 8px 0}</style></head><body>";
  html << "<h1>Security assessment</h1><p>Target: <code>" << HtmlEscape(report.target) << "</code> ("
       << HtmlEscape(report.target_kind) << "), data: <code>" << HtmlEscape(report.dataset) << "</code>, "
       << FixedDecimal(report.seconds, 1) << " s.</p>";
  html << "<h2>Verdicts</h2><table><tr><th>Risk</th><th>Level</th><th>Finding</th><th>Remediation</th></tr>";
  for (const auto& v : report.verdicts) {
    html << "<tr class=\"" << ToString(v.level) << "\"><td>" << HtmlEscape(v.risk) << "</td><td>" << ToString(v.level)
         << "</td><td>" << HtmlEscape(v.summary) << "</td><td><ul>";
    for (const auto& r : v.remediation) html << "<li>" << HtmlEscape(r) << "</li>";
    html << "</ul></td></tr>";
  }
  html << "</table>";
  if (report.evasion) {
    const auto& e = *report.evasion;
    html << "<h2>Evasion</h2><p>" << e.samples << " test samples, clean accuracy " << Percent(e.clean_accuracy)
         << ".</p><div class=\"plots\">";
    for (const char* norm : {"linf", "l2"}) {
      std::vector<Series> series;
      for (const auto& c : e.curves) {
        if (c.norm == norm) series.push_back({c.attack, c.robust_accuracy});
      }
      if (!series.empty()) {
        html << SvgPlot(std::string("Robust accuracy, ") + (std::string(norm) == "linf" ? "L-inf" : "L2"), "epsilon",
                        "accuracy under attack", series, false);
      }
    }
    html << "</div><table><tr><th>Attack</th><th>Norm</th><th>Robust accuracy per "
            "epsilon</th><th>Queries</th><th>Gradients</th><th>Seconds</th></tr>";
    for (const auto& c : e.curves) {
      html << "<tr><td>" << HtmlEscape(c.attack) << "</td><td>" << c.norm << "</td><td>";
      for (const auto& p : c.robust_accuracy) html << FixedDecimal(p.x, 2) << ": " << Percent(p.y) << " ";
      html << "</td><td>" << c.cost.queries << "</td><td>" << c.cost.gradient_evaluations << "</td><td>"
           << FixedDecimal(c.cost.seconds, 2) << "</td></tr>";
    }
    html << "</table>";
  }
  if (report.extraction) {
    const auto& x = *report.extraction;
    html << "<h2>Extraction</h2><p>Budget " << x.budget
         << " queries per method; the target's accuracy on the evaluation set is " << Percent(x.target_accuracy)
         << ".</p><div class=\"plots\">";
    std::vector<Series> fidelity, accuracy;
    for (const auto& c : x.curves) {
      fidelity.push_back({c.method, c.fidelity});
      accuracy.push_back({c.method, c.accuracy});
    }
    html << SvgPlot("Fidelity vs queries", "queries (log)", "agreement with the target", fidelity, true);
    html << SvgPlot("Surrogate accuracy vs queries", "queries (log)", "accuracy", accuracy, true);
    html << "</div><table><tr><th>Method</th><th>API output</th><th>Final fidelity</th><th>Final "
            "accuracy</th><th>Queries</th><th>Seconds</th></tr>";
    for (const auto& c : x.curves) {
      html << "<tr><td>" << HtmlEscape(c.method) << "</td><td>" << HtmlEscape(c.api_output) << "</td><td>"
           << (c.fidelity.empty() ? "-" : Percent(c.fidelity.back().y)) << "</td><td>"
           << (c.accuracy.empty() ? "-" : Percent(c.accuracy.back().y)) << "</td><td>" << c.cost.queries << "</td><td>"
           << FixedDecimal(c.cost.seconds, 2) << "</td></tr>";
    }
    html << "</table>";
  }
  if (report.membership) {
    const auto& m = *report.membership;
    html << "<h2>Membership inference</h2><p>" << m.members << " members and " << m.nonmembers
         << " non-members; train accuracy " << Percent(m.train_accuracy) << ", test accuracy "
         << Percent(m.test_accuracy) << ".";
    const std::string guarantee = PrivacyGuarantee(report.model);
    if (!guarantee.empty()) html << " The model was " << HtmlEscape(guarantee) << ".";
    html << "</p><div class=\"plots\">";
    std::vector<Series> roc;
    for (const auto& a : m.attacks) {
      std::vector<Point> positive;
      for (const auto& p : a.roc) {
        if (p.x > 0) positive.push_back(p);
      }
      roc.push_back({a.attack, positive});
    }
    html << SvgPlot("ROC (log-log)", "false positive rate", "true positive rate", roc, true, true, true);
    html << "</div><table><tr><th>Attack</th><th>AUC</th><th>TPR at 0.1% FPR</th><th>TPR at 1% "
            "FPR</th><th>Advantage</th><th>Seconds</th></tr>";
    for (const auto& a : m.attacks) {
      html << "<tr><td>" << HtmlEscape(a.attack) << "</td><td>" << FixedDecimal(a.auc, 3) << "</td><td>"
           << Percent(a.tpr_at_01_fpr) << "</td><td>" << Percent(a.tpr_at_1_fpr) << "</td><td>"
           << FixedDecimal(a.advantage, 3) << "</td><td>" << FixedDecimal(a.cost.seconds, 2) << "</td></tr>";
    }
    html << "</table><p>With n non-members, TPR at an FPR below 1/n is read at zero false positives.</p>";
  }
  html << "<h2>Model</h2><pre>" << HtmlEscape(report.model.dump(2)) << "</pre></body></html>\n";
  return html.str();
}

Status WriteReport(const AssessmentReport& report, const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return MakeError(ErrorCode::kIo, "cannot create " + directory + ": " + error.message());
  for (const auto& [name, content] : {std::pair<std::string, std::string>{"report.json", ToJson(report).dump(2) + "\n"},
                                      {"report.html", RenderHtml(report)}}) {
    // Atomically: a failed write (a full disk) leaves the previous report, never half of one.
    MG_TRY(WriteFileAtomic(directory + "/" + name, content));
  }
  return Ok{};
}

}  // namespace modelguard::assess
