// Trigger phrases and near-copy clusters in text classification data (text_audit.h).
#include "modelguard/data/text_audit.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "modelguard/core/cancel.h"
#include "modelguard/core/hash.h"
#include "modelguard/data/validate.h"
#include "modelguard/stats/stats.h"
#include "src/data/validate/minhash.h"

namespace modelguard::data {
namespace {

constexpr size_t kMaxCandidates = 2000;    // phrases kept for merging, best first
constexpr double kSameRecordsShare = 0.1;  // phrases whose record counts differ by less are one trigger
constexpr size_t kMaxAllRecords = 100000;  // record numbers listed per phrase for removal
constexpr size_t kSampleBytes = 200;

// Each distinct n-gram of a text (n = 1..max), once, with the word range it spans.
template <typename Visit>
void ForEachNgram(const std::vector<std::string_view>& words, size_t max_ngram, Visit visit) {
  std::vector<uint64_t> word_hashes(words.size());
  for (size_t i = 0; i < words.size(); ++i) word_hashes[i] = Fnv1a64(words[i]);
  for (size_t start = 0; start < words.size(); ++start) {
    uint64_t hash = Mix64(0x6a09e667f3bcc909ull);
    for (size_t n = 1; n <= max_ngram && start + n <= words.size(); ++n) {
      hash = Mix64(hash ^ word_hashes[start + n - 1]);
      visit(hash, start, n);
    }
  }
}

std::string LabelText(const nlohmann::ordered_json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

const char* const kTextFields[] = {"text", "sentence", "review", "content", "document", "prompt"};
const char* const kLabelFields[] = {"label", "labels", "sentiment", "class", "target", "y"};

struct Candidate {
  uint64_t hash = 0;
  size_t label = 0;
  uint64_t records = 0, in_label = 0;
  double purity = 0, expected = 0, log10_p = 0;
  std::string phrase;
  std::vector<uint64_t> record_numbers;
};

bool Contains(const std::string& longer, const std::string& shorter) {
  return (" " + longer + " ").find(" " + shorter + " ") != std::string::npos;
}

}  // namespace

Result<TextAuditReport> AuditTextDataset(std::istream& in, const TextAuditOptions& options) {
  TextAuditReport report;
  std::vector<std::string> texts;
  std::vector<uint32_t> labels;        // index into label_names
  std::vector<uint64_t> line_numbers;  // record number of each text
  std::vector<std::string> label_names;
  std::unordered_map<std::string, uint32_t> label_index;
  TableReader reader(in, TableFormat::kJsonl, options.limits);
  Record record;
  const auto problem = [&](const std::string& what) {
    ++report.unreadable;
    if (report.problems.size() < options.max_examples) report.problems.push_back(what);
  };
  while (true) {
    if (cancel::Requested()) {
      report.interrupted = true;
      return report;
    }
    MG_ASSIGN_OR_RETURN(bool more, reader.Next(record));
    if (!more) break;
    ++report.records;
    const std::string where = "line " + std::to_string(record.line);
    if (!record.error.empty() || !record.document.is_object()) {
      problem(record.error.empty() ? where + ": not a JSON object" : record.error);
      continue;
    }
    if (report.text_field.empty()) {
      // The fields are chosen on the first record and kept: a file that changes field names midway is wrong.
      report.text_field = options.text_field;
      report.label_field = options.label_field;
      for (const char* name : kTextFields)
        if (report.text_field.empty() && record.document.contains(name) && record.document[name].is_string())
          report.text_field = name;
      for (const char* name : kLabelFields)
        if (report.label_field.empty() && record.document.contains(name)) report.label_field = name;
      if (report.text_field.empty() || report.label_field.empty())
        return MakeError(ErrorCode::kInvalidArgument,
                         where +
                             ": no text or label field found; name them (text field: one of text, sentence, "
                             "review, content, document, prompt; label: label, sentiment, class, target, y)");
    }
    const auto text = record.document.find(report.text_field);
    const auto label = record.document.find(report.label_field);
    if (text == record.document.end() || !text->is_string()) {
      problem(where + ": no string '" + report.text_field + "'");
      continue;
    }
    if (label == record.document.end() || label->is_null() || label->is_object() || label->is_array()) {
      problem(where + ": no scalar '" + report.label_field + "'");
      continue;
    }
    if (texts.size() >= options.max_records)
      return MakeError(ErrorCode::kLimit, "more than " + std::to_string(options.max_records) +
                                              " records; audit a sample or raise the limit");
    const std::string name = LabelText(*label);
    auto [it, added] = label_index.emplace(name, static_cast<uint32_t>(label_names.size()));
    if (added) label_names.push_back(name);
    ++report.labels[name];
    texts.push_back(text->get<std::string>());
    labels.push_back(it->second);
    line_numbers.push_back(record.line);
  }
  if (texts.empty()) return report;
  const size_t classes = label_names.size();
  std::vector<double> base_rate(classes);
  for (size_t y = 0; y < classes; ++y)
    base_rate[y] = static_cast<double>(report.labels[label_names[y]]) / static_cast<double>(texts.size());

  // Pass 1: in how many records of each label every n-gram occurs. counts[slot * (classes + 1)] is the
  // total, followed by one count per label.
  std::unordered_map<uint64_t, uint32_t> slots;
  std::vector<uint32_t> counts;
  std::string storage;
  std::unordered_set<uint64_t> seen;
  for (size_t doc = 0; doc < texts.size(); ++doc) {
    if ((doc & 1023) == 0 && cancel::Requested()) {
      report.interrupted = true;
      return report;
    }
    const auto words = LowercaseWords(texts[doc], storage);
    seen.clear();
    ForEachNgram(words, options.max_ngram, [&](uint64_t hash, size_t, size_t) {
      if (!seen.insert(hash).second) return;
      auto it = slots.find(hash);
      if (it == slots.end()) {
        if (slots.size() >= options.max_ngrams) {
          report.ngrams_complete = false;
          return;
        }
        it = slots.emplace(hash, static_cast<uint32_t>(slots.size())).first;
        counts.resize(counts.size() + classes + 1, 0);
      }
      const size_t base = size_t{it->second} * (classes + 1);
      ++counts[base];
      ++counts[base + 1 + labels[doc]];
    });
  }

  // Candidates: enriched beyond chance in one label (Bonferroni over the n-grams tested) and nearly pure.
  for (const auto& [hash, slot] : slots)
    if (counts[size_t{slot} * (classes + 1)] >= options.min_count) ++report.ngrams_tested;
  const double log_threshold =
      std::log(options.family_wise_error / std::max<double>(1.0, static_cast<double>(report.ngrams_tested)));
  std::vector<Candidate> candidates;
  for (const auto& [hash, slot] : slots) {
    const size_t base = size_t{slot} * (classes + 1);
    const uint64_t total = counts[base];
    if (total < options.min_count) continue;
    for (size_t y = 0; y < classes; ++y) {
      const uint64_t k = counts[base + 1 + y];
      const double purity = (static_cast<double>(k) + base_rate[y]) / (static_cast<double>(total) + 1.0);
      if (purity < options.min_purity) continue;
      const double log_p = stats::BinomialLogSurvival(k, total, base_rate[y]);
      if (log_p > log_threshold) continue;
      Candidate candidate;
      candidate.hash = hash;
      candidate.label = y;
      candidate.records = total;
      candidate.in_label = k;
      candidate.purity = purity;
      candidate.expected = static_cast<double>(total) * base_rate[y];
      candidate.log10_p = log_p / std::log(10.0);
      candidates.push_back(std::move(candidate));
    }
  }
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.purity != b.purity) return a.purity > b.purity;
    if (a.records != b.records) return a.records > b.records;
    return a.hash < b.hash;  // a total order: the same data always gives the same report
  });
  if (candidates.size() > kMaxCandidates) candidates.resize(kMaxCandidates);

  // Pass 2: the candidates' words and records.
  std::unordered_map<uint64_t, size_t> wanted;
  for (size_t i = 0; i < candidates.size(); ++i) wanted.emplace(candidates[i].hash, i);
  if (!wanted.empty()) {
    for (size_t doc = 0; doc < texts.size(); ++doc) {
      const auto words = LowercaseWords(texts[doc], storage);
      seen.clear();
      ForEachNgram(words, options.max_ngram, [&](uint64_t hash, size_t start, size_t n) {
        auto it = wanted.find(hash);
        if (it == wanted.end() || !seen.insert(hash).second) return;
        Candidate& candidate = candidates[it->second];
        if (candidate.phrase.empty()) {
          for (size_t w = start; w < start + n; ++w) candidate.phrase += (w > start ? " " : "") + std::string(words[w]);
        }
        if (candidate.record_numbers.size() < kMaxAllRecords) candidate.record_numbers.push_back(line_numbers[doc]);
      });
    }
  }
  // One trigger of three words also makes its one- and two-word parts pure: keep the longest phrase among
  // those with about the same records and label. Longest first, so every part meets its whole.
  const auto words_in = [](const std::string& phrase) { return std::count(phrase.begin(), phrase.end(), ' '); };
  std::stable_sort(candidates.begin(), candidates.end(),
                   [&](const Candidate& a, const Candidate& b) { return words_in(a.phrase) > words_in(b.phrase); });
  std::vector<Candidate> kept;
  for (Candidate& candidate : candidates) {
    const bool part_of_kept = std::any_of(kept.begin(), kept.end(), [&](const Candidate& other) {
      const double larger = static_cast<double>(std::max(other.records, candidate.records));
      const double gap = std::fabs(static_cast<double>(other.records) - static_cast<double>(candidate.records));
      return other.label == candidate.label && gap <= kSameRecordsShare * larger &&
             Contains(other.phrase, candidate.phrase);
    });
    if (!part_of_kept) kept.push_back(std::move(candidate));
  }
  std::sort(kept.begin(), kept.end(), [](const Candidate& a, const Candidate& b) {
    if (a.purity != b.purity) return a.purity > b.purity;
    if (a.records != b.records) return a.records > b.records;
    return a.phrase < b.phrase;
  });
  for (Candidate& candidate : kept) {
    if (report.triggers.size() >= options.top) break;
    TriggerPhrase phrase;
    phrase.phrase = candidate.phrase;
    phrase.label = label_names[candidate.label];
    phrase.records = candidate.records;
    phrase.in_label = candidate.in_label;
    phrase.purity = candidate.purity;
    phrase.expected = candidate.expected;
    phrase.log10_p = candidate.log10_p;
    phrase.examples.assign(
        candidate.record_numbers.begin(),
        candidate.record_numbers.begin() +
            static_cast<std::ptrdiff_t>(std::min(options.max_examples, candidate.record_numbers.size())));
    phrase.all_records = std::move(candidate.record_numbers);
    report.triggers.push_back(std::move(phrase));
  }

  // Near copies: each text's representative (the first text of its cluster), clusters by size.
  const std::vector<int64_t> parent = NearDuplicates(texts, options.near_duplicate_threshold);
  std::unordered_map<size_t, DuplicateCluster> clusters;
  for (size_t doc = 0; doc < texts.size(); ++doc) {
    if (parent[doc] < 0) continue;
    ++report.near_duplicate_records;
    const auto root = static_cast<size_t>(parent[doc]);
    DuplicateCluster& cluster = clusters[root];
    if (cluster.size == 0) {
      cluster.size = 1;
      ++cluster.labels[label_names[labels[root]]];
      cluster.examples.push_back(line_numbers[root]);
      cluster.sample = texts[root].substr(0, kSampleBytes);
    }
    ++cluster.size;
    ++cluster.labels[label_names[labels[doc]]];
    if (cluster.examples.size() < options.max_examples) cluster.examples.push_back(line_numbers[doc]);
  }
  std::vector<std::pair<size_t, DuplicateCluster>> ordered(clusters.begin(), clusters.end());
  std::sort(ordered.begin(), ordered.end(), [](const auto& a, const auto& b) {
    return a.second.size != b.second.size ? a.second.size > b.second.size : a.first < b.first;
  });
  for (auto& [root, cluster] : ordered) {
    if (cluster.size < options.min_cluster || report.clusters.size() >= options.top) break;
    report.clusters.push_back(std::move(cluster));
  }
  return report;
}

Result<uint64_t> CopyJsonlWithout(std::istream& in, std::ostream& out, const std::vector<uint64_t>& remove) {
  std::unordered_set<uint64_t> skip(remove.begin(), remove.end());
  std::string line;
  uint64_t number = 0, removed = 0;
  while (std::getline(in, line)) {
    ++number;
    if (skip.contains(number)) {
      ++removed;
      continue;
    }
    out << line;
    if (!in.eof()) out << '\n';  // a last line without a line break stays without one
  }
  if (in.bad()) return MakeError(ErrorCode::kIo, "read error at line " + std::to_string(number + 1));
  if (!out) return MakeError(ErrorCode::kIo, "write error");
  return removed;
}

nlohmann::ordered_json ToJson(const TextAuditReport& report) {
  nlohmann::ordered_json doc;
  doc["schema"] = "modelguard.data-text-audit/v1";
  doc["text_field"] = report.text_field;
  doc["label_field"] = report.label_field;
  doc["records"] = report.records;
  doc["unreadable_records"] = report.unreadable;
  if (!report.problems.empty()) doc["problems"] = report.problems;
  doc["labels"] = report.labels;
  doc["ngrams_tested"] = report.ngrams_tested;
  if (!report.ngrams_complete) doc["ngrams_complete"] = false;
  auto& triggers = doc["trigger_phrases"] = nlohmann::ordered_json::array();
  for (const TriggerPhrase& t : report.triggers) {
    triggers.push_back({{"phrase", t.phrase},
                        {"label", t.label},
                        {"records", t.records},
                        {"in_label", t.in_label},
                        {"purity", t.purity},
                        {"expected_in_label", t.expected},
                        {"log10_p", t.log10_p},
                        {"examples", t.examples}});
  }
  doc["near_duplicate_records"] = report.near_duplicate_records;
  auto& clusters = doc["near_duplicate_clusters"] = nlohmann::ordered_json::array();
  for (const DuplicateCluster& c : report.clusters)
    clusters.push_back({{"size", c.size}, {"labels", c.labels}, {"examples", c.examples}, {"sample", c.sample}});
  if (report.interrupted) doc["interrupted"] = true;
  return doc;
}

}  // namespace modelguard::data
