// The labels audit method (confident learning) on digits with flipped labels, against an independent
// numpy/scikit-learn computation.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "assess/audit_methods_support.h"
#include "assess/backdoor_fixtures.h"
#include "src/assess/poisoning/labels/labels.h"

namespace modelguard::assess::testing {
namespace {

using poisoning::AuditInput;
using poisoning::LabelsMethod;
using poisoning::MethodResult;

MethodResult Audit(const Dataset& data, uint64_t seed = 1, const std::string& probabilities = "") {
  AuditInput input;
  input.data = &data;
  input.seed = seed;
  input.probabilities_path = probabilities;
  auto result = LabelsMethod().run(input);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  if (!result.ok()) return {};
  EXPECT_EQ(result->scores.size(), data.size());
  EXPECT_EQ(result->flagged.size(), data.size());
  return std::move(*result);
}

template <typename T>
void WriteRaw(const std::string& path, const std::vector<T>& values) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(T)));
}

// scikit-learn's LogisticRegression on the same folds, and confident learning written again in numpy.
// 1. Given the reference's own probabilities (--probabilities), the C++ confident learning must flag exactly
//    the samples the numpy one flags: same inputs, same rule, no tolerance.
// 2. With its own cross-validated MLP (`own`) the C++ method must agree with the reference on most flags: the two
//    learners differ (a linear model against a two-layer MLP trained with Adam), so each one has its own
//    borderline samples; the tolerance is a Jaccard overlap of at least 0.7 (measured: see the output).
void CompareWithReference(const Poisoned& flipped, const MethodResult& own) {
  const Dataset& data = flipped.data;
  const std::string dir = ::testing::TempDir();
  const std::string x_path = dir + "/cl_x.f32", y_path = dir + "/cl_y.i64", folds_path = dir + "/cl_folds.i64",
                    probabilities_path = dir + "/cl_probabilities.npy";
  WriteRaw(x_path, data.features);
  WriteRaw(y_path, data.labels);
  WriteRaw(folds_path, poisoning::StratifiedFolds(data.labels, data.classes, 5, 1));
  const std::string command =
      "/usr/bin/python3 " MODELGUARD_SOURCE_DIR "/tests/assess/reference_confident_learning.py " + x_path + " " +
      y_path + " " + folds_path + " " + std::to_string(data.size()) + " " + std::to_string(data.SampleSize()) + " " +
      std::to_string(data.classes) + " " + probabilities_path;
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[4096];
  while (pipe && std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  ASSERT_TRUE(pipe);
  ASSERT_EQ(pclose(pipe), 0) << output;
  const auto reference = nlohmann::json::parse(output, nullptr, false);
  ASSERT_TRUE(reference.is_object()) << output;
  std::vector<bool> expected(data.size(), false);
  for (const auto& index : reference["issues"]) expected[index.get<size_t>()] = true;

  const MethodResult same_probabilities = Audit(data, 1, probabilities_path);
  EXPECT_EQ(same_probabilities.details["probabilities"]["source"], "file");
  EXPECT_EQ(same_probabilities.flagged, expected);

  size_t both = 0, either = 0;
  for (size_t i = 0; i < data.size(); ++i) {
    both += own.flagged[i] && expected[i];
    either += own.flagged[i] || expected[i];
  }
  const double jaccard = either ? static_cast<double>(both) / static_cast<double>(either) : 1;
  const PrecisionRecall reference_measured = Measure(expected, flipped.poisoned);
  std::printf(
      "reference (logistic regression, accuracy %.3f): %zu flagged, precision %.3f recall %.3f; "
      "C++ MLP vs reference: %zu in both, %zu in either, Jaccard %.3f\n",
      reference["accuracy"].get<double>(), reference_measured.flagged, reference_measured.precision,
      reference_measured.recall, both, either, jaccard);
  EXPECT_GE(jaccard, 0.7);
}

TEST(PoisoningLabelsTest, UniformFlipsAreFoundAndAgreeWithAScikitLearnReference) {
  const auto start = std::chrono::steady_clock::now();
  const Poisoned flipped = FlipLabels(AllDigits(), 0.05, 3);
  const MethodResult result = Audit(flipped.data);
  const PrecisionRecall measured = Measure(result.flagged, flipped.poisoned);
  std::printf(
      "uniform flips: %zu flipped, %zu flagged, precision %.3f recall %.3f, out-of-sample accuracy %.3f, "
      "%.1f s\n",
      flipped.poisoned.size(), measured.flagged, measured.precision, measured.recall,
      result.details.value("out_of_sample_accuracy", 0.0), SecondsSince(start));
  EXPECT_GE(measured.precision, 0.8);
  EXPECT_GE(measured.recall, 0.8);
  EXPECT_EQ(result.details["probabilities"]["source"], "cross-validation");
  // Flipped samples are the least self-confident: the score ranks them first.
  double flipped_mean = 0, other_mean = 0;
  for (size_t i : flipped.poisoned) flipped_mean += result.scores[i];
  for (size_t i = 0; i < result.scores.size(); ++i) other_mean += result.scores[i];
  other_mean = (other_mean - flipped_mean) / static_cast<double>(result.scores.size() - flipped.poisoned.size());
  flipped_mean /= static_cast<double>(flipped.poisoned.size());
  EXPECT_GT(flipped_mean, 0.5);
  EXPECT_LT(other_mean, 0.2);
  // The reference runs on the same flips and folds (one training of the five fold models serves both).
  CompareWithReference(flipped, result);
}

TEST(PoisoningLabelsTest, FlipsBetweenConfusablePairsAreFoundWithPrecisionAndRecallAboveEightyPercent) {
  const auto start = std::chrono::steady_clock::now();
  const Poisoned flipped = FlipLabels(AllDigits(), 0.05, 4, {{3, 8}, {1, 7}, {4, 9}});
  const MethodResult result = Audit(flipped.data);
  const PrecisionRecall measured = Measure(result.flagged, flipped.poisoned);
  std::printf("pair flips: %zu flipped, %zu flagged, precision %.3f recall %.3f, %.1f s\n", flipped.poisoned.size(),
              measured.flagged, measured.precision, measured.recall, SecondsSince(start));
  EXPECT_GE(measured.precision, 0.8);
  EXPECT_GE(measured.recall, 0.8);
}

TEST(PoisoningLabelsTest, TheSameSeedGivesTheSameResult) {
  const Poisoned flipped = FlipLabels(AllDigits().Head(600), 0.05, 5);
  poisoning::LabelsOptions quick;  // fewer folds and epochs: only repeatability is measured here
  quick.folds = 3;
  quick.epochs = 5;
  AuditInput input;
  input.data = &flipped.data;
  input.seed = 9;
  auto first = poisoning::RunLabels(input, quick), second = poisoning::RunLabels(input, quick);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->scores, second->scores);
  EXPECT_EQ(first->flagged, second->flagged);
  input.seed = 10;
  auto other = poisoning::RunLabels(input, quick);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->scores, first->scores);  // the seed does reach the folds and the training
}

TEST(PoisoningLabelsTest, FoldModelsFollowTheAuditedModelsArchitecture) {
  const Dataset images = DigitImages().train.Head(100);
  auto cnn = BuildModel({"cnn", 32}, images.sample_shape, images.classes, 1);
  ASSERT_TRUE(cnn.ok());
  poisoning::LabelsOptions quick;
  quick.folds = 2;
  quick.epochs = 1;
  AuditInput input;
  input.model = &*cnn;
  input.data = &images;
  auto result = poisoning::RunLabels(input, quick);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->details["probabilities"]["architecture"], "cnn");
  EXPECT_EQ(result->details["probabilities"]["hidden"], 32);
  // The same model audited against flat samples: a cnn cannot take them, the folds fall back to an mlp.
  const Dataset flat = AllDigits().Head(100);
  input.data = &flat;
  result = poisoning::RunLabels(input, quick);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->details["probabilities"]["architecture"], "mlp");
  quick.folds = 60;
  EXPECT_FALSE(poisoning::RunLabels(input, quick).ok());
}

TEST(PoisoningLabelsTest, BadProbabilityFilesAreClearErrors) {
  const Dataset data = AllDigits().Head(50);
  const std::string dir = ::testing::TempDir();
  auto write_npy = [&](const std::string& name, const std::string& shape, const std::vector<double>& values) {
    std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': " + shape + ", }";
    header.append(64 - (10 + header.size() + 1) % 64, ' ');
    header += '\n';
    std::string bytes = "\x93NUMPY\x01";
    bytes += '\0';
    bytes += static_cast<char>(header.size() & 0xff);
    bytes += static_cast<char>(header.size() >> 8);
    bytes += header;
    bytes.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(double));
    std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
    return dir + "/" + name;
  };
  std::vector<double> uniform(500, 0.1), unnormalised(500, 0.5), negative(500, 0.1);
  negative[7] = -0.1;
  negative[8] = 0.3;
  auto error_of = [&](const std::string& path) {
    AuditInput input;
    input.data = &data;
    input.probabilities_path = path;
    auto result = LabelsMethod().run(input);
    return result.ok() ? std::string("ok") : result.error().message;
  };
  EXPECT_EQ(error_of(write_npy("good.npy", "(50, 10)", uniform)), "ok");
  EXPECT_NE(error_of(write_npy("shape.npy", "(10, 50)", uniform)).find("expected shape (50, 10)"), std::string::npos);
  EXPECT_NE(error_of(write_npy("sum.npy", "(50, 10)", unnormalised)).find("sums to 5"), std::string::npos);
  EXPECT_NE(error_of(write_npy("negative.npy", "(50, 10)", negative)).find("not a probability"), std::string::npos);
  EXPECT_NE(error_of(write_npy("short.npy", "(50, 10)", std::vector<double>(499, 0.1))).find("does not match"),
            std::string::npos);
  std::ofstream(dir + "/junk.npy") << "not numpy";
  EXPECT_NE(error_of(dir + "/junk.npy"), "ok");
  EXPECT_NE(error_of(dir + "/missing.npy"), "ok");
  // A label outside the classes is refused before any model is trained.
  Dataset bad = data;
  bad.labels[3] = 10;
  AuditInput input;
  input.data = &bad;
  auto result = LabelsMethod().run(input);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("outside 0..9"), std::string::npos) << result.error().message;
}

}  // namespace
}  // namespace modelguard::assess::testing
