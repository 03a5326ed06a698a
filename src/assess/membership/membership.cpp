// Membership inference: does the API's answer tell whether a sample was in the training set?
//   yeom    threshold on the returned confidence of the true class (Yeom et al. 2018)
//   shokri  shadow models trained on the attacker's own data teach an attack classifier what member
//           outputs look like (Shokri et al. 2017; one attack model over sorted scores)
//   lira    offline likelihood ratio with a fixed variance (Carlini et al. 2022): how far the target's
//           logit-scaled confidence lies above what models that never saw the sample give it
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

#include "modelguard/assess/attacks.h"
#include "src/assess/torch_error.h"

namespace modelguard::assess {
namespace {

using Clock = std::chrono::steady_clock;

// phi(p) = log(p / (1 - p)) of the true class: the scale on which LiRA's confidences are Gaussian.
torch::Tensor ScaledConfidence(const torch::Tensor& scores, const torch::Tensor& y) {
  const torch::Tensor p = scores.gather(1, y.unsqueeze(1)).squeeze(1).to(torch::kFloat64).clamp(1e-15, 1 - 1e-15);
  return (p / (1 - p)).log();
}

// The attack model's view of one answer: the three highest scores and the true class's log score.
torch::Tensor AttackFeatures(const torch::Tensor& scores, const torch::Tensor& y) {
  const torch::Tensor sorted = std::get<0>(scores.to(torch::kFloat64).sort(1, true));
  const int64_t k = std::min<int64_t>(3, scores.size(1));
  const torch::Tensor true_score = scores.to(torch::kFloat64).gather(1, y.unsqueeze(1)).clamp_min(1e-12);
  const torch::Tensor features = torch::cat(
      {sorted.slice(1, 0, k), true_score.log(), ScaledConfidence(scores, y).unsqueeze(1).clamp(-30, 30) / 10}, 1);
  return features.to(torch::kFloat32);
}

std::vector<double> ToVector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace

// A shadow model and the halves of the attacker's data it was (in) and was not (out) trained on.
struct Shadow {
  std::unique_ptr<LocalModel> model;
  std::vector<int64_t> in, out;  // indices into attacker
};

// What a membership attack is handed (attack_table.h): the target's answers on members and
// non-members, and the shadow models (trained once when any attack of the run needs them).
struct MembershipContext {
  const torch::Tensor& member_x;
  const torch::Tensor& member_y;
  const torch::Tensor& nonmember_x;
  const torch::Tensor& nonmember_y;
  const torch::Tensor& member_scores;
  const torch::Tensor& nonmember_scores;
  const Dataset& attacker;
  std::vector<Shadow>& shadows;
};

Result<MembershipScores> InferYeom(const MembershipContext& context) {
  // Higher confidence in the true class (lower loss) means member.
  auto log_confidence = [](const torch::Tensor& scores, const torch::Tensor& y) {
    return ToVector(scores.gather(1, y.unsqueeze(1)).clamp_min(1e-12).log().squeeze(1));
  };
  return MembershipScores{log_confidence(context.member_scores, context.member_y),
                          log_confidence(context.nonmember_scores, context.nonmember_y)};
}

Result<MembershipScores> InferShokri(const MembershipContext& context) {
  const torch::Tensor attacker_x = FeaturesTensor(context.attacker), attacker_y = LabelsTensor(context.attacker);
  std::vector<torch::Tensor> features, labels;
  for (auto& shadow : context.shadows) {
    for (const auto& [set, is_member] :
         {std::pair<const std::vector<int64_t>*, float>{&shadow.in, 1.0f}, {&shadow.out, 0.0f}}) {
      const torch::Tensor index = torch::tensor(*set, torch::kInt64);
      const torch::Tensor scores = shadow.model->Probabilities(attacker_x.index_select(0, index));
      features.push_back(AttackFeatures(scores, attacker_y.index_select(0, index)));
      labels.push_back(torch::full({index.size(0)}, is_member));
    }
  }
  // Logistic regression on the shadow answers (standardised features, full-batch Adam).
  const torch::Tensor fx = torch::cat(features), fy = torch::cat(labels);
  const torch::Tensor mean = fx.mean(0), stddev = fx.std(0).clamp_min(1e-6);
  const torch::Tensor nx = (fx - mean) / stddev;
  torch::Tensor weights = torch::zeros({fx.size(1)}, torch::requires_grad());
  torch::Tensor bias = torch::zeros({1}, torch::requires_grad());
  torch::optim::Adam optimizer({weights, bias}, 0.05);
  for (int step = 0; step < 300; ++step) {
    optimizer.zero_grad();
    const torch::Tensor loss = torch::binary_cross_entropy_with_logits(torch::matmul(nx, weights) + bias, fy);
    loss.backward();
    optimizer.step();
  }
  torch::NoGradGuard no_grad;
  auto score = [&](const torch::Tensor& scores, const torch::Tensor& y) {
    return ToVector(torch::matmul((AttackFeatures(scores, y) - mean) / stddev, weights) + bias);
  };
  return MembershipScores{score(context.member_scores, context.member_y),
                          score(context.nonmember_scores, context.nonmember_y)};
}

Result<MembershipScores> InferLira(const MembershipContext& context) {
  // No shadow saw the target's samples: each gives an "out" confidence; members stand above them.
  std::vector<torch::Tensor> member_phi, nonmember_phi;
  for (auto& shadow : context.shadows) {
    member_phi.push_back(ScaledConfidence(shadow.model->Probabilities(context.member_x), context.member_y));
    nonmember_phi.push_back(ScaledConfidence(shadow.model->Probabilities(context.nonmember_x), context.nonmember_y));
  }
  const torch::Tensor member_out = torch::stack(member_phi), nonmember_out = torch::stack(nonmember_phi);
  // Fixed variance: one standard deviation pooled over every sample's out-distribution.
  const double sigma = std::sqrt(torch::cat({member_out - member_out.mean(0), nonmember_out - nonmember_out.mean(0)})
                                     .pow(2)
                                     .mean()
                                     .item<double>()) +
                       1e-6;
  return MembershipScores{
      ToVector((ScaledConfidence(context.member_scores, context.member_y) - member_out.mean(0)) / sigma),
      ToVector((ScaledConfidence(context.nonmember_scores, context.nonmember_y) - nonmember_out.mean(0)) / sigma)};
}

Result<MembershipResult> RunMembership(Target& target, const Dataset& train, const Dataset& test,
                                       const Dataset& attacker, const MembershipPlan& plan, const Progress& progress) {
  const auto count =
      static_cast<size_t>(std::min<int64_t>(plan.samples, static_cast<int64_t>(std::min(train.size(), test.size()))));
  if (count < 10)
    return MakeError(ErrorCode::kInvalidArgument, "membership inference needs at least 10 members and 10 non-members");
  try {
    MembershipResult result;
    result.members = static_cast<int64_t>(count);
    result.nonmembers = static_cast<int64_t>(count);
    const Dataset members = train.Head(count), nonmembers = test.Head(count);
    const torch::Tensor member_x = FeaturesTensor(members), member_y = LabelsTensor(members);
    const torch::Tensor nonmember_x = FeaturesTensor(nonmembers), nonmember_y = LabelsTensor(nonmembers);
    const int64_t queries_before = target.queries();
    auto member_scores = target.Query(member_x);
    if (!member_scores) return member_scores.error();
    auto nonmember_scores = target.Query(nonmember_x);
    if (!nonmember_scores) return nonmember_scores.error();
    const int64_t answer_queries = target.queries() - queries_before;
    result.train_accuracy = member_scores->argmax(1).eq(member_y).to(torch::kFloat64).mean().item<double>();
    result.test_accuracy = nonmember_scores->argmax(1).eq(nonmember_y).to(torch::kFloat64).mean().item<double>();

    // Shadow models: trained once, shared by every attack that needs them (shokri: in and out answers,
    // lira: out answers only).
    std::vector<const Attack*> attacks;
    bool want_shadows = false;
    for (const std::string& name : plan.attacks) {
      attacks.push_back(FindAttack(Risk::kMembership, name));
      want_shadows = want_shadows || (attacks.back() != nullptr && attacks.back()->needs_shadow_models);
    }
    std::vector<Shadow> shadows;
    double shadow_seconds = 0;
    if (want_shadows) {
      if (attacker.size() < 20)
        return MakeError(ErrorCode::kInvalidArgument, "shadow models need at least 20 attacker samples");
      const auto started = Clock::now();
      const torch::Tensor attacker_x = FeaturesTensor(attacker), attacker_y = LabelsTensor(attacker);
      std::mt19937_64 random(plan.seed);
      std::vector<int64_t> indices(attacker.size());
      std::iota(indices.begin(), indices.end(), int64_t{0});
      const int64_t half = static_cast<int64_t>(attacker.size() / 2);
      for (int s = 0; s < plan.shadow_models; ++s) {
        if (progress) progress("membership: shadow models", static_cast<double>(s) / plan.shadow_models);
        std::shuffle(indices.begin(), indices.end(), random);
        Shadow shadow;
        shadow.in.assign(indices.begin(), indices.begin() + half);
        shadow.out.assign(indices.begin() + half, indices.end());
        std::vector<int64_t> shape = attacker.sample_shape;
        auto built =
            BuildModel(plan.shadow_architecture, shape, train.classes, plan.seed * 7919u + static_cast<uint64_t>(s));
        if (!built) return built.error();
        TrainOptions options = plan.shadow_training;
        options.seed = plan.seed * 104729u + static_cast<uint64_t>(s);
        options.progress = nullptr;
        const torch::Tensor in_index = torch::tensor(shadow.in, torch::kInt64);
        auto trained =
            TrainModel(*built, attacker_x.index_select(0, in_index), attacker_y.index_select(0, in_index), options);
        if (!trained) return trained.error();
        shadow.model = std::make_unique<LocalModel>(std::move(*built));
        shadows.push_back(std::move(shadow));
      }
      shadow_seconds = std::chrono::duration<double>(Clock::now() - started).count();
    }

    const MembershipContext context{member_x,       member_y,          nonmember_x, nonmember_y,
                                    *member_scores, *nonmember_scores, attacker,    shadows};
    for (size_t i = 0; i < plan.attacks.size(); ++i) {
      const std::string& name = plan.attacks[i];
      if (progress) progress("membership: " + name, 0.9);
      if (attacks[i] == nullptr) return UnknownAttack(Risk::kMembership, name);
      MembershipAttack outcome;
      outcome.attack = name;
      const auto started = Clock::now();
      MG_ASSIGN_OR_RETURN(const MembershipScores scores, attacks[i]->infer(context));
      ComputeRoc(scores.members, scores.nonmembers, outcome);
      outcome.cost.queries = answer_queries;
      outcome.cost.seconds = std::chrono::duration<double>(Clock::now() - started).count() +
                             (attacks[i]->needs_shadow_models ? shadow_seconds : 0);
      result.attacks.push_back(std::move(outcome));
    }
    return result;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("membership inference failed: ") + TorchErrorSummary(e));
  }
}

}  // namespace modelguard::assess
