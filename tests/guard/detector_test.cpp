// The detector list is the one place detectors are named: the engine runs what it holds (a test-only
// detector added to it runs, as docs/extending.md says), and docs/guard.md's detector table is generated from it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "modelguard/guard/guard.h"
#include "src/guard/detector.h"

namespace modelguard::guard {
namespace {

// Flags every "zebra-crossing" in the folded text and every view (a checklist's test-only detector).
class ZebraDetector final : public Detector {
 public:
  void Examine(const DetectorInput& input, DetectorOutput& out) const override {
    const std::string_view folded = input.normalized.folded;
    for (size_t at = folded.find("zebra-crossing"); at != std::string_view::npos;
         at = folded.find("zebra-crossing", at + 1)) {
      const auto [begin, end] = input.normalized.SourceRange(at, at + 14);
      out.detections.push_back(
          Detection{"zebra", "test.zebra", "injection", "", Verdict::kBlock, 0.8, begin, end, "text"});
      out.score = 0.8;
    }
  }
};

// Finds "ZEBRA-" followed by digits as personal data (a test-only entity detector).
class ZebraIdDetector final : public Detector {
 public:
  void Examine(const DetectorInput&, DetectorOutput&) const override {}
  std::vector<Detection> FindEntities(std::string_view text, double, bool*) const override {
    std::vector<Detection> found;
    for (size_t at = text.find("ZEBRA-"); at != std::string_view::npos; at = text.find("ZEBRA-", at + 1)) {
      size_t end = at + 6;
      while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
      if (end > at + 6)
        found.push_back(
            Detection{"zebra_id", "test.zebra_id", "pii", "ZEBRA_ID", Verdict::kAllow, 0.9, at, end, "text"});
    }
    return found;
  }
};

DetectorEntry ZebraEntry() {
  DetectorInfo info;
  info.name = "zebra";
  info.folder = "zebra";
  info.summary = "test-only";
  info.categories = {"injection"};
  info.labels = {"test.zebra"};
  info.option = "always";
  return DetectorEntry{std::move(info), [](const GuardOptions&) { return true; },
                       [](const DetectorContext&) -> Result<std::unique_ptr<const Detector>> {
                         return std::unique_ptr<const Detector>(std::make_unique<ZebraDetector>());
                       }};
}

DetectorEntry ZebraIdEntry() {
  DetectorInfo info;
  info.name = "zebra_id";
  info.folder = "zebra_id";
  info.summary = "test-only";
  info.categories = {"pii"};
  info.labels = {"ZEBRA_ID"};
  info.option = "pii";
  info.entities = true;
  return DetectorEntry{std::move(info), [](const GuardOptions& o) { return o.pii; },
                       [](const DetectorContext&) -> Result<std::unique_ptr<const Detector>> {
                         return std::unique_ptr<const Detector>(std::make_unique<ZebraIdDetector>());
                       }};
}

std::shared_ptr<const Guard> GuardWithZebras() {
  auto list = BuiltinDetectors();
  list.push_back(ZebraEntry());
  list.push_back(ZebraIdEntry());
  auto guard = Guard::Create(GuardOptions{}, list);
  EXPECT_TRUE(guard.ok()) << (guard.ok() ? "" : guard.error().message);
  return guard.ok() ? *guard : nullptr;
}

TEST(GuardDetectors, ATestOnlyDetectorAddedToTheListRuns) {
  const auto guard = GuardWithZebras();
  ASSERT_TRUE(guard);
  const std::string text = "Please stop at the zebra-crossing before you cross.";
  const auto a = guard->Classify(text, Role::kUser);
  const auto hit =
      std::find_if(a.detections.begin(), a.detections.end(), [](const Detection& d) { return d.detector == "zebra"; });
  ASSERT_NE(hit, a.detections.end()) << ToJson(a).dump();
  EXPECT_EQ(text.substr(hit->begin, hit->end - hit->begin), "zebra-crossing");
  EXPECT_EQ(a.verdict, Verdict::kBlock);
  EXPECT_GE(a.score, 0.8);
  // The engine caps every detector at the role's ceiling: the operator's system prompt is never blocked.
  EXPECT_EQ(guard->Classify(text, Role::kSystem).verdict, Verdict::kFlag);
  // The built-in list alone does not know it.
  auto builtin = Guard::Create(GuardOptions{});
  ASSERT_TRUE(builtin.ok());
  for (const auto& d : (*builtin)->Classify(text, Role::kUser).detections) EXPECT_NE(d.detector, "zebra");
}

TEST(GuardDetectors, ATestOnlyEntityDetectorServesRedaction) {
  const auto guard = GuardWithZebras();
  ASSERT_TRUE(guard);
  const auto redacted = guard->Redact("card holder ZEBRA-4711 called", RedactMode::kMask, true, false, nullptr);
  EXPECT_EQ(redacted.text, "card holder [ZEBRA_ID] called");
  // Its category is "pii": with PII off it is not asked.
  EXPECT_EQ(guard->Redact("ZEBRA-4711", RedactMode::kMask, false, true, nullptr).text, "ZEBRA-4711");
}

TEST(GuardDetectors, EveryDetectorDescribesItselfAndHasItsFolder) {
  std::set<std::string> names;
  for (const auto& info : ListDetectors()) {
    EXPECT_TRUE(names.insert(info.name).second) << "two detectors named " << info.name;
    EXPECT_FALSE(info.summary.empty()) << info.name;
    EXPECT_FALSE(info.categories.empty()) << info.name;
    EXPECT_FALSE(info.labels.empty()) << info.name;
    EXPECT_FALSE(info.option.empty()) << info.name;
    EXPECT_TRUE(std::filesystem::is_directory(std::string(MODELGUARD_SOURCE_DIR) + "/src/guard/" + info.folder))
        << info.name << ": src/guard/" << info.folder;
  }
  EXPECT_EQ(names, (std::set<std::string>{"signature", "injection_model", "hidden_text", "adversarial_suffix", "secret",
                                          "pii"}));
}

// What docs/guard.md holds between its detector markers.
std::string DetectorTable() {
  std::ostringstream out;
  out << "| detector | folder | what it reports | categories | labels | switch |\n";
  out << "|---|---|---|---|---|---|\n";
  auto join = [](const std::vector<std::string>& items) {
    std::string joined;
    for (const auto& item : items) joined += (joined.empty() ? "" : ", ") + ("`" + item + "`");
    return joined;
  };
  for (const auto& info : ListDetectors()) {
    out << "| `" << info.name << "` | `" << info.folder << "/` | " << info.summary << " | " << join(info.categories)
        << " | " << join(info.labels) << " | `" << info.option << "` |\n";
  }
  out << "\n";  // a blank line ends the table before the end marker
  return out.str();
}

TEST(GuardDetectors, DocsDetectorTableIsGeneratedFromTheList) {
  std::ifstream in(std::string(MODELGUARD_SOURCE_DIR) + "/docs/guard.md");
  ASSERT_TRUE(in);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string doc = buffer.str();
  const std::string begin_marker =
      "<!-- detectors:begin (generated from ListDetectors(); tests/guard/detector_test.cpp) -->\n";
  const std::string end_marker = "<!-- detectors:end -->";
  const size_t begin = doc.find(begin_marker);
  const size_t end = doc.find(end_marker);
  ASSERT_NE(begin, std::string::npos) << "docs/guard.md lacks: " << begin_marker;
  ASSERT_NE(end, std::string::npos);
  const std::string expected = DetectorTable();
  EXPECT_TRUE(doc.substr(begin + begin_marker.size(), end - begin - begin_marker.size()) == expected)
      << "docs/guard.md's detector table is stale; between the markers it should read:\n"
      << expected;
}

}  // namespace
}  // namespace modelguard::guard
