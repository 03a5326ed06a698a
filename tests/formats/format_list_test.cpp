// The one list of formats, src/formats/formats.def, and what the build derives from it: every listed folder
// has sources, the registry holds one analyzer per entry, and every format has a fuzz target (derived in
// fuzz/CMakeLists.txt) with a kept seed corpus in fuzz/corpus/<target>/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "modelguard/formats/format.h"

namespace modelguard::formats {
namespace {

namespace fs = std::filesystem;
const std::string kSource = MODELGUARD_SOURCE_DIR;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::vector<std::string> Folders() {
  std::vector<std::string> folders;
  std::ifstream in(kSource + "/src/formats/formats.def");
  std::string line;
  // Lines "MODELGUARD_FORMAT(<folder>)"; no std::regex (GCC 12 warns inside it at -O2 with sanitizers).
  const std::string prefix = "MODELGUARD_FORMAT(";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) != 0) continue;
    const size_t close = line.find(')', prefix.size());
    const std::string folder = line.substr(prefix.size(), close == std::string::npos ? 0 : close - prefix.size());
    if (!folder.empty() && folder.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos)
      folders.push_back(folder);
  }
  return folders;
}

size_t CountFiles(const fs::path& dir) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    n += it->is_regular_file() && it->file_size() > 0;
  }
  return n;
}

TEST(FormatList, EveryEntryIsAFolderWithSourcesAndOneRegisteredAnalyzer) {
  const auto folders = Folders();
  ASSERT_GE(folders.size(), 15u);
  EXPECT_EQ(folders.size(), Registry().size());
  for (const auto& folder : folders) {
    const std::string sources = kSource + "/src/formats/" + folder;
    bool registers = false;
    std::error_code ec;
    for (auto it = fs::directory_iterator(sources, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
      if (it->path().extension() == ".cpp") {
        registers |=
            ReadText(it->path().string()).find("MODELGUARD_REGISTER_FORMAT(" + folder + ",") != std::string::npos;
      }
    }
    EXPECT_TRUE(registers) << "src/formats/" << folder << "/ does not MODELGUARD_REGISTER_FORMAT(" << folder
                           << ", ...)";
  }
}

TEST(FormatList, EveryFormatHasAFuzzTargetAndAKeptCorpus) {
  // The targets come from the list itself; a folder without its own harness gets fuzz_format.cpp.
  const std::string cmake = ReadText(kSource + "/fuzz/CMakeLists.txt");
  EXPECT_NE(cmake.find("modelguard_format_folders("), std::string::npos)
      << "fuzz/CMakeLists.txt no longer derives its format targets from src/formats/formats.def";
  auto targets = Folders();
  targets.push_back("any");  // the whole sniff-and-analyse path
  // The other targets (the shared .npy header reader first) are listed in fuzz/targets.cmake; the test suite
  // replays their corpora too (tests/fuzz/).
  const std::string others = ReadText(kSource + "/fuzz/targets.cmake");
  EXPECT_NE(others.find("npy_header"), std::string::npos);
  for (const auto& target : targets) {
    EXPECT_GE(CountFiles(kSource + "/fuzz/corpus/" + target), 1u)
        << "fuzz target fuzz_" << target << " has no kept seed corpus in fuzz/corpus/" << target << "/";
  }
}

}  // namespace
}  // namespace modelguard::formats
