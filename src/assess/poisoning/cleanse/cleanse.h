#pragma once
// Neural Cleanse (Wang et al. 2019, "Neural Cleanse: Identifying and Mitigating Backdoor Attacks in Neural
// Networks"): for every class, the smallest trigger (a mask and a pattern) that sends clean inputs to that
// class. A backdoor's target class needs a much smaller trigger than the others; the median absolute
// deviation of the mask norms says how much smaller is anomalous. A model-level verdict: no per-sample
// scores.
#include <cstdint>
#include <vector>

#include "modelguard/assess/poisoning.h"

namespace modelguard::assess::poisoning {

const MethodDescriptor& CleanseMethod();

struct CleanseOptions {
  int steps = 300;               // optimisation steps (all classes at once)
  int64_t batch = 32;            // clean samples per step and class (the paper's batch)
  int64_t samples = 512;         // clean samples drawn for the whole optimisation
  double learning_rate = 0.1;    // Adam, betas (0.5, 0.9) as in the paper's code
  double initial_cost = 1e-3;    // weight of the mask's L1 norm, adapted while optimising
  double success_target = 0.99;  // share of inputs the trigger must send to the class
  int check_every = 5;           // steps between cost adjustments
  int patience = 3;              // checks above (below) the target before the cost goes up (down)
  double anomaly_threshold = 2;  // the paper's cut on the anomaly index
};

struct ReversedTrigger {
  int64_t target = 0;
  double norm = 0;       // L1 norm of the mask (pixels; a mask entry covers all channels)
  double success = 0;    // share of the samples the recovered trigger sends to `target`
  bool reached = false;  // the success target was reached (norm is then the smallest such mask's)
  torch::Tensor mask;    // sample-shaped, broadcast over channels for images
  torch::Tensor pattern;
};

// Optimises a mask and a pattern per class of `targets` so that (1 - mask) * x + mask * pattern is classified
// as that class, with the mask's L1 norm as a penalty whose weight follows the paper's schedule: raised by
// 1.5 after `patience` checks at or above the success target, lowered by 1.5^1.5 after `patience` checks
// below it. The classes are optimised together in one batch (each has its own parameters, loss term and
// cost, so this is the same optimisation as one class at a time, with far fewer forward passes).
Result<std::vector<ReversedTrigger>> ReverseTriggers(LocalModel& model, const torch::Tensor& x,
                                                     const std::vector<int64_t>& targets, const CleanseOptions& options,
                                                     uint64_t seed);

// The MAD anomaly index of every value: |v - median| / (1.4826 * median |v - median|).
std::vector<double> AnomalyIndexes(const std::vector<double>& values);

Result<MethodResult> RunCleanse(const AuditInput& input, const CleanseOptions& options);

}  // namespace modelguard::assess::poisoning
