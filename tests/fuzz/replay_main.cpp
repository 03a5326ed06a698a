// Replays a kept fuzz corpus (fuzz/corpus/<target>/) through its harness, built without libFuzzer: every
// input the fuzzers kept, and every crash they found, runs on each test run with the build's own compiler
// and sanitizers. Usage: modelguard_fuzz_replay <target> <corpus directory>. Exit 0 when every input ran;
// a crash is the harness's own abort, trap or sanitizer report.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_replay_table.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <target> <corpus directory>\n", argv[0]);
    return 2;
  }
  const std::string target = argv[1];
  const auto entry = std::find_if(std::begin(kFuzzTargets), std::end(kFuzzTargets),
                                  [&](const FuzzTarget& t) { return target == t.name; });
  if (entry == std::end(kFuzzTargets)) {
    std::fprintf(stderr, "no fuzz target named '%s'\n", target.c_str());
    return 2;
  }
  std::vector<std::filesystem::path> inputs;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(argv[2], ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file()) inputs.push_back(it->path());
  }
  if (ec || inputs.empty()) {
    std::fprintf(stderr, "%s: no kept corpus in %s\n", target.c_str(), argv[2]);
    return 1;
  }
  std::sort(inputs.begin(), inputs.end());
  const auto start = std::chrono::steady_clock::now();
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Named before the run, so a crash report says which input it was.
    std::fprintf(stderr, "%s\n", path.filename().c_str());
    // libFuzzer never passes a null pointer, even for an empty input.
    static const uint8_t kEmpty = 0;
    entry->run(bytes.empty() ? &kEmpty : reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz_%s: %zu kept inputs replayed in %.2f s\n", target.c_str(), inputs.size(), seconds);
  return 0;
}
