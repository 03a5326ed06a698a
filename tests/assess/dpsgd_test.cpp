// DP-SGD: the layer-wise per-sample gradients equal one backward pass per sample; the noise has the stated
// spread; a private digits model still learns; bad options are refused.
#include "modelguard/assess/dpsgd.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>

#include <cmath>
#include <iostream>

#include "assess/assess_support.h"
#include "modelguard/assess/attacks.h"

namespace modelguard::assess {
namespace {

DataSplit Digits(bool images) {
  auto split = LoadDataset("digits", 0.7, 1);
  EXPECT_TRUE(split.ok());
  if (images) split->train.sample_shape = split->test.sample_shape = {1, 8, 8};
  return *split;
}

LocalModel Fresh(const std::string& architecture, const std::vector<int64_t>& shape, uint64_t seed = 3) {
  auto model = BuildModel({architecture, 32}, shape, 10, seed);
  EXPECT_TRUE(model.ok());
  return std::move(*model);
}

void ExpectSameSums(const ClippedGradientSum& a, const ClippedGradientSum& b) {
  ASSERT_EQ(a.sum.size(), b.sum.size());
  EXPECT_TRUE(torch::allclose(a.norms, b.norms, 1e-4, 1e-6)) << a.norms.slice(0, 0, 5) << b.norms.slice(0, 0, 5);
  for (size_t p = 0; p < a.sum.size(); ++p) {
    ASSERT_EQ(a.sum[p].sizes(), b.sum[p].sizes()) << "parameter " << p;
    const double scale = b.sum[p].abs().max().item<double>();
    EXPECT_LT((a.sum[p] - b.sum[p]).abs().max().item<double>(), 1e-4 * std::max(scale, 1e-3)) << "parameter " << p;
  }
}

TEST(DpSgdPerSample, LayerWiseEqualsOneBackwardPerSample) {
  for (const bool images : {false, true}) {
    const DataSplit split = Digits(images);
    LocalModel model = Fresh(images ? "cnn" : "mlp", split.train.sample_shape);
    const torch::Tensor x = FeaturesTensor(split.train).slice(0, 0, 40);
    const torch::Tensor y = LabelsTensor(split.train).slice(0, 0, 40);
    // A clipping norm below most samples' norms, so the clip factors matter.
    auto fast = ClippedGradients(model, x, y, 0.5, PerSampleMethod::kLayerWise);
    auto slow = ClippedGradients(model, x, y, 0.5, PerSampleMethod::kLoop);
    ASSERT_TRUE(fast.ok()) << fast.error().message;
    ASSERT_TRUE(slow.ok()) << slow.error().message;
    EXPECT_EQ(fast->method, "layer-wise");
    EXPECT_EQ(slow->method, "loop");
    EXPECT_GT((fast->norms > 0.5).sum().item<int64_t>(), 20) << "clipping should be active";
    ExpectSameSums(*fast, *slow);
    // Unclipped, the sum is the batch gradient of the summed loss.
    auto unclipped = ClippedGradients(model, x, y, 1e9, PerSampleMethod::kAuto);
    ASSERT_TRUE(unclipped.ok());
    auto parameters = model.Parameters();
    for (auto& p : parameters) p.set_requires_grad(true);
    const torch::Tensor loss = torch::nn::functional::cross_entropy(
        model.Logits(x), y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    const auto grads = torch::autograd::grad({loss}, parameters);
    for (auto& p : parameters) p.set_requires_grad(false);
    for (size_t p = 0; p < grads.size(); ++p)
      EXPECT_TRUE(torch::allclose(unclipped->sum[p], grads[p], 1e-4, 1e-5)) << "parameter " << p;
    // A batch of one sample (Poisson batches can be that small): one group in the per-sample convolution.
    auto single = ClippedGradients(model, x.slice(0, 3, 4), y.slice(0, 3, 4), 0.5, PerSampleMethod::kLayerWise);
    auto single_loop = ClippedGradients(model, x.slice(0, 3, 4), y.slice(0, 3, 4), 0.5, PerSampleMethod::kLoop);
    ASSERT_TRUE(single.ok() && single_loop.ok());
    ExpectSameSums(*single, *single_loop);
    // Both methods report the batch's summed loss.
    EXPECT_NEAR(fast->loss, slow->loss, 1e-4 * slow->loss);
    EXPECT_NEAR(fast->loss, loss.item<double>(), 1e-4 * slow->loss);
    EXPECT_GT(fast->loss, 0);
  }
}

TEST(DpSgdPerSample, ForeignModelsUseTheLoop) {
  const DataSplit split = Digits(false);
  LocalModel model = Fresh("mlp", split.train.sample_shape);
  model.info().architecture = "imported";  // not one of modelguard's: the program is unknown
  const torch::Tensor x = FeaturesTensor(split.train).slice(0, 0, 8);
  const torch::Tensor y = LabelsTensor(split.train).slice(0, 0, 8);
  auto automatic = ClippedGradients(model, x, y, 1.0, PerSampleMethod::kAuto);
  ASSERT_TRUE(automatic.ok());
  EXPECT_EQ(automatic->method, "loop");
  auto forced = ClippedGradients(model, x, y, 1.0, PerSampleMethod::kLayerWise);
  ASSERT_FALSE(forced.ok());
  EXPECT_NE(forced.error().message.find("built by modelguard"), std::string::npos);
}

// With q = 1 the batch is every sample, so one step's update reveals the noise: update = -lr (sum + noise) / n.
TEST(DpSgdNoise, HasTheStatedSpread) {
  const DataSplit split = Digits(false);
  LocalModel model = Fresh("mlp", split.train.sample_shape);
  const torch::Tensor x = FeaturesTensor(split.train), y = LabelsTensor(split.train);
  auto clipped = ClippedGradients(model, x, y, 1.0, PerSampleMethod::kAuto);
  ASSERT_TRUE(clipped.ok());
  std::vector<torch::Tensor> before;
  for (const auto& p : model.Parameters()) before.push_back(p.clone());
  DpSgdOptions options;
  options.sample_rate = 1.0;
  options.noise_multiplier = 2.0;
  options.max_grad_norm = 1.0;
  options.steps = 1;
  options.learning_rate = 0.1;
  options.momentum = 0;
  auto summary = TrainDpSgd(model, x, y, options);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->steps, 1);
  EXPECT_DOUBLE_EQ(summary->mean_batch, static_cast<double>(x.size(0)));
  std::vector<torch::Tensor> noise;
  const auto after = model.Parameters();
  const double n = static_cast<double>(x.size(0));
  for (size_t p = 0; p < after.size(); ++p)
    noise.push_back(
        ((before[p] - after[p]) * n / options.learning_rate - clipped->sum[p]).flatten().to(torch::kFloat64));
  const torch::Tensor all = torch::cat(noise);
  const double count = static_cast<double>(all.numel());
  ASSERT_GT(count, 3000);
  const double mean = all.mean().item<double>(), std = all.std().item<double>();
  // sigma * C = 2; the mean within 5 standard errors, the spread within 5 %.
  EXPECT_LT(std::abs(mean), 5 * 2.0 / std::sqrt(count)) << mean;
  EXPECT_NEAR(std, 2.0, 0.1);
}

TEST(DpSgdTraining, PrivateDigitsModelLearns) {
  const DataSplit split = Digits(false);
  LocalModel model = Fresh("mlp", split.train.sample_shape);
  DpSgdOptions options;
  options.sample_rate = 64.0 / static_cast<double>(split.train.size());
  options.noise_multiplier = 1.0;
  options.max_grad_norm = 1.0;
  options.steps = 600;
  int64_t reports = 0;
  options.progress_every = 100;
  options.progress = [&](int64_t, double loss) {
    ++reports;
    EXPECT_TRUE(std::isfinite(loss));
  };
  auto summary = TrainDpSgd(model, FeaturesTensor(split.train), LabelsTensor(split.train), options);
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary->steps, 600);
  EXPECT_EQ(reports, 6);
  EXPECT_EQ(summary->per_sample, "layer-wise");
  EXPECT_NEAR(summary->mean_batch, 64, 6);
  const double accuracy = model.Accuracy(FeaturesTensor(split.test), LabelsTensor(split.test));
  std::cout << "DP-SGD digits mlp, sigma 1, 600 steps of q = " << options.sample_rate << ": accuracy " << accuracy
            << "\n";
  EXPECT_GT(accuracy, 0.8);
  for (const auto& p : model.Parameters()) EXPECT_FALSE(p.requires_grad());
}

TEST(DpSgdTraining, StopsWhenTheAccountantSaysSo) {
  const DataSplit split = Digits(false);
  LocalModel model = Fresh("mlp", split.train.sample_shape);
  DpSgdOptions options;
  options.steps = 50;
  options.may_step = [](int64_t taken) { return taken < 7; };
  auto summary = TrainDpSgd(model, FeaturesTensor(split.train), LabelsTensor(split.train), options);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->steps, 7);
}

TEST(DpSgdTraining, BadOptionsAreRefused) {
  const DataSplit split = Digits(false);
  LocalModel model = Fresh("mlp", split.train.sample_shape);
  const torch::Tensor x = FeaturesTensor(split.train), y = LabelsTensor(split.train);
  const auto refused = [&](auto change) {
    DpSgdOptions options;
    change(options);
    return !TrainDpSgd(model, x, y, options).ok();
  };
  EXPECT_TRUE(refused([](DpSgdOptions& o) { o.sample_rate = 0; }));
  EXPECT_TRUE(refused([](DpSgdOptions& o) { o.sample_rate = 1.5; }));
  EXPECT_TRUE(refused([](DpSgdOptions& o) { o.noise_multiplier = -1; }));
  EXPECT_TRUE(refused([](DpSgdOptions& o) { o.noise_multiplier = std::nan(""); }));
  EXPECT_TRUE(refused([](DpSgdOptions& o) { o.max_grad_norm = 0; }));
  EXPECT_TRUE(refused([](DpSgdOptions& o) { o.steps = 0; }));
  EXPECT_TRUE(refused([](DpSgdOptions& o) { o.momentum = 1; }));
  EXPECT_FALSE(TrainDpSgd(model, x.slice(0, 0, 5), y.slice(0, 0, 4), DpSgdOptions{}).ok());
  EXPECT_FALSE(TrainDpSgd(model, x.slice(0, 0, 0), y.slice(0, 0, 0), DpSgdOptions{}).ok());
}

TEST(DpSgdPrivateTraining, ReachesTheTargetAndRecordsTheGuarantee) {
  const std::string path = ::testing::TempDir() + "/dp-digits.pt";
  PrivateTrainingRequest request;
  request.data_spec = "digits";
  request.target_epsilon = 2;
  request.delta = 1e-5;
  request.epochs = 4;
  request.output_path = path;
  std::vector<double> epsilons;
  request.progress = [&](const PrivateTrainingRequest::Epoch& epoch) { epsilons.push_back(epoch.epsilon); };
  auto result = TrainPrivately(request);
  ASSERT_TRUE(result.ok()) << result.error().message;
  ASSERT_EQ(epsilons.size(), 4u);
  for (size_t i = 1; i < epsilons.size(); ++i) EXPECT_GT(epsilons[i], epsilons[i - 1]);
  EXPECT_LE(result->epsilon, 2 * (1 + 1e-6));
  EXPECT_GT(result->epsilon, 1.99) << "sigma is chosen to spend the budget";
  EXPECT_FALSE(result->stopped_at_budget);
  auto loaded = LocalModel::Load(path);
  ASSERT_TRUE(loaded.ok());
  const nlohmann::json& privacy = loaded->info().training["privacy"];
  EXPECT_DOUBLE_EQ(privacy["epsilon"].get<double>(), result->epsilon);
  EXPECT_DOUBLE_EQ(privacy["delta"].get<double>(), 1e-5);
  EXPECT_EQ(privacy["accountant"], "rdp");
  EXPECT_EQ(privacy["steps"].get<int64_t>(), result->steps);
  // The PRV accountant's bounds are tighter than RDP's figure, never above it.
  EXPECT_LE(privacy["prv"]["upper"].get<double>(), result->epsilon);
  EXPECT_LE(privacy["prv"]["lower"].get<double>(), privacy["prv"]["epsilon"].get<double>());

  // A given sigma that cannot last every epoch stops before the budget is passed.
  request.noise_multiplier = 1.2;
  request.epochs = 50;
  auto stopped = TrainPrivately(request);
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_TRUE(stopped->stopped_at_budget);
  EXPECT_LE(stopped->epsilon, 2 * (1 + 1e-6));
  EXPECT_GT(stopped->steps, 0);
  EXPECT_LT(stopped->steps, 50 * 15);
  // Noise so low that the first step alone passes the budget: an error, not a model trained zero steps.
  request.noise_multiplier = 0.5;
  auto refused = TrainPrivately(request);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("already exceeds epsilon"), std::string::npos);
}

// The defence measured by the attack: the same 359 digits members as the deliberately overfit model of the
// membership tests, trained with DP-SGD at epsilon 3, leak far less to the same attacks.
TEST(DpSgdMembership, PrivateModelLeaksLessThanTheOverfitOne) {
  const auto overfit = testing::Trained("digits-overfit");
  PrivateTrainingRequest request;
  request.data_spec = "digits";
  request.train_fraction = 0.2;  // the overfit recipe's split, so members and non-members are the same
  request.target_epsilon = 3;
  request.epochs = 30;
  request.batch_size = 64;
  request.architecture.hidden = 256;
  // A small clipping norm with a larger step suits so few samples (measured 0.77 held-out accuracy against
  // 0.52 with C = 1, lr = 0.1).
  request.max_grad_norm = 0.1;
  request.learning_rate = 0.3;
  request.output_path = ::testing::TempDir() + "/dp-members.pt";
  auto trained = TrainPrivately(request);
  ASSERT_TRUE(trained.ok()) << trained.error().message;
  std::map<std::string, double> advantage, auc;
  for (const std::string& path : {overfit.path, request.output_path}) {
    auto model = LocalModel::Load(path);
    ASSERT_TRUE(model.ok());
    LocalTarget api(*model, defenses::OutputPolicy{});
    std::vector<size_t> evaluation, attacker;
    const Dataset& test = overfit.data.test;
    for (size_t i = 0; i < test.size(); ++i) (i < test.size() / 2 ? evaluation : attacker).push_back(i);
    MembershipPlan plan;
    plan.samples = 300;
    plan.shadow_models = 4;
    plan.shadow_training.epochs = 150;
    plan.shadow_architecture.hidden = 256;
    auto result = RunMembership(api, overfit.data.train, test.Subset(evaluation), test.Subset(attacker), plan, nullptr);
    ASSERT_TRUE(result.ok()) << result.error().message;
    for (const auto& attack : result->attacks) {
      advantage[path] = std::max(advantage[path], attack.advantage);
      auc[path] = std::max(auc[path], attack.auc);
    }
    std::printf("[ metric ] %s: best advantage %.3f, best AUC %.3f, train %.3f, test %.3f\n",
                path == overfit.path ? "overfit" : "DP-SGD epsilon 3", advantage[path], auc[path],
                result->train_accuracy, result->test_accuracy);
  }
  // 300 members against 300 non-members: a useless score reaches an advantage of about 0.08 by chance (the
  // largest gap of two empirical distributions, and the best of several attacks), so 0.05 cannot be told
  // apart from chance at this size. DP-SGD's noise comes from the CSPRNG and cannot be seeded: over runs the
  // private model measured 0.04-0.08 (and once above 0.12, which failed the earlier bound of 0.12), the
  // overfit model 0.23. The bounds leave room for that spread and still require a clear gap.
  EXPECT_LE(advantage[request.output_path], 0.15);
  EXPECT_GE(advantage[overfit.path] - advantage[request.output_path], 0.08);
  // DP-SGD on 359 samples costs accuracy (measured 0.73-0.77 against the overfit model's 0.96 on held-out
  // digits); the model still learned (chance: 0.1).
  EXPECT_GT(trained->accuracy, 0.6);
}

}  // namespace
}  // namespace modelguard::assess
