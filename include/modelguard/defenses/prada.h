#pragma once
// PRADA (Juuti, Szyller, Marchal, Asokan: "PRADA: Protecting against DNN Model Stealing Attacks", EuroS&P
// 2019): natural queries to a classifier have minimum distances to earlier queries that look normally
// distributed; synthetic extraction queries (JBDA and friends) do not. Per client, each query's minimum L2
// distance to the growing set of its predicted class is recorded, and the Shapiro–Wilk W of those
// distances falling below delta raises the alarm. Exact repeats of an earlier query are not recorded.
#include <cstdint>
#include <deque>
#include <span>
#include <vector>

namespace modelguard::defenses {

struct PradaOptions {
  double delta = 0.95;                  // alarm when W < delta
  size_t min_distances = 100;           // no verdict before this many recorded distances
  size_t max_growing_per_class = 4096;  // memory cap per client and class (oldest dropped)
  size_t window = 500;                  // W over the most recent distances: short enough to see a stream change regime
};

struct PradaVerdict {
  bool alarm = false;
  double w = 1.0;        // the latest statistic (1 before min_distances)
  size_t distances = 0;  // recorded so far
};

// One client's detector. Not thread-safe: the gateway keeps one per API key under a lock.
class PradaDetector {
 public:
  explicit PradaDetector(PradaOptions options = {}) : options_(options) {}
  PradaVerdict Observe(std::span<const double> query, int64_t predicted_class);
  const PradaVerdict& last() const { return last_; }
  size_t queries() const { return queries_; }

 private:
  struct ClassState {
    std::deque<std::vector<double>> growing;
    std::deque<double> distances;        // the distances this class's growing set recorded (threshold)
    double sum = 0, sum_of_squares = 0;  // of `distances`
  };
  PradaOptions options_;
  std::vector<ClassState> classes_;
  std::deque<double> distances_;
  std::vector<double> coefficients_;  // Shapiro–Wilk's, for the current window size
  std::vector<double> window_;        // scratch: the window, sorted
  PradaVerdict last_;
  size_t queries_ = 0;
};

}  // namespace modelguard::defenses
