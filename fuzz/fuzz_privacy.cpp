// The privacy accountants on arbitrary (q, sigma, T, delta, orders): either a clear error or finite figures
// that obey what a sound accountant must (epsilon >= 0, the improved conversion never above the classic
// one, more steps or less noise never lowering epsilon, PRV's estimate inside its bounds).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "modelguard/privacy/accountant.h"

namespace {

struct Reader {
  const uint8_t* data;
  size_t size;
  size_t at = 0;
  uint64_t Bits(size_t bytes) {
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v = (v << 8) | (at < size ? data[at++] : 0);
    return v;
  }
  double Raw() {
    const uint64_t bits = Bits(8);
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
};

bool Close(double a, double b) { return a <= b * (1 + 1e-9) + 1e-12; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace modelguard::privacy;
  Reader in{data, size};
  const bool raw = in.Bits(1) & 1;
  GaussianSteps s;
  double delta;
  if (raw) {  // any double at all: NaN, infinities, negatives, denormals
    s = {in.Raw(), in.Raw(), in.Bits(8)};
    delta = in.Raw();
  } else {  // plausible ranges, so most inputs get past validation
    s.sample_rate = static_cast<double>(in.Bits(2)) / 65535.0;
    s.noise_multiplier = std::exp(-14.0 + 28.0 * static_cast<double>(in.Bits(2)) / 65535.0);
    s.steps = 1 + in.Bits(3) % 10000000;
    delta = std::pow(10.0, -1.0 - static_cast<double>(in.Bits(1) % 15));
  }
  std::vector<double> orders;
  const size_t count = 1 + in.Bits(1) % 4;
  for (size_t i = 0; i < count; ++i) orders.push_back(raw ? in.Raw() : 1.01 + static_cast<double>(in.Bits(2)) / 256.0);

  auto rdp = RdpAccount(std::span(&s, 1), delta, orders);
  if (rdp) {
    const double eps = rdp->improved.epsilon;
    if (!std::isfinite(eps) || eps < 0 || !std::isfinite(rdp->classic.epsilon)) __builtin_trap();
    if (!Close(eps, rdp->classic.epsilon)) __builtin_trap();
    GaussianSteps more = s;
    more.steps = s.steps < (UINT64_MAX / 2) ? s.steps + s.steps / 2 + 1 : UINT64_MAX;  // never wraps
    auto longer = RdpAccount(std::span(&more, 1), delta, orders);
    if (longer && !Close(eps, longer->improved.epsilon)) __builtin_trap();
    GaussianSteps noisier = s;
    noisier.noise_multiplier = s.noise_multiplier * 1.1;
    auto quieter = RdpAccount(std::span(&noisier, 1), delta, orders);
    if (quieter && !Close(quieter->improved.epsilon, eps)) __builtin_trap();
  }
  // PRV costs an FFT of the composed distribution: small step counts and a coarse grid only.
  if (s.steps <= 1000) {
    PrvOptions options;
    options.epsilon_error = 0.1;
    options.max_points = size_t{1} << 16;
    auto prv = PrvAccount(std::span(&s, 1), delta, options);
    if (prv) {
      if (!std::isfinite(prv->epsilon_lower) || !std::isfinite(prv->epsilon_upper)) __builtin_trap();
      if (prv->epsilon_lower > prv->epsilon || prv->epsilon > prv->epsilon_upper || prv->epsilon_lower < 0)
        __builtin_trap();
    }
  }
  return 0;
}
