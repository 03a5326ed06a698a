#include "modelguard/stats/isotonic.h"

#include <algorithm>
#include <cmath>

namespace modelguard::stats {

IsotonicMap IsotonicMap::Fit(std::span<const double> x, std::span<const double> y, std::span<const double> weights,
                             double y_min, double y_max) {
  const size_t n = std::min(x.size(), y.size());
  std::vector<size_t> order;
  order.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const double w = weights.empty() ? 1.0 : (i < weights.size() ? weights[i] : 0.0);
    if (std::isfinite(x[i]) && std::isfinite(y[i]) && w > 0 && std::isfinite(w)) order.push_back(i);
  }
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]); });
  // Blocks of the pooled solution: each holds a weighted mean, its weight and the first point it covers.
  struct Block {
    double mean, weight;
    size_t first;
  };
  std::vector<double> unique_x;
  std::vector<Block> blocks;
  for (size_t k = 0; k < order.size();) {
    // Points with equal x pooled first: one distinct x is one point of the fit.
    const double at = x[order[k]];
    double sum = 0, weight = 0;
    for (; k < order.size() && x[order[k]] == at; ++k) {
      const double w = weights.empty() ? 1.0 : weights[order[k]];
      sum += w * y[order[k]];
      weight += w;
    }
    unique_x.push_back(at);
    blocks.push_back({sum / weight, weight, unique_x.size() - 1});
    // Pool backwards while the order is violated: each merge removes a block, so the whole fit is linear.
    while (blocks.size() > 1 && blocks[blocks.size() - 2].mean > blocks.back().mean) {
      Block last = blocks.back();
      blocks.pop_back();
      Block& before = blocks.back();
      const double total = before.weight + last.weight;
      before.mean = (before.mean * before.weight + last.mean * last.weight) / total;
      before.weight = total;
    }
  }
  IsotonicMap map;
  map.x_ = std::move(unique_x);
  map.y_.resize(map.x_.size());
  for (size_t b = 0; b < blocks.size(); ++b) {
    const size_t end = b + 1 < blocks.size() ? blocks[b + 1].first : map.x_.size();
    const double value = std::clamp(blocks[b].mean, y_min, y_max);
    std::fill(map.y_.begin() + static_cast<long>(blocks[b].first), map.y_.begin() + static_cast<long>(end), value);
  }
  return map;
}

std::optional<IsotonicMap> IsotonicMap::FromPoints(std::vector<double> x, std::vector<double> y) {
  if (x.size() != y.size()) return std::nullopt;
  for (size_t i = 0; i < x.size(); ++i) {
    if (!std::isfinite(x[i]) || !std::isfinite(y[i])) return std::nullopt;
    if (i > 0 && (!(x[i - 1] < x[i]) || y[i - 1] > y[i])) return std::nullopt;
  }
  IsotonicMap map;
  map.x_ = std::move(x);
  map.y_ = std::move(y);
  return map;
}

double IsotonicMap::Apply(double x) const {
  if (x_.empty() || std::isnan(x)) return x;
  if (x <= x_.front()) return y_.front();
  if (x >= x_.back()) return y_.back();
  const size_t hi = static_cast<size_t>(std::upper_bound(x_.begin(), x_.end(), x) - x_.begin());
  const size_t lo = hi - 1;
  const double share = (x - x_[lo]) / (x_[hi] - x_[lo]);
  return y_[lo] + share * (y_[hi] - y_[lo]);
}

}  // namespace modelguard::stats
