#pragma once
// Isotonic (monotone non-decreasing) regression by pool-adjacent-violators, the calibration map that
// confidence-based performance estimation fits from labelled predictions (NannyML's CBPE calibrates with
// scikit-learn's IsotonicRegression). The fit and the prediction follow IsotonicRegression(increasing=True,
// y_min, y_max, out_of_bounds="clip") so figures can be checked against scikit-learn (tests/stats/
// isotonic_test.cpp does): points with equal x are pooled first (weighted mean of y), then every run of
// adjacent fitted values that decreases is pooled to its weighted mean, and a new x is mapped by linear
// interpolation between the fitted points, clipped to the fitted range of x.
#include <optional>
#include <span>
#include <vector>

namespace modelguard::stats {

class IsotonicMap {
 public:
  // An empty map: Apply returns its input (no calibration yet).
  IsotonicMap() = default;
  // Fits y against x with weights (empty: all 1). Non-finite x or y and non-positive weights are left out;
  // fitted values are clipped to [y_min, y_max]. x, y (and weights when given) have the same length.
  static IsotonicMap Fit(std::span<const double> x, std::span<const double> y, std::span<const double> weights = {},
                         double y_min = 0, double y_max = 1);
  // A map saved earlier (its xs() and ys()): nullopt unless x strictly increases, y does not decrease, both
  // are finite and as long as each other.
  static std::optional<IsotonicMap> FromPoints(std::vector<double> x, std::vector<double> y);
  double Apply(double x) const;
  bool empty() const { return x_.empty(); }
  // The fitted points: distinct x in increasing order and their non-decreasing values.
  const std::vector<double>& xs() const { return x_; }
  const std::vector<double>& ys() const { return y_; }

 private:
  std::vector<double> x_, y_;
};

}  // namespace modelguard::stats
