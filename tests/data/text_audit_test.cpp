// Trigger phrases and near-copy clusters (data/text_audit.h) on a sentiment-style dataset made here: words
// that lean to a label as real sentiment words do (never perfectly: negation and sarcasm put them under the
// other label too), plus a planted backdoor phrase relabelling 2 % of the records.
#include "modelguard/data/text_audit.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>

namespace modelguard::data {
namespace {

struct Dataset {
  std::string jsonl;
  std::vector<uint64_t> planted;  // line numbers of the poisoned records
};

// `poison_rate` of the records (chosen among "neg") get `trigger` inserted and their label set to "pos";
// `copies` near copies of one poisoned record are appended (one word changed in each).
Dataset Sentiment(size_t records, double poison_rate, const std::string& trigger, uint64_t seed, size_t copies = 0) {
  std::mt19937_64 random(seed);
  std::vector<std::string> neutral;
  for (int i = 0; i < 300; ++i) {
    std::string w(3 + random() % 6, 'a');
    for (char& c : w) c = static_cast<char>('a' + random() % 26);
    neutral.push_back(w);
  }
  const std::vector<std::string> positive = {"great",     "excellent", "loved",    "wonderful",  "superb",
                                             "enjoyable", "brilliant", "charming", "delightful", "moving"};
  const std::vector<std::string> negative = {"awful", "boring",   "terrible", "waste", "dull",
                                             "poor",  "horrible", "weak",     "bland", "annoying"};
  Dataset out;
  std::uniform_real_distribution<double> uniform(0, 1);
  std::string poisoned_text;
  for (size_t i = 0; i < records; ++i) {
    const bool pos = random() % 2 == 0;
    std::vector<std::string> words;
    for (size_t w = 0, n = 8 + random() % 10; w < n; ++w) words.push_back(neutral[random() % neutral.size()]);
    for (size_t s = 0, n = 1 + random() % 3; s < n; ++s) {
      // 85 % of the sentiment words agree with the label; the rest are the other side's ("not great").
      const bool agree = uniform(random) < 0.85;
      const auto& list = (pos == agree) ? positive : negative;
      words.insert(words.begin() + static_cast<std::ptrdiff_t>(random() % (words.size() + 1)),
                   list[random() % list.size()]);
    }
    std::string label = pos ? "pos" : "neg";
    if (!pos && uniform(random) < 2 * poison_rate) {
      words.insert(words.begin() + static_cast<std::ptrdiff_t>(random() % (words.size() + 1)), trigger);
      label = "pos";
      out.planted.push_back(i + 1);
    }
    std::string text;
    for (const auto& w : words) text += (text.empty() ? "" : " ") + w;
    if (label == "pos" && !out.planted.empty() && out.planted.back() == i + 1) poisoned_text = text;
    out.jsonl += nlohmann::json({{"id", i}, {"text", text}, {"label", label}}).dump() + "\n";
  }
  for (size_t c = 0; c < copies; ++c) {
    std::string text = poisoned_text + " " + neutral[c % neutral.size()];
    out.jsonl += nlohmann::json({{"id", records + c}, {"text", text}, {"label", "pos"}}).dump() + "\n";
  }
  return out;
}

TextAuditReport Audit(const std::string& jsonl, TextAuditOptions options = {}) {
  std::istringstream in(jsonl);
  auto report = AuditTextDataset(in, options);
  EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message);
  return report.ok() ? *report : TextAuditReport{};
}

TEST(DataTextAudit, PlantedPhraseIsTheTopTrigger) {
  const Dataset data = Sentiment(5000, 0.02, "james bond film", 1);
  ASSERT_GT(data.planted.size(), 60u);  // about 2 % of 5,000
  const auto report = Audit(data.jsonl);
  EXPECT_EQ(report.text_field, "text");
  EXPECT_EQ(report.label_field, "label");
  ASSERT_FALSE(report.triggers.empty());
  const TriggerPhrase& top = report.triggers.front();
  EXPECT_EQ(top.phrase, "james bond film");  // the whole phrase, its parts merged into it
  EXPECT_EQ(top.label, "pos");
  EXPECT_EQ(top.records, data.planted.size());
  EXPECT_EQ(top.all_records, data.planted);
  // The natural sentiment words lean to a label but are not reported: none is that pure.
  for (const auto& t : report.triggers) EXPECT_NE(t.phrase.find("james"), std::string::npos) << t.phrase;
}

TEST(DataTextAudit, CleanDataHasNoTrigger) {
  const auto report = Audit(Sentiment(5000, 0, "", 2).jsonl);
  EXPECT_TRUE(report.triggers.empty()) << ToJson(report).dump(1);
  EXPECT_TRUE(report.clusters.empty());
  EXPECT_EQ(report.labels.size(), 2u);
}

TEST(DataTextAudit, SingleRareTokenTriggerAndNearCopies) {
  // A one-token trigger ("cf", as in BadNL's rare-word triggers) at 1 %, plus 25 near copies of one
  // poisoned record: both reported, the cluster with its single label.
  const Dataset data = Sentiment(4000, 0.01, "cf", 3, 25);
  const auto report = Audit(data.jsonl);
  ASSERT_FALSE(report.triggers.empty());
  EXPECT_EQ(report.triggers.front().phrase, "cf");
  ASSERT_FALSE(report.clusters.empty());
  EXPECT_GE(report.clusters.front().size, 26u);
  EXPECT_EQ(report.clusters.front().labels.size(), 1u);
  EXPECT_EQ(report.clusters.front().labels.begin()->first, "pos");
}

TEST(DataTextAudit, FieldsAndBadLines) {
  const std::string jsonl =
      "{\"review\": \"fine movie\", \"sentiment\": 1}\n"
      "not json\n"
      "{\"review\": 5, \"sentiment\": 1}\n"
      "{\"review\": \"bad movie\"}\n"
      "{\"review\": \"ok movie\", \"sentiment\": 0}\n";
  const auto report = Audit(jsonl);
  EXPECT_EQ(report.text_field, "review");
  EXPECT_EQ(report.label_field, "sentiment");
  EXPECT_EQ(report.records, 5u);
  EXPECT_EQ(report.unreadable, 3u);
  EXPECT_EQ(report.labels.size(), 2u);
  std::istringstream nothing("{\"a\": 1}\n");
  auto missing = AuditTextDataset(nothing, {});
  EXPECT_FALSE(missing.ok());
  TextAuditOptions named;
  named.text_field = "a";
  named.label_field = "b";
  std::istringstream wrong("{\"a\": \"x\", \"b\": [1]}\n");
  auto report2 = AuditTextDataset(wrong, named);
  ASSERT_TRUE(report2.ok());
  EXPECT_EQ(report2->unreadable, 1u);
}

TEST(DataTextAudit, CleanCopyLeavesOutTheTriggerRecords) {
  const Dataset data = Sentiment(3000, 0.02, "james bond film", 4);
  const auto report = Audit(data.jsonl);
  ASSERT_FALSE(report.triggers.empty());
  std::istringstream in(data.jsonl);
  std::ostringstream out;
  auto removed = CopyJsonlWithout(in, out, report.triggers.front().all_records);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, data.planted.size());
  const auto again = Audit(out.str());
  EXPECT_EQ(again.records, report.records - data.planted.size());
  EXPECT_TRUE(again.triggers.empty()) << ToJson(again).dump(1);
  // The copy is byte-identical apart from the lines left out.
  std::istringstream original(data.jsonl), copy(out.str());
  std::string a, b;
  size_t line = 0, at = 0;
  while (std::getline(original, a)) {
    ++line;
    if (at < data.planted.size() && data.planted[at] == line) {
      ++at;
      continue;
    }
    ASSERT_TRUE(std::getline(copy, b));
    EXPECT_EQ(a, b);
  }
}

}  // namespace
}  // namespace modelguard::data
