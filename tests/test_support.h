#pragma once
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
std::string FixtureDir();
std::string SharedDir();

}  // namespace modelguard::testing
