#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modelguard/formats/format.h"

namespace modelguard::testing {

std::vector<uint8_t> ReadFile(const std::string& path);
std::vector<uint8_t> Bytes(std::string_view s);
// Facts from analysing `data` as a top-level buffer.
std::vector<formats::Fact> Analyze(const std::vector<uint8_t>& data);
bool HasFact(const std::vector<formats::Fact>& facts, std::string_view kind, std::string_view subject = {},
             std::string_view name = {});
// `bytes` deflated at level 9 in the framing zlib's `window_bits` names (15: zlib, 15 + 16: gzip, -15: raw).
std::vector<uint8_t> Deflate(std::string_view bytes, int window_bits);
std::string FixtureDir();
// Runs `/usr/bin/python3 <source dir>/<script> CASES.json` on `cases` and returns the JSON it prints
// (reference computations with SciPy, NumPy, mpmath); a failed run or unparsable output fails the test.
nlohmann::json RunPythonReference(const std::string& script, const nlohmann::json& cases);
std::string SharedDir();
// An empty directory of its own for this test process: <tmp>/modelguard-<name>-<pid>, emptied if it exists.
std::string TempDir(const std::string& name);

}  // namespace modelguard::testing
