#pragma once
// Statistics shared by data validation (`data validate --reference`) and monitoring: two-sample tests and
// distances between a reference and a current sample. The definitions follow SciPy's, so a figure can be
// checked against scipy.stats / scipy.spatial.distance (tests/stats/ does exactly that):
//   KsTwoSample        scipy.stats.ks_2samp (two-sided; exact p-value when both samples have at most
//                      10,000 values, as SciPy's default method does; asymptotic beyond)
//   ChiSquareContingency  scipy.stats.chi2_contingency on a 2 x k table (Yates' correction at 1 degree of
//                      freedom, as SciPy's default)
//   ChiSquareGoodnessOfFit scipy.stats.chisquare
//   JensenShannonDistance  scipy.spatial.distance.jensenshannon (natural logarithm unless a base is given)
//   WassersteinDistance    scipy.stats.wasserstein_distance (1-D, unweighted)
//   PopulationStabilityIndex  sum (c - r) ln(c / r) over bins, empty bins at kEmptyBinShare
// None of them allocates more than a copy of its inputs; none throws.
#include <cstdint>
#include <span>
#include <vector>

namespace modelguard::stats {

// Regularised incomplete gamma functions P(a, x) and Q(a, x) = 1 - P(a, x), a > 0, x >= 0.
double RegularizedGammaP(double a, double x);
double RegularizedGammaQ(double a, double x);
// Survival function of the chi-square distribution with `dof` degrees of freedom.
double ChiSquareSurvival(double statistic, double dof);
// Survival function of the limiting Kolmogorov distribution, P(sqrt(n) D > lambda) as n grows.
double KolmogorovSurvival(double lambda);
// ln P(X >= k) for X ~ Binomial(n, p), summed in log space so tails far below 1e-308 keep their size
// (scipy.stats.binom.logsf(k - 1, n, p)). O(n - k) terms.
double BinomialLogSurvival(uint64_t k, uint64_t n, double p);

struct TestResult {
  double statistic = 0;
  double p_value = 1;
  double dof = 0;      // chi-square tests
  bool exact = false;  // KS: the p-value is exact, not asymptotic
};

// Largest distance between the two empirical CDFs, two-sided p-value. Either sample empty: p = 1, D = 0.
// NaN values are left out (count them yourself: they are missing data, not a shift).
// Samples at most this large on both sides get the exact p-value (SciPy's threshold for method='auto').
constexpr size_t kKsExactMaxSample = 10000;
// `exact_max_sample` 0 always gives the asymptotic p-value (SciPy's method='asymp'): O(n log n) instead of
// the exact computation's O(n m), for callers that test many windows a second.
TestResult KsTwoSample(std::span<const double> reference, std::span<const double> current,
                       size_t exact_max_sample = kKsExactMaxSample);

// Reference and current counts per category (same length); categories empty on both sides are dropped.
TestResult ChiSquareContingency(std::span<const double> reference_counts, std::span<const double> current_counts);
// Observed counts against expected counts (scaled so both sum to the same total).
TestResult ChiSquareGoodnessOfFit(std::span<const double> observed, std::span<const double> expected);

// Distances between two distributions given as counts or shares over the same bins (each normalised to 1).
double JensenShannonDistance(std::span<const double> p, std::span<const double> q, double base = 0);
constexpr double kEmptyBinShare = 1e-4;  // PSI: share given to an empty bin (ln 0 is undefined)
double PopulationStabilityIndex(std::span<const double> reference_counts, std::span<const double> current_counts);
double WassersteinDistance(std::span<const double> reference, std::span<const double> current);

// The median of the finite values (mean of the middle two for an even count); NaN when there are none.
double Median(std::vector<double> values);

// Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
double NormalQuantile(double p);
// Shapiro-Wilk W statistic for a sample of 3..5000 values (Royston 1992/1995 approximation of the
// coefficients, algorithm AS R94); 1 for fewer than 3 finite values or zero spread (scipy.stats.shapiro).
double ShapiroWilkW(std::span<const double> values);
// Its coefficients a_1..a_n, which depend only on n (all zero below 3).
std::vector<double> ShapiroWilkCoefficients(size_t n);
// W of the finite values of `x` (sorted in place), with `coefficients` for its size when the caller keeps
// them (PRADA computes W on windows of one size again and again); computed here otherwise.
double ShapiroWilkOfSample(std::vector<double>& x, const std::vector<double>* coefficients);

// Bin edges over [min, max] of both samples (NumPy's histogram_bin_edges(..., bins='sturges') on their
// union: ceil(log2(n) + 1) equal bins), and counts per bin with the last bin closed on the right, as
// numpy.histogram counts. A sample with one distinct value gets the bin [v - 0.5, v + 0.5].
std::vector<double> SturgesEdges(std::span<const double> a, std::span<const double> b);
std::vector<double> HistogramCounts(std::span<const double> values, std::span<const double> edges);

}  // namespace modelguard::stats
