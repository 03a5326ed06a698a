// The data audit's activation methods (spectral signatures, activation clustering) and their combined
// ranking, measured on poisoned copies of digits (backdoor_fixtures.h): what share of the poison the ranking
// finds, and whether retraining without what it removes takes the backdoor out.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "assess/backdoor_fixtures.h"
#include "modelguard/assess/audit.h"
#include "modelguard/core/io.h"

namespace modelguard::assess::poisoning {
namespace {

using testing::Poisoned;
using testing::Trigger;

std::string RunCommand(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  while (pipe && std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  if (pipe) pclose(pipe);
  return output;
}

// digits as 1 x 8 x 8 images (the CSV gives flat rows), so a 4 x 4 patch is a square in the corner.
DataSplit DigitsImages() {
  auto split = LoadDataset("digits", 0.7, 1);
  EXPECT_TRUE(split.ok());
  split->train.sample_shape = split->test.sample_shape = {1, 8, 8};
  return *split;
}

LocalModel Train(const Dataset& data, const std::string& architecture, uint64_t seed = 1) {
  ArchitectureOptions options;
  options.name = architecture;
  auto model = BuildModel(options, data.sample_shape, data.classes, seed);
  EXPECT_TRUE(model.ok());
  TrainOptions training;
  training.epochs = 30;
  training.seed = seed;
  EXPECT_TRUE(TrainModel(*model, FeaturesTensor(data), LabelsTensor(data), training).ok());
  return std::move(*model);
}

// The model trained on the clean digits, cached across test processes (ctest runs each case in its own):
// several evidence tests compare against it. Written aside and renamed, as parallel processes may race.
LocalModel CleanModel(const DataSplit& split, const std::string& architecture) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "modelguard-assess-tests";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / ("audit-clean-" + architecture + ".pt")).string();
  if (std::filesystem::exists(path)) {
    auto loaded = LocalModel::Load(path);
    if (loaded.ok()) return std::move(*loaded);
  }
  LocalModel model = Train(split.train, architecture);
  const std::string temporary = path + "." + std::to_string(::getpid());
  EXPECT_TRUE(model.Save(temporary).ok());
  std::filesystem::rename(temporary, path);
  return model;
}

double Accuracy(LocalModel& model, const Dataset& data) {
  return model.Accuracy(FeaturesTensor(data), LabelsTensor(data));
}

double AttackSuccess(LocalModel& model, const Dataset& clean_test, Trigger trigger) {
  const Dataset triggered = testing::TriggeredTestSet(clean_test, trigger, 0);
  return model.Predict(FeaturesTensor(triggered)).eq(0).to(torch::kFloat64).mean().item<double>();
}

TEST(PoisoningActivations, PenultimateOfTheMlpIsTheInputOfItsLastLayer) {
  const DataSplit split = DigitsImages();
  auto model = BuildModel({"mlp", 32}, {64}, 10, 3);
  ASSERT_TRUE(model.ok());
  const torch::Tensor x = FeaturesTensor(split.test).reshape({-1, 64});
  auto activations = Activations(*model, x, "");
  ASSERT_TRUE(activations.ok()) << activations.error().message;
  ASSERT_EQ(activations->sizes(), (std::vector<int64_t>{x.size(0), 32}));
  // The cut is right exactly when the last layer applied to it gives the model's logits.
  auto& m = model->module();
  const torch::Tensor logits = activations->mm(m.attr("out_w").toTensor().t()) + m.attr("out_b").toTensor();
  EXPECT_TRUE(torch::allclose(logits, model->Logits(x).detach(), 1e-5, 1e-5));
  const torch::Tensor first = torch::relu(x.mm(m.attr("fc1_w").toTensor().t()) + m.attr("fc1_b").toTensor());
  const torch::Tensor second = torch::relu(first.mm(m.attr("fc2_w").toTensor().t()) + m.attr("fc2_b").toTensor());
  EXPECT_TRUE(torch::allclose(*activations, second, 1e-5, 1e-5));
}

TEST(PoisoningActivations, PenultimateOfTheCnnAndANamedLayer) {
  const DataSplit split = DigitsImages();
  auto model = BuildModel({"cnn", 64}, {1, 8, 8}, 10, 3);
  ASSERT_TRUE(model.ok());
  const torch::Tensor x = FeaturesTensor(split.test);
  auto activations = Activations(*model, x, "");
  ASSERT_TRUE(activations.ok()) << activations.error().message;
  ASSERT_EQ(activations->sizes(), (std::vector<int64_t>{x.size(0), 64}));
  auto& m = model->module();
  const torch::Tensor logits = activations->mm(m.attr("out_w").toTensor().t()) + m.attr("out_b").toTensor();
  EXPECT_TRUE(torch::allclose(logits, model->Logits(x).detach(), 1e-4, 1e-5));
  // A layer by its weight's name: conv1's output, before its ReLU, flattened.
  auto conv = Activations(*model, x, "conv1");
  ASSERT_TRUE(conv.ok()) << conv.error().message;
  const torch::Tensor expected =
      torch::conv2d(x, m.attr("conv1_w").toTensor(), m.attr("conv1_b").toTensor(), 1, 1).reshape({x.size(0), -1});
  EXPECT_TRUE(torch::allclose(*conv, expected, 1e-5, 1e-5));
  auto missing = Activations(*model, x, "conv9");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("conv9"), std::string::npos);
}

TEST(PoisoningActivations, ANamedSubmoduleAndThePenultimateThroughSubmodules) {
  torch::manual_seed(5);
  torch::jit::Module body("Body");
  body.register_parameter("weight", torch::randn({16, 64}), false);
  body.register_parameter("bias", torch::randn({16}), false);
  body.define(R"(
def forward(self, x):
    return torch.relu(torch.linear(torch.flatten(x, 1), self.weight, self.bias))
)");
  torch::jit::Module head("Head");
  head.register_parameter("weight", torch::randn({10, 16}), false);
  head.register_parameter("bias", torch::randn({10}), false);
  head.define(R"(
def forward(self, x):
    return torch.linear(x, self.weight, self.bias)
)");
  torch::jit::Module outer("Outer");
  outer.register_module("body", body);
  outer.register_module("head", head);
  outer.define(R"(
def forward(self, x):
    return self.head.forward(self.body.forward(x))
)");
  LocalModel model(outer, ModelInfo{});
  const torch::Tensor x = torch::rand({300, 64});
  const torch::Tensor expected = torch::relu(x.mm(body.attr("weight").toTensor().t()) + body.attr("bias").toTensor());
  auto named = Activations(model, x, "body");
  ASSERT_TRUE(named.ok()) << named.error().message;
  EXPECT_TRUE(torch::allclose(*named, expected, 1e-5, 1e-5));
  auto penultimate = Activations(model, x, "");
  ASSERT_TRUE(penultimate.ok()) << penultimate.error().message;
  EXPECT_TRUE(torch::allclose(*penultimate, expected, 1e-5, 1e-5));
}

TEST(PoisoningMethods, RegistryListsEveryMethodWithReferences) {
  std::vector<std::string> names;
  for (const MethodDescriptor& method : Methods()) {
    names.push_back(method.name);
    EXPECT_NE(std::string(method.summary), "");
    EXPECT_NE(std::string(method.reference), "");
    EXPECT_NE(method.run, nullptr);
  }
  EXPECT_NE(std::find(names.begin(), names.end(), "spectral"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "clustering"), names.end());
  for (const char* name : {"labels", "strip", "cleanse"})
    EXPECT_NE(std::find(names.begin(), names.end(), name), names.end());
}

TEST(PoisoningMethods, RefusesUnknownAndMissingModel) {
  const DataSplit split = DigitsImages();
  AuditInput input;
  input.data = &split.train;
  auto unknown = RunAudit(input, {"spectral", "nonsense"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("nonsense"), std::string::npos);
  auto no_model = RunAudit(input, {"spectral"});
  ASSERT_FALSE(no_model.ok());
  EXPECT_NE(no_model.error().message.find("model"), std::string::npos);
  Dataset empty = split.train.Head(0);
  input.data = &empty;
  EXPECT_FALSE(RunAudit(input, {"spectral"}).ok());
}

TEST(PoisoningMethods, CombinedRankNormalisesPerClassAndPutsFlagsFirst) {
  Dataset data;
  data.classes = 2;
  data.sample_shape = {1};
  data.labels = {0, 0, 0, 1, 1, 1};
  data.features.assign(6, 0.5f);
  MethodResult a{"a", {1, 2, 3, 100, 200, 300}, {false, false, false, false, false, false}, false, {}, {}};
  MethodResult b{"b", {3, 2, 1, 1, 2, std::nan("")}, {true, false, false, false, false, false}, false, {}, {}};
  const auto combined = CombineScores({a, b}, data);
  // Class 0 has one flagged sample of three (weight 1/3), class 1 none (weight 1e-3).
  // Sample 0: flagged by b (1) + weight x mean of its ranks (1/3 in a, 3/3 in b).
  EXPECT_DOUBLE_EQ(combined[0], 1 + (1.0 / 3) * (1.0 / 3 + 1.0) / 2);
  EXPECT_DOUBLE_EQ(combined[2], (1.0 / 3) * (1.0 + 1.0 / 3) / 2);
  // Class scales do not matter: sample 5 holds the top rank of `a` in its class; b did not score it.
  EXPECT_DOUBLE_EQ(combined[5], 1e-3 * 1.0);
  EXPECT_LT(combined[3], combined[4]);
  const auto ranking = RankByScore(combined);
  ASSERT_EQ(ranking.size(), 6u);
  EXPECT_EQ(ranking[0], 0u);  // flagged first
  EXPECT_EQ((std::vector<size_t>(ranking.begin() + 3, ranking.end())), (std::vector<size_t>{5, 4, 3}));
}

// Spectral scores equal numpy's: per class, centre, SVD, squared projection on the top right singular vector.
TEST(PoisoningMethods, SpectralScoresMatchNumpy) {
  const DataSplit split = DigitsImages();
  const Poisoned poisoned = testing::PoisonWithTrigger(split.train, Trigger::kPatch, 0.05, 0, 11);
  LocalModel model = Train(poisoned.data, "mlp");
  AuditInput input;
  input.model = &model;
  input.data = &poisoned.data;
  auto result = Methods()[0].run(input);
  ASSERT_TRUE(result.ok()) << result.error().message;
  auto activations = Activations(model, FeaturesTensor(poisoned.data), "");
  ASSERT_TRUE(activations.ok());
  const std::string dir = ::testing::TempDir() + "/spectral-reference";
  std::filesystem::create_directories(dir);
  const torch::Tensor a = activations->contiguous();
  ASSERT_TRUE(WriteFileAtomic(dir + "/a.npy", NpyBytes("<f4", {a.size(0), a.size(1)}, a.data_ptr<float>(),
                                                       static_cast<size_t>(a.numel()) * sizeof(float)))
                  .ok());
  ASSERT_TRUE(WriteFileAtomic(dir + "/y.npy",
                              NpyBytes("<i8", {static_cast<int64_t>(poisoned.data.size())}, poisoned.data.labels.data(),
                                       poisoned.data.labels.size() * sizeof(int64_t)))
                  .ok());
  const std::string script =
      "import numpy as np\n"
      "a = np.load('" +
      dir + "/a.npy').astype(np.float64); y = np.load('" + dir +
      "/y.npy')\n"
      "s = np.zeros(len(y))\n"
      "for c in np.unique(y):\n"
      "    r = a[y == c] - a[y == c].mean(0)\n"
      "    v = np.linalg.svd(r, full_matrices=False)[2][0]\n"
      "    s[y == c] = (r @ v) ** 2\n"
      "np.save('" +
      dir +
      "/s.npy', s)\n"
      "print('ok')\n";
  std::ofstream(dir + "/reference.py") << script;
  ASSERT_EQ(RunCommand("/usr/bin/python3 " + dir + "/reference.py"), "ok\n");
  auto reference = ReadFile(dir + "/s.npy");
  ASSERT_TRUE(reference.ok());
  // np.save of a float64 vector: the 128-byte header numpy writes for small shapes, then the values.
  const size_t header = reference->size() - poisoned.data.size() * sizeof(double);
  ASSERT_GE(header, 64u);
  const auto* numpy_scores = reinterpret_cast<const double*>(reference->data() + header);
  double worst = 0;
  for (size_t i = 0; i < poisoned.data.size(); ++i) {
    const double scale = std::max(1e-3, std::abs(numpy_scores[i]));
    worst = std::max(worst, std::abs(result->scores[i] - numpy_scores[i]) / scale);
  }
  // float32 activations, float64 solvers on both sides; Gram-matrix eigenvectors vs SVD.
  EXPECT_LT(worst, 1e-4);
  std::cout << "spectral vs numpy: worst relative difference " << worst << "\n";
}

struct Evidence {
  double found = 0;                 // share of the poison among the top 1.5 x poison count
  double attack_success = 0;        // backdoored model, triggered held-out inputs
  double attack_success_after = 0;  // retrained on the cleaned set
  double accuracy_clean_model = 0;
  double accuracy_after = 0;
  size_t removed = 0;  // flagged by some method: the default cleaned set leaves them out
};

// `trusted_clean`: the held-out split is given as the defender's clean set (STRIP calibrates on it); it
// never enters training, and `found` is measured on the training set.
Evidence Measure(Trigger trigger, double rate, const std::string& architecture, const std::vector<std::string>& methods,
                 bool trusted_clean = false) {
  Evidence out;
  const DataSplit split = DigitsImages();
  const Poisoned poisoned = testing::PoisonWithTrigger(split.train, trigger, rate, 0, 11);
  LocalModel model = Train(poisoned.data, architecture);
  out.attack_success = AttackSuccess(model, split.test, trigger);
  AuditInput input;
  input.model = &model;
  input.data = &poisoned.data;
  if (trusted_clean) input.clean = &split.test;
  auto report = RunAudit(input, methods);
  EXPECT_TRUE(report.ok()) << report.error().message;
  if (!report.ok()) return out;
  const size_t budget = static_cast<size_t>(std::ceil(1.5 * static_cast<double>(poisoned.poisoned.size())));
  size_t hits = 0;
  for (size_t r = 0; r < budget && r < report->ranking.size(); ++r) {
    hits += std::binary_search(poisoned.poisoned.begin(), poisoned.poisoned.end(), report->ranking[r]) ? 1 : 0;
  }
  out.found = static_cast<double>(hits) / static_cast<double>(poisoned.poisoned.size());
  // The cleaned set is what `data audit --write-clean` writes by default: without every flagged sample.
  // (Removing the whole 1.5x budget instead also takes about as many clean samples of the target class as
  // there is poison beyond the flagged ones, which costs class 0 accuracy: 1.5 points at 10 %.)
  std::vector<size_t> keep;
  for (size_t i = 0; i < poisoned.data.size(); ++i) {
    const bool flagged = std::any_of(report->results.begin(), report->results.end(),
                                     [&](const MethodResult& r) { return r.flagged[i]; });
    if (!flagged) keep.push_back(i);
  }
  out.removed = poisoned.data.size() - keep.size();
  LocalModel retrained = Train(poisoned.data.Subset(keep), architecture);
  out.attack_success_after = AttackSuccess(retrained, split.test, trigger);
  out.accuracy_after = Accuracy(retrained, split.test);
  LocalModel clean = CleanModel(split, architecture);
  out.accuracy_clean_model = Accuracy(clean, split.test);
  std::cout << (trigger == Trigger::kPatch ? "patch" : "blend") << " " << rate * 100 << "% " << architecture
            << ": found " << out.found << ", " << out.removed << " flagged of " << poisoned.data.size()
            << ", attack success " << out.attack_success << " -> " << out.attack_success_after << ", accuracy "
            << out.accuracy_clean_model << " (clean model) vs " << out.accuracy_after << " (retrained on cleaned)\n";
  return out;
}

// The clean twin: a model trained on clean digits, audited on them, flags nothing (so `data audit` exits 0).
TEST(PoisoningEvidence, CleanDigitsAreNotFlagged) {
  const DataSplit split = DigitsImages();
  for (const char* architecture : {"cnn", "mlp"}) {
    LocalModel model = CleanModel(split, architecture);
    AuditInput input;
    input.model = &model;
    input.data = &split.train;
    auto report = RunAudit(input, {"spectral", "clustering"});
    ASSERT_TRUE(report.ok()) << report.error().message;
    EXPECT_EQ(report->flagged_samples, 0u) << architecture << ": " << report->results[0].details.dump() << "\n"
                                           << report->results[1].details.dump();
  }
}

// The issue's goals for one poisoned training set: the backdoor works (attack success > 90 %), the top
// 1.5 x poison count of the combined rank holds at least `found` of the poison, and retraining without the
// flagged samples takes the attack success below 5 % at no more than a point of held-out accuracy.
void ExpectIssueGoals(const Evidence& e, double found) {
  EXPECT_GT(e.attack_success, 0.9);
  EXPECT_GE(e.found, found);
  EXPECT_LT(e.attack_success_after, 0.05);
  EXPECT_GE(e.accuracy_after, e.accuracy_clean_model - 0.01);
}

TEST(PoisoningEvidence, BadNetsPatchFivePercent) {
  const Evidence e = Measure(Trigger::kPatch, 0.05, "cnn", {"spectral", "clustering"});
  ExpectIssueGoals(e, 0.95);
}

// With the default methods alone (spectral, clustering) the 10 % case finds all the poison too, but the
// retrained model lost 1.3 points (0.9778 vs 0.9907 on 540 held-out digits: 7 samples). Adding STRIP with a
// trusted clean set flags the poison on a second, independent signal, and the retrained model then stays
// within the issue's 1 point (measured 0.9852 vs 0.9907).
TEST(PoisoningEvidence, BadNetsPatchTenPercent) {
  const Evidence e = Measure(Trigger::kPatch, 0.10, "cnn", {"spectral", "clustering", "strip"}, true);
  ExpectIssueGoals(e, 0.95);
}

// A blended trigger (alpha 0.1) does not separate the poisoned zeros in the activations of a digits model:
// clustering finds no real split (silhouette 0.20) and the top direction of class 0 carries no more variance
// than other classes' (no spectral signature), so nothing is flagged and the combined rank finds the poison
// barely above chance (measured 23 %; removing 188 of 1257 at random finds 15 %). The backdoor itself works
// (attack success 0.99), which this test pins down; STRIP is the method for it (the two tests below).
TEST(PoisoningEvidence, BlendedTriggerTenPercentIsNotFoundByActivationMethods) {
  const Evidence e = Measure(Trigger::kBlend, 0.10, "mlp", {"spectral", "clustering"});
  EXPECT_GT(e.attack_success, 0.9);
  EXPECT_LT(e.found, 0.9) << "the activation methods now find the blended trigger: make this an evidence test";
}

// STRIP with the held-out split as the trusted clean set: measured 100 % found at 10 % (138 flagged, attack
// success 0.985 -> 0.002, accuracy 0.9759 vs 0.9778) and 93.5 % at 5 % (attack success 0.965 -> 0.035).
TEST(PoisoningEvidence, BlendedTriggerTenPercentWithStrip) {
  const Evidence e = Measure(Trigger::kBlend, 0.10, "mlp", {"spectral", "clustering", "strip"}, true);
  ExpectIssueGoals(e, 0.9);
}

TEST(PoisoningEvidence, BlendedTriggerFivePercentWithStrip) {
  const Evidence e = Measure(Trigger::kBlend, 0.05, "mlp", {"spectral", "clustering", "strip"}, true);
  ExpectIssueGoals(e, 0.9);
}

}  // namespace
}  // namespace modelguard::assess::poisoning

namespace modelguard::assess::poisoning {
namespace {

// A report built by hand: what the writers make of it, independent of any model.
AuditReport HandReport(const Dataset& data) {
  AuditReport report;
  report.dataset = "npy:<script>alert(1)</script>.npy";
  MethodResult result;
  result.method = "spectral";
  for (size_t i = 0; i < data.size(); ++i) {
    result.scores.push_back(static_cast<double>(i % 7));
    result.flagged.push_back(i % 7 == 6);
  }
  result.pictures.push_back({"a <b> trigger", 1, 2, 2, {0, 1, 0.5f, 0.25f}});
  report.results.push_back(result);
  report.combined = CombineScores(report.results, data);
  report.ranking = RankByScore(report.combined);
  report.flagged_samples = static_cast<size_t>(std::count(result.flagged.begin(), result.flagged.end(), true));
  return report;
}

TEST(PoisoningReport, CleanCopyRoundTripsAndListsWhatWasRemoved) {
  auto split = LoadDataset("digits", 0.5, 1);
  ASSERT_TRUE(split.ok());
  Dataset data = split->train.Head(100);
  data.sample_shape = {1, 8, 8};
  const AuditReport report = HandReport(data);
  const std::string dir = ::testing::TempDir() + "/audit-clean-copy";
  ASSERT_TRUE(WriteCleanDataset(report, data, 20, dir).ok());
  auto x = ReadFile(dir + "/features.npy");
  auto y = ReadFile(dir + "/labels.npy");
  ASSERT_TRUE(x.ok() && y.ok());
  auto clean = ParseNpy(*x, *y);
  ASSERT_TRUE(clean.ok()) << clean.error().message;
  EXPECT_EQ(clean->size(), 80u);
  EXPECT_EQ(clean->sample_shape, (std::vector<int64_t>{1, 8, 8}));
  auto manifest = ReadFile(dir + "/removed.json");
  ASSERT_TRUE(manifest.ok());
  const auto removed = nlohmann::json::parse(*manifest);
  EXPECT_EQ(removed["schema"], kAuditSchema);
  ASSERT_EQ(removed["removed"].size(), 20u);
  std::vector<size_t> kept;
  std::vector<bool> gone(data.size(), false);
  for (size_t r = 0; r < 20; ++r) {
    const auto& entry = removed["removed"][r];
    EXPECT_EQ(entry["rank"], r + 1);
    EXPECT_EQ(entry["index"], report.ranking[r]);
    EXPECT_EQ(entry["class"], data.labels[report.ranking[r]]);
    gone[entry["index"].get<size_t>()] = true;
  }
  for (size_t i = 0; i < data.size(); ++i)
    if (!gone[i]) kept.push_back(i);
  const Dataset expected = data.Subset(kept);
  EXPECT_EQ(clean->labels, expected.labels);
  EXPECT_EQ(clean->features, expected.features);
}

TEST(PoisoningReport, HtmlEscapesNamesAndDrawsHistogramsAndPictures) {
  auto split = LoadDataset("digits", 0.5, 1);
  ASSERT_TRUE(split.ok());
  const Dataset data = split->train.Head(60);
  const AuditReport report = HandReport(data);
  const std::string dir = ::testing::TempDir() + "/audit-report";
  ASSERT_TRUE(WriteAuditReport(report, data, dir).ok());
  auto html = ReadFile(dir + "/report.html");
  ASSERT_TRUE(html.ok());
  EXPECT_EQ(html->find("<script"), std::string::npos);
  EXPECT_NE(html->find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html->find("a &lt;b&gt; trigger"), std::string::npos);
  EXPECT_NE(html->find("class 0 ("), std::string::npos);         // a histogram per class
  EXPECT_NE(html->find("fill=\"#d62728\""), std::string::npos);  // flagged samples stacked in red
  EXPECT_NE(html->find("Most suspicious samples"), std::string::npos);
  auto json = ReadFile(dir + "/report.json");
  ASSERT_TRUE(json.ok());
  const auto doc = nlohmann::json::parse(*json);
  EXPECT_EQ(doc["schema"], kAuditSchema);
  EXPECT_EQ(doc["flagged_samples"], report.flagged_samples);
  EXPECT_EQ(doc["ranked"][0]["flagged_by"], nlohmann::json::array({"spectral"}));
  // An output directory that is a file is an error, not a crash.
  EXPECT_FALSE(WriteAuditReport(report, data, dir + "/report.json").ok());
}

}  // namespace
}  // namespace modelguard::assess::poisoning
