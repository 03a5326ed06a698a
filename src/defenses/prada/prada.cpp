#include "modelguard/defenses/prada.h"

#include "modelguard/stats/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace modelguard::defenses {

PradaVerdict PradaDetector::Observe(std::span<const double> query, int64_t predicted_class) {
  ++queries_;
  if (predicted_class < 0) return last_;
  const auto cls = static_cast<size_t>(predicted_class);
  if (cls >= classes_.size()) {
    if (cls > 4096) return last_;  // not a plausible class count: ignore rather than allocate
    classes_.resize(cls + 1);
  }
  ClassState& state = classes_[cls];
  if (state.growing.empty()) {
    state.growing.emplace_back(query.begin(), query.end());
    return last_;
  }
  double nearest = std::numeric_limits<double>::infinity();
  for (const auto& seen : state.growing) {
    if (seen.size() != query.size()) continue;
    double sum = 0;
    for (size_t i = 0; i < query.size() && sum < nearest * nearest; ++i) {
      const double diff = query[i] - seen[i];
      sum += diff * diff;
    }
    nearest = std::min(nearest, std::sqrt(sum));
  }
  if (!std::isfinite(nearest)) return last_;  // a different input size, or values too large to compare
  // An exact repeat (a retry, a cache miss) teaches an extractor nothing; counting its zero distance would
  // make every retrying client look like an attacker.
  if (nearest == 0) return last_;
  distances_.push_back(nearest);
  if (distances_.size() > options_.window) distances_.pop_front();
  // Threshold: mean minus one standard deviation of the distances that grew this class's set, from running
  // sums (the set holds up to max_growing_per_class distances; a pass over them per query would dominate).
  double threshold = 0;
  if (!state.distances.empty()) {
    const auto count = static_cast<double>(state.distances.size());
    const double mean = state.sum / count;
    const double variance = std::max(0.0, state.sum_of_squares / count - mean * mean);
    threshold = std::max(0.0, mean - std::sqrt(variance));
  }
  if (nearest > threshold) {
    state.growing.emplace_back(query.begin(), query.end());
    state.distances.push_back(nearest);
    state.sum += nearest;
    state.sum_of_squares += nearest * nearest;
    if (state.growing.size() > options_.max_growing_per_class) state.growing.pop_front();
    if (state.distances.size() > options_.max_growing_per_class) {
      const double oldest = state.distances.front();
      state.distances.pop_front();
      state.sum -= oldest;
      state.sum_of_squares -= oldest * oldest;
    }
  }
  last_.distances = distances_.size();
  if (distances_.size() >= options_.min_distances) {
    // The coefficients depend only on the sample size: once the window is full they are computed once.
    if (coefficients_.size() != distances_.size()) coefficients_ = stats::ShapiroWilkCoefficients(distances_.size());
    window_.assign(distances_.begin(), distances_.end());
    last_.w = stats::ShapiroWilkOfSample(window_, &coefficients_);
    last_.alarm = last_.alarm || last_.w < options_.delta;
  }
  return last_;
}

}  // namespace modelguard::defenses
