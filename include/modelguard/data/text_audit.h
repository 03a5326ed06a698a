#pragma once
// Poisoning in text classification datasets (JSONL, one record per line with a text and a label field),
// without a model: backdoor trigger phrases and records planted in many near copies.
//
// A trigger phrase (Dai et al. 2019, Chen et al. 2021 "BadNL") is an n-gram that a poisoner adds to some
// records while setting their label to the target class, so the phrase ends up almost only under one
// label. Natural words correlate with labels too ("excellent" -> positive), but never that cleanly: some
// negated or sarcastic record always carries them under the other label. So a phrase is reported when
//   - at least min_count records contain it,
//   - its records are enriched in one label beyond chance: the binomial tail P(X >= k | n, base rate of the
//     label) is below family_wise_error / (number of n-grams tested) (Bonferroni), and
//   - its smoothed purity (k + base) / (n + 1) reaches min_purity.
// Phrases that are parts of one another with about the same records are merged into the longest.
// Near copies are found by MinHash (validate.h) and grouped into clusters reported with their labels.
#include <cstdint>
#include <istream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/data/table.h"

namespace modelguard::data {

struct TextAuditOptions {
  std::string text_field;   // "" = the first of text, sentence, review, content, document, prompt
  std::string label_field;  // "" = the first of label, labels, sentiment, class, target, y
  size_t max_ngram = 3;
  uint64_t min_count = 5;
  double min_purity = 0.95;
  double family_wise_error = 1e-3;
  size_t top = 20;                        // phrases and clusters reported
  size_t max_examples = 10;               // record numbers listed per phrase or cluster
  double near_duplicate_threshold = 0.7;  // estimated Jaccard similarity of character 5-grams
  size_t min_cluster = 3;                 // near copies before a cluster is reported
  uint64_t max_records = 5'000'000;       // the texts are held in memory for the second pass
  uint64_t max_ngrams = 50'000'000;       // distinct n-grams counted
  TableLimits limits;
};

struct TriggerPhrase {
  std::string phrase;
  std::string label;                  // the label its records carry
  uint64_t records = 0;               // records containing the phrase
  uint64_t in_label = 0;              // of those, carrying `label`
  double purity = 0;                  // smoothed share in `label`
  double expected = 0;                // records in `label` expected at the label's base rate
  double log10_p = 0;                 // log10 of the binomial tail
  std::vector<uint64_t> examples;     // record numbers (1-based lines)
  std::vector<uint64_t> all_records;  // every record number containing it (for removal)
};

struct DuplicateCluster {
  uint64_t size = 0;                       // records in the cluster, the first included
  std::map<std::string, uint64_t> labels;  // label -> records
  std::vector<uint64_t> examples;          // record numbers
  std::string sample;                      // the first record's text, cut to 200 bytes
};

struct TextAuditReport {
  std::string text_field, label_field;
  uint64_t records = 0;
  uint64_t unreadable = 0;  // lines that are not JSON objects with a string text and a scalar label
  std::vector<std::string> problems;
  std::map<std::string, uint64_t> labels;
  uint64_t ngrams_tested = 0;
  std::vector<TriggerPhrase> triggers;
  std::vector<DuplicateCluster> clusters;
  uint64_t near_duplicate_records = 0;
  bool ngrams_complete = true;  // false: more distinct n-grams than max_ngrams
  bool interrupted = false;
  bool flagged() const { return !triggers.empty() || !clusters.empty(); }
};

Result<TextAuditReport> AuditTextDataset(std::istream& in, const TextAuditOptions& options = {});

// Copies a JSONL file line by line, leaving out the lines numbered in `remove` (1-based, as the report's
// record numbers): the cleaned copy `data audit --write-clean` writes. Returns the number of lines left out.
Result<uint64_t> CopyJsonlWithout(std::istream& in, std::ostream& out, const std::vector<uint64_t>& remove);
nlohmann::ordered_json ToJson(const TextAuditReport& report);

}  // namespace modelguard::data
