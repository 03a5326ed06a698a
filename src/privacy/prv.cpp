// PRV accountant (Gopi, Lee and Wutschitz 2021) for the Poisson-subsampled Gaussian mechanism.
//
// The privacy loss of one step is Y = log(mu(Z) / mu0(Z)) with Z drawn from the mixture
// mu = (1 - q) N(0, s^2) + q N(1, s^2) and mu0 = N(0, s^2): Y = log(1 - q + q exp((2Z - 1) / (2 s^2))), an
// increasing function of Z, so its CDF is closed-form. After T steps the loss is S = Y_1 + ... + Y_T and
//   delta(eps) = E[(1 - exp(eps - S))_+]                                   (the hockey-stick divergence).
// We discretise each Y on a grid of mesh h, compose by FFT, evaluate delta(eps) on the result and invert it.
//
// The bounds, and why they hold (the argument is Gopi et al.'s; the bookkeeping of truncated mass is ours):
//  1. Truncation of one step: Y is clamped to [L, U]; the clamp changes S only on the event that some step
//     falls outside, of probability tau <= sum T_g (F(L) + 1 - F(U)), with F the exact CDF.
//  2. Discretisation: the clamped Y goes to the nearest grid point, then the whole grid is shifted so that
//     the discrete variable has the clamped variable's exact mean. The differences D_i = Y~_i - Y_i are then
//     independent, mean zero and lie in an interval of width h, so by Hoeffding
//       P(|sum D_i| >= eps_err) <= eta   with   eps_err = h sqrt(T log(2 / eta) / 2).
//     The mean is an integral of the CDF (Simpson's rule on the half-mesh; its error is ~1e-15 per step).
//  3. Composition: one FFT of each step's distribution on a circular grid of N points, raised to the power
//     of its step count and multiplied across phases, one inverse FFT (as Gopi et al. and Opacus do). The
//     grid covers a window [a, b] of the discretised sum chosen by Chernoff bounds computed from the exact
//     moment generating function of the discrete steps, P(S~ >= b) <= min_l exp(sum_g T_g log M_g(l) - l b);
//     mass m outside the window wraps around onto it, so the computed delta is within m of the discretised
//     sum's. The Chernoff bound holds for every l, so a grid of l values gives a valid (if not the best) m.
//  Since (1 - exp(eps - s))_+ is increasing in s and lies in [0, 1], with delta_c the computed delta:
//     delta_c(eps + eps_err) - eta - tau - m  <=  delta(eps)  <=  delta_c(eps - eps_err) + eta + tau + m.
//  Inverting: eps_upper = eps_c(delta - eta - tau - m) + eps_err and eps_lower = eps_c(delta + eta + tau + m)
//  - eps_err, where eps_c inverts delta_c; the estimate is eps_c(delta). The mesh is chosen so that eps_err is
//  the requested error, as in Gopi et al.
#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "modelguard/privacy/accountant.h"

namespace modelguard::privacy {
namespace {

using Complex = std::complex<double>;

std::string Num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

// In-place iterative radix-2 FFT; data.size() is a power of two. Twiddles come from cos/sin of the exact
// angle (not a running product), so the rounding error stays at a few ulps times log2(n).
void Fft(std::vector<Complex>& data, bool inverse) {
  const size_t n = data.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(data[i], data[j]);
  }
  std::vector<Complex> twiddle(n / 2);
  const double sign = inverse ? 1 : -1;
  for (size_t k = 0; k < n / 2; ++k) {
    const double angle = sign * 2 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n);
    twiddle[k] = Complex(std::cos(angle), std::sin(angle));
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    const size_t half = len / 2, stride = n / len;
    for (size_t start = 0; start < n; start += len) {
      for (size_t k = 0; k < half; ++k) {
        const Complex u = data[start + k];
        const Complex v = data[start + k + half] * twiddle[k * stride];
        data[start + k] = u + v;
        data[start + k + half] = u - v;
      }
    }
  }
  if (inverse)
    for (auto& x : data) x /= static_cast<double>(n);
}

// A distribution on the grid offset + k * mesh, k = 0 .. p.size() - 1.
struct Pmf {
  double offset = 0;
  std::vector<double> p;
};

// The exact law of one step's privacy loss Y.
struct StepLoss {
  double q, sigma;
  // z such that Y(z) = t; -inf below the support.
  double ZAt(double t) const {
    // log(e^t - (1 - q)), which e^t would overflow beyond t = 709.
    if (t > 30) return sigma * sigma * (t + std::log1p(-(1 - q) * std::exp(-t)) - std::log(q)) + 0.5;
    const double inner = std::expm1(t) + q;
    if (inner <= 0) return -std::numeric_limits<double>::infinity();
    return sigma * sigma * (std::log(inner) - std::log(q)) + 0.5;
  }
  // Y at z: log(1 - q + q e^v), v = (2z - 1) / (2 s^2), without overflow or cancellation.
  double LossAt(double z) const {
    const double v = (2 * z - 1) / (2 * sigma * sigma);
    if (v > 30) return v + std::log(q) + std::log1p((1 - q) / q * std::exp(-v));
    return std::log1p(q * std::expm1(v));
  }
  // P(Y <= t) and P(Y > t), each from erfc so both tails keep their digits.
  double Cdf(double t) const {
    const double z = ZAt(t);
    const double r = std::sqrt(2.0) * sigma;
    return (1 - q) * 0.5 * std::erfc(-z / r) + q * 0.5 * std::erfc(-(z - 1) / r);
  }
  double Survival(double t) const {
    const double z = ZAt(t);
    const double r = std::sqrt(2.0) * sigma;
    return (1 - q) * 0.5 * std::erfc(z / r) + q * 0.5 * std::erfc((z - 1) / r);
  }
};

// E[clamp(Y, L, U)], integrated over z for each component of the mixture (z = c + s u, u in [-40, 40],
// Simpson's rule): in z the loss is smooth even where its whole bulk lies inside one bin of the loss grid
// (q tiny), which an integral over the loss itself cannot resolve. The loss turns from log(1 - q) to large
// values over a width of about s in u, so there are at least 40 points per s (2^16 to 2^22 intervals). The
// discretisation must match this mean to far better than eps_err / T: any difference adds up over the steps.
double ClampedMean(const StepLoss& loss, double lower, double upper) {
  constexpr double kRange = 40;
  const double wanted = 2 * kRange / std::min(loss.sigma, 1.0) * 40;
  const int intervals = 2 * static_cast<int>(std::clamp(wanted, 65536.0, 4194304.0) / 2);
  auto component = [&](double centre) {
    const double du = 2 * kRange / intervals;
    double sum = 0;
    for (int i = 0; i <= intervals; ++i) {
      const double u = -kRange + i * du;
      const double weight = (i == 0 || i == intervals) ? 1 : (i % 2 ? 4 : 2);
      const double y = std::clamp(loss.LossAt(centre + loss.sigma * u), lower, upper);
      sum += weight * y * std::exp(-0.5 * u * u);
    }
    return sum * du / 3 / std::sqrt(2 * std::numbers::pi);
  };
  return (1 - loss.q) * component(0) + (loss.q > 0 ? loss.q * component(1) : 0.0);
}

struct Discretised {
  Pmf pmf;
  double tail = 0;  // P(Y < L) + P(Y > U)
};

// Grid [L, U] with budget `tail_budget` for P(Y outside), nearest-point rounding, exact mean restored. When
// the loss has a far tail (tiny sigma: a sampled record is all but identified, at losses up to 1e11) U stops
// at kMaxLoss and the tail up to `fallback_budget` is cut instead: it is counted in tau like any other, so
// the bounds still hold, just with less room under delta.
constexpr double kMaxLoss = 1e4;
Result<Discretised> Discretise(const StepLoss& loss, double mesh, double tail_budget, double fallback_budget,
                               size_t max_points) {
  double upper = 1;
  while (loss.Survival(upper) > tail_budget / 2 && upper < kMaxLoss) upper *= 2;
  if (loss.Survival(upper) > tail_budget / 2) {
    upper = 1;
    while (loss.Survival(upper) > fallback_budget / 2) {
      upper *= 2;
      if (upper > kMaxLoss)
        return MakeError(ErrorCode::kLimit, "PRV: one step's privacy loss exceeds " + Num(kMaxLoss) +
                                                " with probability above " + Num(fallback_budget / 2) +
                                                " (no meaningful privacy; use RDP)");
    }
  }
  // L: the lowest loss is log(1 - q); with q near 1 (or 1) cut where the lower tail is below half the budget.
  double lower = loss.q < 1 ? std::log1p(-loss.q) : -upper;
  if (!(loss.Cdf(lower) <= tail_budget / 2)) lower = -kMaxLoss;
  {
    double a = lower, b = std::min(0.0, upper);
    if (loss.Cdf(b) <= tail_budget / 2) a = b;
    for (int i = 0; i < 200 && b - a > mesh; ++i) {
      const double mid = 0.5 * (a + b);
      if (loss.Cdf(mid) <= tail_budget / 2)
        a = mid;
      else
        b = mid;
    }
    lower = a;
  }
  const double span = (upper - lower) / mesh;
  if (!(span < static_cast<double>(max_points)))
    return MakeError(ErrorCode::kLimit, "PRV: one step's loss needs " + Num(span) + " grid points, above " +
                                            std::to_string(max_points) + " (raise the error target)");
  // The top grid point is within h/2 of U, so every bin below is inside [L, U] and the last one ends at U.
  const size_t n = static_cast<size_t>(std::llround(span)) + 1;
  Discretised out;
  out.tail = loss.Cdf(lower) + loss.Survival(upper);
  out.pmf.p.resize(n);
  // Bin k holds the clamped Y in [x_k - h/2, x_k + h/2); the first and last bins take the clamped ends.
  // The differences of the CDF lose digits where it is near 1, so the upper bins use the survival function.
  auto below = [&](double t) { return t <= lower ? 0.0 : loss.Cdf(t); };
  auto above = [&](double t) { return t >= upper ? 0.0 : loss.Survival(t); };
  double mean_discrete = 0;
  for (size_t k = 0; k < n; ++k) {
    const double x = lower + static_cast<double>(k) * mesh;
    const double a = k == 0 ? lower : x - mesh / 2;
    const double b = k + 1 == n ? upper : x + mesh / 2;
    double mass = loss.Cdf(std::min(b, upper)) < 0.5 ? below(b) - below(a) : above(a) - above(b);
    if (k == 0) mass += loss.Cdf(lower);
    if (k + 1 == n) mass += loss.Survival(upper);
    out.pmf.p[k] = std::max(mass, 0.0);
    mean_discrete += out.pmf.p[k] * x;
  }
  const double mean_clamped = ClampedMean(loss, lower, upper);
  out.pmf.offset = lower + (mean_clamped - mean_discrete);
  return out;
}

// delta_c(eps) = sum over x_j > eps of p_j (1 - exp(eps - x_j)) = P_k - e^(eps - x_k) W_k, k the first grid
// point above eps, with the suffix sums P_k = sum_{j>=k} p_j and W_k = sum_{j>=k} p_j e^-(x_j - x_k),
// precomputed once; every factor is at most 1, so nothing overflows at any epsilon.
class DeltaCurve {
 public:
  DeltaCurve(const Pmf& d, double mesh) : d_(d), mesh_(mesh) {
    const size_t n = d.p.size();
    mass_.assign(n + 1, 0.0);
    weighted_.assign(n + 1, 0.0);
    const double decay = std::exp(-mesh);
    for (size_t k = n; k-- > 0;) {
      mass_[k] = mass_[k + 1] + d.p[k];
      weighted_[k] = d.p[k] + decay * weighted_[k + 1];
    }
  }
  double X(size_t k) const { return d_.offset + static_cast<double>(k) * mesh_; }
  double Top() const { return X(d_.p.size()); }
  double DeltaAt(double eps) const {
    // First grid point above eps.
    double first = std::floor((eps - d_.offset) / mesh_) + 1;
    first = std::clamp(first, 0.0, static_cast<double>(d_.p.size()));
    size_t k = static_cast<size_t>(first);
    while (k > 0 && X(k - 1) > eps) --k;
    while (k < d_.p.size() && X(k) <= eps) ++k;
    if (k == d_.p.size()) return 0;
    return std::max(0.0, mass_[k] - std::exp(eps - X(k)) * weighted_[k]);
  }
  // The smallest eps >= 0 with delta_c(eps) <= target (delta_c falls continuously in eps).
  double EpsilonAt(double target) const {
    if (DeltaAt(0) <= target) return 0;
    double lo = 0, hi = std::max(Top(), 0.0);
    for (int i = 0; i < 200 && hi - lo > 1e-12 * std::max(1.0, hi); ++i) {
      const double mid = 0.5 * (lo + hi);
      if (DeltaAt(mid) <= target)
        hi = mid;
      else
        lo = mid;
    }
    return hi;
  }

 private:
  const Pmf& d_;
  double mesh_;
  std::vector<double> mass_, weighted_;
};

// log E[exp(l X)] for X on d's grid, in log space (l times the loss reaches thousands).
struct Phase {
  Pmf pmf;
  double steps = 0;
  std::vector<double> log_p;  // log of pmf.p, for the Chernoff bounds
};

double LogMgf(const Phase& ph, double mesh, double l) {
  double top = -std::numeric_limits<double>::infinity();
  for (size_t k = 0; k < ph.log_p.size(); ++k)
    top = std::max(top, ph.log_p[k] + l * (ph.pmf.offset + static_cast<double>(k) * mesh));
  double sum = 0;
  for (size_t k = 0; k < ph.log_p.size(); ++k)
    sum += std::exp(ph.log_p[k] + l * (ph.pmf.offset + static_cast<double>(k) * mesh) - top);
  return top + std::log(sum);
}

// Chernoff bounds on the discretised sum: a and b with P(S~ < a) and P(S~ > b) each at most budget / 2.
std::pair<double, double> ChernoffWindow(const std::vector<Phase>& phases, double mesh, double budget) {
  const double log_half = std::log(budget / 2);
  // The bound at l: b(l) = (sum_g T_g log M_g(l) - log(budget / 2)) / l (upper), and the mirror image for
  // the lower tail. Every l gives a valid bound; a coarse scan and a golden-section refinement find a good one.
  auto bound = [&](double l) {
    double total = 0;
    for (const auto& ph : phases) total += ph.steps * LogMgf(ph, mesh, l);
    return (total - log_half) / l;
  };
  // Minimises b(l) over l > 0 (sign 1), or -a(l) with a(l) = b(-l) (sign -1); a failed evaluation counts
  // as no bound.
  auto best = [&](double sign) {
    auto f = [&](double log_l) {
      const double v = sign * bound(sign * std::exp(log_l));
      return std::isfinite(v) ? v : std::numeric_limits<double>::infinity();
    };
    double best_x = 0, best_f = std::numeric_limits<double>::infinity();
    for (int j = -28; j <= 48; j += 4) {
      const double x = j * std::log(10.0) / 4;
      const double v = f(x);
      if (v < best_f) best_f = v, best_x = x;
    }
    double a = best_x - std::log(10.0), b = best_x + std::log(10.0);
    const double g = (std::sqrt(5.0) - 1) / 2;
    for (int i = 0; i < 30; ++i) {
      const double c = b - g * (b - a), d = a + g * (b - a);
      const double fc = f(c), fd = f(d);
      best_f = std::min({best_f, fc, fd});
      if (fc < fd)
        b = d;
      else
        a = c;
    }
    return best_f;
  };
  return {-best(-1), best(1)};
}

}  // namespace

Result<PrvReport> PrvAccount(std::span<const GaussianSteps> steps, double delta, const PrvOptions& options) {
  if (steps.empty()) return MakeError(ErrorCode::kInvalidArgument, "no steps to account for");
  for (const auto& s : steps) MG_TRY(CheckSteps(s));
  MG_TRY(CheckDelta(delta));
  if (!std::isfinite(options.epsilon_error) || options.epsilon_error <= 0 || options.epsilon_error > 10)
    return MakeError(ErrorCode::kInvalidArgument, "PRV epsilon error must be in (0, 10]");
  if (!std::isfinite(options.delta_error_share) || options.delta_error_share <= 0 || options.delta_error_share >= 0.5)
    return MakeError(ErrorCode::kInvalidArgument, "PRV delta error share must be in (0, 0.5)");
  if (options.max_points < 16) return MakeError(ErrorCode::kInvalidArgument, "PRV needs at least 16 grid points");

  // Steps with q = 0 release nothing: their loss is 0.
  std::vector<GaussianSteps> active;
  double total_steps = 0;
  for (const auto& s : steps) {
    if (s.sample_rate == 0) continue;
    active.push_back(s);
    total_steps += static_cast<double>(s.steps);
  }
  PrvReport report;
  if (active.empty()) return report;

  const double eta = options.delta_error_share * delta;  // Hoeffding failure probability
  const double tail_budget = eta / 10;                   // all steps' truncated tails together
  const double alias_budget = eta / 10;                  // the composed sum's mass outside its window
  // The mesh that gives the requested eps_err; coarser when the grids would not fit in max_points (a
  // run with an enormous epsilon), in which case the reported eps_err and bounds widen accordingly.
  double mesh = options.epsilon_error / std::sqrt(total_steps * std::log(2 / eta) / 2);
  std::vector<Phase> phases;
  double tau = 0, window_low = 0, window_high = 0, points = 0;
  for (int attempt = 0;; ++attempt) {
    if (attempt == 12)
      return MakeError(ErrorCode::kLimit, "PRV: no grid of at most " + std::to_string(options.max_points) +
                                              " points holds this composition");
    phases.clear();
    tau = 0;
    bool fits = true;
    for (const auto& s : active) {
      const StepLoss loss{s.sample_rate, s.noise_multiplier};
      auto step = Discretise(loss, mesh, tail_budget / total_steps, delta / 4 / total_steps, options.max_points);
      if (!step && step.error().code == ErrorCode::kLimit && attempt + 1 < 12) {
        fits = false;
        break;
      }
      if (!step) return std::move(step).error();
      tau += static_cast<double>(s.steps) * step->tail;
      Phase ph{std::move(step->pmf), static_cast<double>(s.steps), {}};
      for (double v : ph.pmf.p) ph.log_p.push_back(std::log(v));  // log 0 = -inf drops out of the sums
      phases.push_back(std::move(ph));
    }
    if (!fits) {
      mesh *= 4;
      continue;
    }
    std::tie(window_low, window_high) = ChernoffWindow(phases, mesh, alias_budget);
    if (!std::isfinite(window_low) || !std::isfinite(window_high) || window_high < window_low)
      return MakeError(ErrorCode::kLimit, "PRV: no Chernoff window for the composed loss");
    // Every phase's distribution must fit on the circle as well as the window.
    points = (window_high - window_low) / mesh + 2;
    for (const auto& ph : phases) points = std::max(points, static_cast<double>(ph.pmf.p.size()));
    if (points <= static_cast<double>(options.max_points)) break;
    mesh *= 1.1 * points / static_cast<double>(options.max_points);
  }
  size_t n = 1;
  while (static_cast<double>(n) < points) n <<= 1;
  // Each phase is placed with its mean index at 0 (circularly), so the phases raised to large powers stay
  // small near frequency 0 and the sum's position is known exactly: value = base + j * mesh.
  std::vector<Complex> product(n, Complex(1, 0));
  double base = 0;
  for (const auto& ph : phases) {
    double mean_index = 0;
    for (size_t k = 0; k < ph.pmf.p.size(); ++k) mean_index += ph.pmf.p[k] * static_cast<double>(k);
    const auto centre = static_cast<long long>(std::llround(mean_index));
    std::vector<Complex> f(n);
    for (size_t k = 0; k < ph.pmf.p.size(); ++k) {
      const long long position = (static_cast<long long>(k) - centre) % static_cast<long long>(n);
      f[static_cast<size_t>(position < 0 ? position + static_cast<long long>(n) : position)] += ph.pmf.p[k];
    }
    Fft(f, false);
    // z^T as |z|^T e^(i T arg z): repeated multiplication would be slower and no more exact.
    for (size_t k = 0; k < n; ++k) {
      const double magnitude = std::abs(f[k]);
      if (magnitude == 0) {
        product[k] = 0;
        continue;
      }
      product[k] *= std::polar(std::exp(ph.steps * std::log(magnitude)), ph.steps * std::arg(f[k]));
    }
    base += ph.steps * (ph.pmf.offset + static_cast<double>(centre) * mesh);
  }
  Fft(product, true);
  // Unwrap into the window: index j of the circle holds the sum's value base + J * mesh for the J = j mod n
  // that lies in [window_low, window_low + n * mesh).
  const auto first = static_cast<long long>(std::floor((window_low - base) / mesh));
  Pmf total;
  total.offset = base + static_cast<double>(first) * mesh;
  total.p.resize(n);
  for (size_t i = 0; i < n; ++i) {
    long long j = (first + static_cast<long long>(i)) % static_cast<long long>(n);
    if (j < 0) j += static_cast<long long>(n);
    // Rounding leaves values of order 1e-17 around zero; a probability is never negative.
    total.p[i] = std::max(product[static_cast<size_t>(j)].real(), 0.0);
  }
  report.mesh = mesh;
  report.epsilon_error = mesh * std::sqrt(total_steps * std::log(2 / eta) / 2);
  report.delta_error = eta;
  const double alias = alias_budget;  // Chernoff: at most this much mass lies outside the window
  report.lost_mass = tau + alias;
  report.grid_points = n;
  const double upper_target = delta - eta - tau - alias;
  if (!(upper_target > 0))
    return MakeError(ErrorCode::kLimit, "PRV: truncation lost " + Num(tau + alias) +
                                            " of probability, more than delta " + Num(delta) + " allows");
  const DeltaCurve curve(total, mesh);
  report.epsilon = curve.EpsilonAt(delta);
  report.epsilon_upper = curve.EpsilonAt(upper_target) + report.epsilon_error;
  report.epsilon_lower = std::max(0.0, curve.EpsilonAt(delta + eta + tau + alias) - report.epsilon_error);
  return report;
}

}  // namespace modelguard::privacy
