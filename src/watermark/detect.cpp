// Detection: green tokens counted over the whole sequence and over overlapping windows (watermark.h).
#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>

#include "modelguard/watermark/watermark.h"

namespace modelguard::watermark {

double ZScore(uint64_t green, uint64_t scored, double gamma) {
  if (scored == 0) return 0;
  const double t = static_cast<double>(scored);
  return (static_cast<double>(green) - gamma * t) / std::sqrt(t * gamma * (1 - gamma));
}

double PValue(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

Result<Detection> Detect(GreenLists& lists, std::span<const uint64_t> tokens, const DetectOptions& options) {
  const Scheme& scheme = lists.scheme();
  MG_TRY(Check(scheme));
  if (!std::isfinite(options.z_threshold))
    return MakeError(ErrorCode::kInvalidArgument, "the z threshold must be a finite number");
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] >= scheme.vocab_size)
      return MakeError(ErrorCode::kInvalidArgument, "token " + std::to_string(i) + " is " + std::to_string(tokens[i]) +
                                                        ", outside a vocabulary of " +
                                                        std::to_string(scheme.vocab_size));
  Detection out;
  out.tokens = tokens.size();
  // Per scored position: whether its token was green. Each token but the first is scored, seeded by the
  // one before it; with ignore_repeated_bigrams a (previous, token) pair counts at its first occurrence only.
  std::vector<std::pair<uint64_t, bool>> scored;  // (position, green)
  std::set<std::pair<uint64_t, uint64_t>> seen;
  for (size_t i = 1; i < tokens.size(); ++i) {
    if (options.ignore_repeated_bigrams && !seen.insert({tokens[i - 1], tokens[i]}).second) continue;
    scored.push_back({i, lists.IsGreen(tokens[i - 1], tokens[i])});
  }
  out.scored = scored.size();
  for (const auto& [position, green] : scored) out.green += green ? 1 : 0;
  out.green_fraction = out.scored ? static_cast<double>(out.green) / static_cast<double>(out.scored) : 0;
  out.z = ZScore(out.green, out.scored, scheme.gamma);
  out.p_value = out.scored ? PValue(out.z) : 1.0;
  out.watermarked = out.scored > 0 && out.z > options.z_threshold;

  // Windows of `window` scored tokens every window / 2 (the last one ends at the last token), then the
  // windows above the threshold merged into spans, each scored as a whole.
  const uint64_t window = options.window;
  if (window == 0 || scored.size() < window) return out;
  const uint64_t stride = std::max<uint64_t>(1, window / 2);
  std::vector<uint64_t> green_before(scored.size() + 1, 0);
  for (size_t i = 0; i < scored.size(); ++i) green_before[i + 1] = green_before[i] + (scored[i].second ? 1 : 0);
  auto score = [&](size_t first, size_t last) {  // scored entries [first, last)
    WindowScore w;
    w.begin = scored[first].first;
    w.end = scored[last - 1].first + 1;
    w.scored = last - first;
    w.green = green_before[last] - green_before[first];
    w.z = ZScore(w.green, w.scored, scheme.gamma);
    return w;
  };
  std::vector<std::pair<size_t, size_t>> ranges;  // each window's scored entries
  for (size_t first = 0;; first += stride) {
    const size_t last = std::min(first + window, scored.size());
    ranges.push_back({last - window, last});
    out.windows.push_back(score(last - window, last));
    if (last == scored.size()) break;
  }
  // Spans: consecutive windows above the threshold (overlapping or touching) form one span.
  size_t run_first = 0, run_last = 0;  // scored entries of the open span
  bool open = false;
  for (size_t k = 0; k < out.windows.size(); ++k) {
    if (!(out.windows[k].z > options.z_threshold)) continue;
    const auto [first, last] = ranges[k];
    if (open && first <= run_last) {
      run_last = std::max(run_last, last);
      continue;
    }
    if (open) {
      const WindowScore merged = score(run_first, run_last);
      out.spans.push_back({merged.begin, merged.end, merged.z});
    }
    run_first = first;
    run_last = last;
    open = true;
  }
  if (open) {
    const WindowScore merged = score(run_first, run_last);
    out.spans.push_back({merged.begin, merged.end, merged.z});
  }
  return out;
}

}  // namespace modelguard::watermark
