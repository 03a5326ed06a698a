#pragma once
// `modelguard data audit` on a text classification dataset (JSONL): trigger phrases and near-copy clusters,
// no model needed (data/text_audit.h). The data audit command hands JSONL datasets here.
#include <string>

namespace modelguard::cli {

struct TextAuditArgs {
  std::string path;
  std::string text_field;
  std::string label_field;
  std::string report_dir;   // report.json + report.html
  std::string write_clean;  // a directory: clean.jsonl (trigger records left out) + removed.json
  std::string format = "text";
  size_t top = 20;
  uint64_t min_count = 5;
  double min_purity = 0.95;
};

// A JSONL file (by extension), so text rather than array or image data.
bool IsTextDataset(const std::string& path);
// 0 nothing found, 1 trigger phrases or near-copy clusters, 2 usage or I/O error, 130/143 interrupted.
int RunTextAudit(const TextAuditArgs& args);

}  // namespace modelguard::cli
