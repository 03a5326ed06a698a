// The manifest serializer reproduces model_signing's serialization goldens
// (../shared/interop/model-signing/serialization-goldens) on the same trees upstream's tests build
// (tests/conftest.py: sample_model_folder with d{i}/f{i}{j} "This is file f{i}{j} in d{i}.", ...).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "modelguard/integrity/manifest.h"
#include "test_support.h"

namespace modelguard::integrity {
namespace {
namespace fs = std::filesystem;

constexpr const char* kKnownModelText = "This is a simple model";

void Write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class ManifestGoldens : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("mg-manifest-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    Write(root_ / "sample_model_file", kKnownModelText);
    Write(root_ / "empty_model_file", "");
    for (int i = 0; i < 2; ++i) {
      for (int j = 0; j < 3; ++j) {
        Write(root_ / "sample_model_folder" / ("d" + std::to_string(i)) / ("f" + std::to_string(i) + std::to_string(j)),
              "This is file f" + std::to_string(i) + std::to_string(j) + " in d" + std::to_string(i) + ".");
      }
    }
    for (int i = 0; i < 4; ++i) {
      Write(root_ / "sample_model_folder" / ("f" + std::to_string(i)),
            "This is file f" + std::to_string(i) + " in root.");
    }
    fs::create_directories(root_ / "empty_model_folder");
    Write(root_ / "model_folder_with_empty_file" / "empty_file", "");
    fs::path deep = root_ / "deep_model_folder";
    for (int i = 0; i < 5; ++i) deep /= "d" + std::to_string(i);
    for (int i = 0; i < 4; ++i) Write(deep / ("f" + std::to_string(i)), "This is file f" + std::to_string(i) + ".");
    Write(root_ / "external_file", kKnownModelText);
    fs::create_directories(root_ / "symlink_model_folder");
    fs::create_symlink(root_ / "external_file", root_ / "symlink_model_folder" / "symlink_file");
  }
  void TearDown() override { fs::remove_all(root_); }

  void Check(const std::string& model, const std::string& golden, ManifestOptions options) {
    options.allow_symlinks = true;
    auto manifest = BuildManifest((root_ / model).string(), options);
    ASSERT_TRUE(manifest.ok()) << manifest.error().message;
    std::set<std::string> ours, theirs;
    for (const auto& r : manifest->resources) ours.insert(ManifestLine(*manifest, r));
    std::ifstream in(testing::SharedDir() + "/interop/model-signing/serialization-goldens/" + golden);
    ASSERT_TRUE(in) << golden;
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) theirs.insert(line);
    }
    EXPECT_EQ(ours, theirs) << golden;
  }

  fs::path root_;
};

const char* kModels[] = {"sample_model_file",
                         "empty_model_file",
                         "sample_model_folder",
                         "empty_model_folder",
                         "model_folder_with_empty_file",
                         "deep_model_folder",
                         "symlink_model_folder"};

TEST_F(ManifestGoldens, FileMethodMatchesUpstream) {
  for (const char* model : kModels) Check(model, std::string("file/TestSerializer/") + model, {});
}

TEST_F(ManifestGoldens, ShardMethodMatchesUpstream) {
  for (const char* model : kModels) {
    ManifestOptions options;
    options.method = ManifestMethod::kShards;
    Check(model, std::string("file_shard/TestSerializer/") + model, options);
    options.shard_size = 8;  // upstream's "small shards"
    Check(model, std::string("file_shard/TestSerializer/") + model + "_small_shards", options);
  }
}

TEST_F(ManifestGoldens, SymlinksAreRefusedByDefaultAndGitIsIgnored) {
  EXPECT_FALSE(BuildManifest((root_ / "symlink_model_folder").string(), {}).ok());
  Write(root_ / "sample_model_folder" / ".git" / "HEAD", "ref: refs/heads/main");
  Write(root_ / "sample_model_folder" / "ignore-me", "x");
  ManifestOptions options;
  options.ignore_paths = {"ignore-me"};
  auto with_git = BuildManifest((root_ / "sample_model_folder").string(), options);
  ASSERT_TRUE(with_git.ok());
  EXPECT_EQ(with_git->resources.size(), 10u);
  // The root digest changes with any content change.
  const auto before = with_git->root_digest;
  Write(root_ / "sample_model_folder" / "f0", "changed");
  EXPECT_NE(BuildManifest((root_ / "sample_model_folder").string(), options)->root_digest, before);
}

}  // namespace
}  // namespace modelguard::integrity
