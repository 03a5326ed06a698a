#pragma once
// Small classifiers trained once per test run and cached in the test's temp directory (each gtest case
// runs in its own process under ctest, so training every case from scratch would dominate the suite).
#include <string>

#include "modelguard/assess/model.h"

namespace modelguard::assess::testing {

struct TrainedModel {
  std::string path;
  DataSplit data;
};

// `name` picks the recipe: "digits-mlp" (standard), "digits-overfit" (small train set, long training,
// no regularisation), "digits-regular" (weight decay, large train set, few epochs).
TrainedModel Trained(const std::string& name);

}  // namespace modelguard::assess::testing
