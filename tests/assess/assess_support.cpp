#include "assess/assess_support.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace modelguard::assess::testing {

TrainedModel Trained(const std::string& name) {
  TrainedModel out;
  TrainOptions options;
  ArchitectureOptions architecture;
  double fraction = 0.5;
  if (name == "digits-mlp") {
    options.epochs = 30;
  } else if (name == "digits-overfit") {
    fraction = 0.2;  // 359 samples, trained to memorise
    options.epochs = 300;
    architecture.hidden = 256;
  } else if (name == "digits-regular") {
    fraction = 0.5;
    options.epochs = 8;
    options.weight_decay = 2e-3;
    architecture.hidden = 64;
  } else {
    ADD_FAILURE() << "unknown recipe " << name;
    return out;
  }
  auto split = LoadDataset("digits", fraction, 1);
  if (!split.ok()) {
    ADD_FAILURE() << split.error().message;
    return out;
  }
  out.data = *split;
  const std::string dir = std::filesystem::temp_directory_path() / "modelguard-assess-tests";
  std::filesystem::create_directories(dir);
  out.path = dir + "/" + name + ".pt";
  if (std::filesystem::exists(out.path)) return out;
  auto model = BuildModel(architecture, split->train.sample_shape, split->train.classes, 1);
  if (!model.ok()) {
    ADD_FAILURE() << model.error().message;
    return out;
  }
  auto trained = TrainModel(*model, FeaturesTensor(split->train), LabelsTensor(split->train), options);
  if (!trained.ok()) ADD_FAILURE() << trained.error().message;
  model->info().training["train_fraction"] = fraction;
  model->info().training["split_seed"] = 1;
  // Parallel test processes may race to write the same model: write aside, then rename atomically.
  const std::string temporary = out.path + "." + std::to_string(::getpid());
  auto saved = model->Save(temporary);
  if (!saved.ok()) ADD_FAILURE() << saved.error().message;
  std::filesystem::rename(temporary, out.path);
  return out;
}

}  // namespace modelguard::assess::testing
