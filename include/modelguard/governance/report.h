#pragma once
// The governance dashboard (`modelguard report`, docs/dashboard.md): a static, self-contained HTML site built
// from a Snapshot — inventory, shadow AI, one page per registered model, the control coverage matrix, overdue
// reviews, incidents and the AI-security checklist (checklist.h) answered per model and organisation-wide.
// Pages make no request of any kind (inline CSS and script under a Content-Security-Policy that forbids
// everything else) and read fully with JavaScript off; the script only adds table sorting and filtering.
// Everything from the snapshot is escaped; model names become file names only through ModelPageName.
// Also the snapshot's JSON form (modelguard.governance-snapshot/v1), which tests and hand-written fixtures use
// in place of a database, and the checklist's JSON.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/governance/checklist.h"
#include "modelguard/governance/controls.h"
#include "modelguard/governance/store.h"

namespace modelguard::governance {

struct SiteOptions {
  // The moment the site describes: checklist periods and overdue dates count from it. Pages are a function
  // of (snapshot, catalog, now) only, byte for byte.
  int64_t now = 0;
};

// The site's pages as (path relative to the site's folder, content): index.html, inventory.html,
// shadow.html, controls.html, reviews.html, incidents.html, checklist.json and models/<page>.html per model.
std::vector<std::pair<std::string, std::string>> RenderSite(const Snapshot& snapshot, const ControlCatalog& catalog,
                                                            const SiteOptions& options);
// The paths RenderSite returns, in its order, without rendering anything (to check them before writing).
std::vector<std::string> SiteFileNames(const Snapshot& snapshot);
// Renders and writes the site into `out_dir` (created with its parents when missing), each file replaced
// atomically. An error names the path when the folder cannot be made or written, or exists as a file.
// Pages of models no longer in the snapshot are left as they were.
Status WriteSite(const Snapshot& snapshot, const ControlCatalog& catalog, const std::string& out_dir,
                 const SiteOptions& options);

// The page of a model, relative to the site: "models/<slug>-<8 hex>.html". The slug keeps the name's ASCII
// letters, digits, '.', '_' and '-' (lower-cased, at most 48, no leading '.'), everything else becomes '-';
// the hex is from SHA-256 of the exact name, so distinct names never share a page and no name escapes the
// folder.
std::string ModelPageName(std::string_view model);

// The checklist as JSON: {"schema": "modelguard.governance-checklist/v1", "now": "...", "organisation":
// [answers], "models": [{"model": name, "answers": [...]}]}; an answer is {"question", "text", "answer",
// "reason", "evidence": [ids], "missing": [...]}. One line, no trailing newline.
std::string ChecklistToJson(const Checklist& checklist);

// The snapshot as JSON (schema modelguard.governance-snapshot/v1, documented in docs/dashboard.md), and back.
// Reading checks every member's type and names the one at fault; a document over kMaxSnapshotBytes is a
// kLimit error.
inline constexpr uint64_t kMaxSnapshotBytes = uint64_t{256} << 20;
std::string SnapshotToJson(const Snapshot& snapshot);
Result<Snapshot> SnapshotFromJson(std::string_view json_text);

}  // namespace modelguard::governance
