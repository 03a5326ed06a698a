// Activation clustering (Chen et al., "Detecting Backdoor Attacks on Deep Neural Networks by Activation
// Clustering", 2018). Within one class, poisoned samples reach the label through the trigger and clean ones
// through the class's own features, so the class's activations split in two. Per class: project the centred
// activations on their top 10 principal directions, 2-means with seeded restarts, then judge the split.
//
// Which cluster is the poison: the paper (and IBM ART's default) takes the smaller one. That fails once the
// poison is half a class (10 % of a dataset relabelled to one of ten classes), so the candidate here is the
// cluster the model itself ties most to some other class once the label's logit is removed: poisoned samples
// still look like their source class. It is a cheap stand-in for the paper's exclusionary reclassification,
// which would retrain the model once per cluster.
//
// The class is judged poisoned when the split is real (silhouette above kSeparatedSilhouette), the candidate
// is not most of the class (a share up to kMaxPoisonShare: 10 % poison relabelled into one of ten classes is
// half of it), and the model ties the candidate to other classes clearly more than the rest (mean
// other-class confidence at least kMinConfidenceGap higher). ART's size rule alone (a cluster under 35 %)
// flags clean digit classes that happen to hold two writing styles; on digits, poisoned classes measured a
// silhouette of 0.40-0.45 and a gap of 0.10-0.12, clean ones at most 0.38 and, where the silhouette is that
// high, a gap of 0.05 or less. The relative size and silhouette are reported per class either way.
#include <cmath>
#include <random>

#include "modelguard/assess/poisoning.h"
#include "src/assess/poisoning/linalg.h"
#include "src/assess/torch_error.h"

namespace modelguard::assess::poisoning {
namespace {

constexpr const char* kName = "clustering";
constexpr int64_t kDimensions = 10;
constexpr int kRestarts = 8;
constexpr int kIterations = 100;
constexpr double kSeparatedSilhouette = 0.35;  // above: two populations rather than one blob cut in two
constexpr double kMaxPoisonShare = 0.6;        // a poisoned cluster is not most of its class
constexpr double kMinConfidenceGap = 0.06;     // candidate vs rest, mean probability of another class
constexpr int64_t kSilhouetteSample = 4000;    // silhouette is quadratic: a seeded sample of larger classes

struct TwoMeans {
  std::vector<int64_t> assignment;  // 0 or 1 per row
  torch::Tensor centres;            // 2 x k
  double inertia = INFINITY;
};

// Lloyd's algorithm from a k-means++ start; the best of kRestarts by inertia.
TwoMeans Cluster(const torch::Tensor& points, uint64_t seed) {
  const int64_t n = points.size(0);
  TwoMeans best;
  std::mt19937_64 random(seed);
  for (int restart = 0; restart < kRestarts; ++restart) {
    const int64_t first = std::uniform_int_distribution<int64_t>(0, n - 1)(random);
    const torch::Tensor d0 = (points - points[first]).pow(2).sum(1).contiguous();
    const double total = d0.sum().item<double>();
    int64_t second = (first + 1) % n;
    if (total > 0) {
      double pick = std::uniform_real_distribution<double>(0, total)(random);
      const double* d = d0.data_ptr<double>();
      for (int64_t i = 0; i < n; ++i) {
        pick -= d[i];
        if (pick <= 0) {
          second = i;
          break;
        }
      }
    }
    torch::Tensor centres = torch::stack({points[first], points[second]});
    torch::Tensor assignment;
    for (int iteration = 0; iteration < kIterations; ++iteration) {
      assignment = torch::cdist(points, centres).argmin(1);
      torch::Tensor next = centres.clone();
      for (int64_t k = 0; k < 2; ++k) {
        const torch::Tensor members = assignment.eq(k);
        if (members.any().item<bool>()) next[k] = points.index({members}).mean(0);
      }
      const bool done = torch::allclose(next, centres, 0, 1e-12);
      centres = next;
      if (done) break;
    }
    assignment = torch::cdist(points, centres).argmin(1);
    const double inertia = torch::cdist(points, centres).pow(2).amin(1).sum().item<double>();
    if (inertia < best.inertia) {
      best.inertia = inertia;
      best.centres = centres;
      const torch::Tensor a = assignment.contiguous();
      best.assignment.assign(a.data_ptr<int64_t>(), a.data_ptr<int64_t>() + n);
    }
  }
  return best;
}

// Mean silhouette (Rousseeuw 1987) of a two-cluster assignment, on at most kSilhouetteSample rows.
double Silhouette(const torch::Tensor& points, const std::vector<int64_t>& assignment, uint64_t seed) {
  const int64_t n = points.size(0);
  std::vector<int64_t> rows(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) rows[static_cast<size_t>(i)] = i;
  if (n > kSilhouetteSample) {
    std::mt19937_64 random(seed);
    std::shuffle(rows.begin(), rows.end(), random);
    rows.resize(kSilhouetteSample);
  }
  const torch::Tensor index = torch::tensor(rows, torch::kInt64);
  std::vector<int64_t> labels;
  for (int64_t row : rows) labels.push_back(assignment[static_cast<size_t>(row)]);
  const torch::Tensor label = torch::tensor(labels, torch::kInt64);
  const torch::Tensor sample = points.index_select(0, index);
  const torch::Tensor distances = torch::cdist(sample, sample);
  const torch::Tensor in0 = label.eq(0).to(torch::kFloat64), in1 = label.eq(1).to(torch::kFloat64);
  const double n0 = in0.sum().item<double>(), n1 = in1.sum().item<double>();
  if (n0 < 2 || n1 < 2) return 0;
  const torch::Tensor to0 = distances.mv(in0), to1 = distances.mv(in1);
  const torch::Tensor own = label.eq(0);
  const torch::Tensor a = torch::where(own, to0 / (n0 - 1), to1 / (n1 - 1));
  const torch::Tensor b = torch::where(own, to1 / n1, to0 / n0);
  const torch::Tensor s = (b - a) / torch::max(a, b).clamp_min(1e-300);
  return s.mean().item<double>();
}

Result<MethodResult> RunClustering(const AuditInput& input) {
  if (input.progress) input.progress("clustering: activations");
  MG_ASSIGN_OR_RETURN(const torch::Tensor activations, AuditActivations(input, kName));
  MG_ASSIGN_OR_RETURN(const torch::Tensor logits, AuditLogits(input, kName));
  MethodResult result;
  result.method = kName;
  const size_t n = input.data->size();
  result.scores.assign(n, std::nan(""));
  result.flagged.assign(n, false);
  result.details["dimensions"] = kDimensions;
  result.details["restarts"] = kRestarts;
  result.details["separated_silhouette"] = kSeparatedSilhouette;
  result.details["max_poison_share"] = kMaxPoisonShare;
  result.details["min_confidence_gap"] = kMinConfidenceGap;
  nlohmann::ordered_json classes = nlohmann::ordered_json::array();
  try {
    // Per sample: the probability of its most likely other class, its own label's logit removed.
    torch::Tensor masked = logits.slice(1, 0, input.data->classes).clone();
    const torch::Tensor labels = LabelsTensor(*input.data);
    masked.scatter_(1, labels.unsqueeze(1), -INFINITY);
    const torch::Tensor elsewhere = torch::softmax(masked, 1).amax(1).contiguous();
    const double* other_class = elsewhere.data_ptr<double>();

    const auto by_class = IndicesByClass(*input.data);
    for (size_t c = 0; c < by_class.size(); ++c) {
      const auto& indices = by_class[c];
      nlohmann::ordered_json entry{{"class", c}, {"samples", indices.size()}};
      if (indices.size() < 4) {
        entry["skipped"] = "fewer than four samples";
        classes.push_back(entry);
        continue;
      }
      const torch::Tensor index =
          torch::from_blob(const_cast<int64_t*>(indices.data()), {static_cast<int64_t>(indices.size())}, torch::kInt64);
      const torch::Tensor rows = activations.index_select(0, index);
      const torch::Tensor centred = rows - rows.mean(0, true);
      const torch::Tensor reduced = centred.mm(TopRightSingularVectors(centred, kDimensions));
      const uint64_t class_seed = input.seed * 1000003u + c;
      const TwoMeans split = Cluster(reduced, class_seed);
      double size[2] = {0, 0}, elsewhere_mean[2] = {0, 0};
      for (size_t i = 0; i < indices.size(); ++i) {
        const int64_t k = split.assignment[i];
        size[k] += 1;
        elsewhere_mean[k] += other_class[indices[i]];
      }
      for (int k = 0; k < 2; ++k) elsewhere_mean[k] = size[k] > 0 ? elsewhere_mean[k] / size[k] : 0;
      const int64_t candidate = elsewhere_mean[1] > elsewhere_mean[0] ? 1 : 0;
      const double share = size[candidate] / static_cast<double>(indices.size());
      const double silhouette = Silhouette(reduced, split.assignment, class_seed);
      const double gap = elsewhere_mean[candidate] - elsewhere_mean[1 - candidate];
      const bool poisoned = silhouette > kSeparatedSilhouette && share <= kMaxPoisonShare && gap >= kMinConfidenceGap;
      // Score: how much nearer the candidate's centre a sample lies than the other centre's (0..1).
      const torch::Tensor distances = torch::cdist(reduced, split.centres).contiguous();
      const double* d = distances.data_ptr<double>();
      for (size_t i = 0; i < indices.size(); ++i) {
        const double to_candidate = d[2 * i + candidate], to_other = d[2 * i + 1 - candidate];
        const double sum = to_candidate + to_other;
        const auto sample = static_cast<size_t>(indices[i]);
        result.scores[sample] = sum > 0 ? to_other / sum : 0.5;
        if (poisoned && split.assignment[i] == candidate) result.flagged[sample] = true;
      }
      entry["cluster_sizes"] = {size[candidate], size[1 - candidate]};
      entry["candidate_share"] = share;
      entry["silhouette"] = silhouette;
      entry["other_class_confidence"] = {elsewhere_mean[candidate], elsewhere_mean[1 - candidate]};
      entry["poisoned"] = poisoned;
      classes.push_back(entry);
    }
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("clustering: ") + TorchErrorSummary(e));
  }
  result.details["classes"] = std::move(classes);
  return result;
}

}  // namespace

const MethodDescriptor& ClusteringMethod() {
  static const MethodDescriptor descriptor{
      kName, "Activation clustering: per class, 2-means on the top 10 principal components; a poisoned cluster",
      "Chen et al.: Detecting Backdoor Attacks on Deep Neural Networks by Activation Clustering (2018)", true,
      RunClustering};
  return descriptor;
}

}  // namespace modelguard::assess::poisoning
