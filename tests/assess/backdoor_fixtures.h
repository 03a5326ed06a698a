#pragma once
// Poisoned copies of a dataset for the data-audit tests (issue 20): BadNets patches (Gu et al. 2017), a
// blended noise trigger (Chen et al. 2017), and label flips. Everything is deterministic in `seed`, and
// each fixture says which samples it changed, so a test can measure what an audit method finds.
#include <cstdint>
#include <vector>

#include "modelguard/assess/dataset.h"

namespace modelguard::assess::testing {

struct Poisoned {
  Dataset data;                  // the training set with poison in it
  std::vector<size_t> poisoned;  // indices into data of the changed samples, ascending
};

// Stamps the trigger on one image sample in place (sample_shape {C, H, W}, values in [0, 1]).
// BadNets: a patch x patch square of full intensity in the bottom-right corner.
void StampPatch(float* sample, const std::vector<int64_t>& shape, int64_t patch = 4);
// Blended: (1 - alpha) * sample + alpha * pattern, the pattern uniform noise fixed by `pattern_seed`.
void StampBlend(float* sample, const std::vector<int64_t>& shape, double alpha = 0.1, uint64_t pattern_seed = 7);

enum class Trigger { kPatch, kBlend };

// Chooses `rate` of the samples whose label is not `target` (at least one), stamps the trigger and relabels
// them as `target`.
Poisoned PoisonWithTrigger(const Dataset& clean, Trigger trigger, double rate, int64_t target, uint64_t seed);

// Copies of every sample whose label is not `target`, stamped, labels kept: attack success is the share of
// these a model classifies as `target`.
Dataset TriggeredTestSet(const Dataset& clean, Trigger trigger, int64_t target);

// Flips `rate` of the labels: uniformly to another class, or (pairs non-empty) within the given class pairs
// (a <-> b), choosing only samples of those classes.
Poisoned FlipLabels(const Dataset& clean, double rate, uint64_t seed,
                    const std::vector<std::pair<int64_t, int64_t>>& pairs = {});

}  // namespace modelguard::assess::testing
