#include "src/governance/report/html_page.h"

#include <algorithm>
#include <sstream>

#include "modelguard/core/bytes.h"
#include "modelguard/core/hash.h"
#include "modelguard/core/html.h"
#include "modelguard/core/number_text.h"

namespace modelguard::governance::site {
namespace {

// Colours were picked for a contrast of at least 4.5:1 (WCAG AA) between text and its background.
constexpr std::string_view kStyle = R"css(
:root{color-scheme:light}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1a1a1a;background:#fff;margin:0}
.skip{position:absolute;left:-10000px;top:0}
.skip:focus{left:.5rem;top:.5rem;background:#fff;color:#0645ad;padding:.25rem .5rem;z-index:1}
header{background:#1f2937;color:#fff;padding:.5rem 1rem}
header p{margin:0 0 .25rem;font-weight:600}
header a{color:#fff}
header a[aria-current=page]{text-decoration:none;border-bottom:3px solid #fbbf24}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem}
main{padding:1rem;max-width:90rem}
a{color:#0645ad}
h1{font-size:1.75rem;margin:.5rem 0 1rem}
h2{font-size:1.35rem;margin-top:2rem;border-bottom:1px solid #c8ccd1}
h3{font-size:1.1rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;width:100%}
caption{text-align:left;font-weight:600;padding:.25rem 0;caption-side:top}
th,td{border:1px solid #a2a9b1;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
td code{word-break:break-all}
thead th{background:#eaecf0}
tbody th{font-weight:600}
tbody tr:nth-child(even){background:#f8f9fa}
tr:target{outline:3px solid #1a73e8;background:#e8f0fe}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:0 .5rem;border-radius:.75rem;font-weight:600;border:1px solid currentColor;white-space:nowrap}
.a-yes{color:#0b5d1e;background:#e6f4ea}
.a-no{color:#a50e0e;background:#fce8e6}
.a-partial{color:#6b4400;background:#fef3c7}
.a-not-applicable{color:#3c4043;background:#f1f3f4}
.s-critical{color:#fff;background:#8b0000}
.s-high{color:#a50e0e;background:#fce8e6}
.s-medium{color:#6b4400;background:#fef3c7}
.s-low{color:#174ea6;background:#e8f0fe}
.s-info{color:#3c4043;background:#f1f3f4}
button.sort{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;color:inherit;text-align:left}
th[aria-sort=ascending] button.sort::after{content:" \25B2"}
th[aria-sort=descending] button.sort::after{content:" \25BC"}
form.filter{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:flex-end;margin:.5rem 0}
form.filter[hidden]{display:none}
form.filter label{display:flex;flex-direction:column;font-weight:600}
form.filter input,form.filter select{font:inherit;padding:.2rem}
:focus-visible{outline:3px solid #1a73e8;outline-offset:2px}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.9em}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
ul.counts{display:flex;flex-wrap:wrap;gap:.75rem;list-style:none;padding:0}
ul.counts li{border:1px solid #a2a9b1;padding:.5rem 1rem;border-radius:.25rem;min-width:9rem}
ul.counts strong{display:block;font-size:1.5rem}
ul.missing{margin:0;padding-left:1.1rem}
.note{color:#444}
svg text{font:12px system-ui,sans-serif;fill:#1a1a1a}
footer{padding:1rem;color:#444;border-top:1px solid #c8ccd1;font-size:.9rem}
@media print{header nav,form.filter{display:none}}
)css";

// Progressive enhancement only: every table is complete without it. Sorts tables of class "sortable" by a
// column (a button in each header cell; data-sort on a cell overrides its text) and filters the rows of the
// table a form.filter names (data-key: compare a row's data-<key>, exactly; none: search its text).
constexpr std::string_view kScript = R"js(
(function () {
  'use strict';
  var each = function (list, f) { Array.prototype.forEach.call(list, f); };
  var key = function (cell) { return (cell ? (cell.getAttribute('data-sort') || cell.textContent) : '').trim(); };
  each(document.querySelectorAll('table.sortable'), function (table) {
    if (!table.tHead || !table.tBodies.length) return;
    var heads = table.tHead.rows[0].cells;
    each(heads, function (th, column) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'sort';
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener('click', function () {
        var ascending = th.getAttribute('aria-sort') !== 'ascending';
        each(heads, function (other) { other.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (x, y) {
          var a = key(x.cells[column]), b = key(y.cells[column]);
          var na = Number(a), nb = Number(b);
          var order = (a !== '' && b !== '' && !isNaN(na) && !isNaN(nb)) ? na - nb : a.localeCompare(b);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  each(document.querySelectorAll('form.filter'), function (form) {
    var table = document.getElementById(form.getAttribute('data-table'));
    if (!table || !table.tBodies.length) return;
    var controls = form.querySelectorAll('input, select');
    var status = form.querySelector('output');
    var apply = function () {
      var rows = table.tBodies[0].rows, shown = 0;
      each(rows, function (row) {
        var keep = true;
        each(controls, function (control) {
          var want = control.value.trim().toLowerCase();
          if (!want) return;
          var name = control.getAttribute('data-key');
          if (name) {
            if ((row.getAttribute('data-' + name) || '').toLowerCase() !== want) keep = false;
          } else if (row.textContent.toLowerCase().indexOf(want) < 0) {
            keep = false;
          }
        });
        row.hidden = !keep;
        if (keep) shown++;
      });
      if (status) status.textContent = shown + ' of ' + rows.length + ' rows shown';
    };
    form.addEventListener('input', apply);
    form.addEventListener('change', apply);
    form.addEventListener('submit', function (event) { event.preventDefault(); });
    form.hidden = false;
    apply();
  });
})();
)js";

// The Content-Security-Policy allows exactly this style and this script, and nothing else: no request can
// leave a page, and text from the database could not run even if escaping failed.
std::string Hash(std::string_view text) { return "'sha256-" + Base64Encode(Sha256Bytes(text)) + "'"; }

struct NavEntry {
  const char* file;
  const char* label;
};
constexpr NavEntry kNav[] = {{"index.html", "Overview"},   {"inventory.html", "Inventory"},
                             {"shadow.html", "Shadow AI"}, {"controls.html", "Controls"},
                             {"reviews.html", "Reviews"},  {"incidents.html", "Incidents"}};

}  // namespace

std::string Esc(std::string_view text) { return HtmlEscape(text); }

std::string Page(const PageFrame& frame, std::string_view body) {
  static const std::string csp = "default-src 'none'; style-src " + Hash(kStyle) + "; script-src " + Hash(kScript) +
                                 "; img-src 'none'; base-uri 'none'; form-action 'none'";
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta http-equiv=\"Content-Security-Policy\" content=\"" << csp << "\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<meta name=\"generator\" content=\"modelguard report\">\n"
      << "<title>" << Esc(frame.title) << " \xE2\x80\x94 AI governance</title>\n<style>" << kStyle
      << "</style>\n</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to the content</a>\n<header>\n<p>"
      << (frame.organisation.empty() ? std::string("AI governance") : "AI governance: " + Esc(frame.organisation))
      << "</p>\n<nav aria-label=\"Dashboard\"><ul>";
  for (const auto& entry : kNav) {
    out << "<li><a href=\"" << frame.root << entry.file << "\"";
    if (frame.file == entry.file) out << " aria-current=\"page\"";
    out << ">" << entry.label << "</a></li>";
  }
  out << "</ul></nav>\n</header>\n<main id=\"main\">\n<h1>" << Esc(frame.title) << "</h1>\n"
      << body << "</main>\n<footer>State on " << DateText(frame.now) << " (" << Iso8601Utc(frame.now)
      << "), written by modelguard report. The answers follow the rules in modelguard's docs/dashboard.md."
      << "</footer>\n<script>" << kScript << "</script>\n</body>\n</html>\n";
  return out.str();
}

std::string AnswerBadge(Answer answer) {
  const std::string name = ToString(answer);
  return "<span class=\"badge a-" + name + "\">" + name + "</span>";
}

std::string SeverityBadge(std::string_view severity) {
  const std::string name(severity);
  const bool known = name == "critical" || name == "high" || name == "medium" || name == "low" || name == "info";
  return "<span class=\"badge s-" + std::string(known ? name : "info") + "\">" + Esc(name) + "</span>";
}

std::string FindingsChart(const std::array<uint64_t, 5>& findings, std::string_view caption, std::string_view id) {
  static constexpr const char* kNames[] = {"critical", "high", "medium", "low", "info"};
  static constexpr const char* kFill[] = {"#8b0000", "#c5221f", "#b06000", "#1967d2", "#5f6368"};
  // Severity order (critical first) against EvidenceSummary::findings' index (info first).
  auto count = [&](size_t i) { return findings[4 - i]; };
  uint64_t top = 0;
  for (size_t i = 0; i < 5; ++i) top = std::max(top, count(i));
  constexpr int kLabel = 70, kBar = 300, kRow = 24;
  std::ostringstream out;
  std::string alt;
  for (size_t i = 0; i < 5; ++i) alt += (i ? ", " : "") + std::to_string(count(i)) + " " + kNames[i];
  out << "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kLabel + kBar + 60 << "\" height=\""
      << kRow * 5 + 8 << "\" role=\"img\" aria-labelledby=\"" << id << "-title\"><title id=\"" << id << "-title\">"
      << Esc(caption) << ": " << alt << "</title>";
  for (size_t i = 0; i < 5; ++i) {
    const double width = top == 0 ? 0.0 : static_cast<double>(count(i)) / static_cast<double>(top) * kBar;
    const int y = 4 + static_cast<int>(i) * kRow;
    out << "<text x=\"0\" y=\"" << y + 15 << "\">" << kNames[i] << "</text><rect x=\"" << kLabel << "\" y=\"" << y + 3
        << "\" width=\"" << FixedDecimal(width, 1) << "\" height=\"" << kRow - 8 << "\" fill=\"" << kFill[i]
        << "\"/><text x=\"" << FixedDecimal(kLabel + width + 6, 1) << "\" y=\"" << y + 15 << "\">" << count(i)
        << "</text>";
  }
  out << "</svg>\n<figcaption>" << Esc(caption) << "</figcaption>\n</figure>\n";
  out << "<table id=\"" << id << "\"><caption>" << Esc(caption) << " (numbers)</caption>\n<thead><tr>";
  for (const char* name : kNames) out << "<th scope=\"col\" class=\"num\">" << name << "</th>";
  out << "</tr></thead>\n<tbody><tr>";
  for (size_t i = 0; i < 5; ++i)
    out << "<td class=\"num\" data-severity=\"" << kNames[i] << "\">" << count(i) << "</td>";
  out << "</tr></tbody>\n</table>\n";
  return out.str();
}

}  // namespace modelguard::governance::site
