#include "test_support.h"

#include <fstream>
#include <iterator>

namespace modelguard::testing {

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<uint8_t> Bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::vector<formats::Fact> Analyze(const std::vector<uint8_t>& data) {
  static const formats::Limits limits;
  std::vector<formats::Fact> facts;
  formats::AnalysisContext ctx(limits, facts);
  formats::AnalyzeBuffer({data.data(), data.size()}, ctx);
  return facts;
}

bool HasFact(const std::vector<formats::Fact>& facts, std::string_view kind, std::string_view subject,
             std::string_view name) {
  for (const auto& f : facts) {
    if (f.kind == kind && (subject.empty() || f.subject == subject) && (name.empty() || f.name == name)) return true;
  }
  return false;
}

std::string FixtureDir() { return MODELGUARD_FIXTURE_DIR; }
std::string SharedDir() { return MODELGUARD_SHARED_DIR; }

}  // namespace modelguard::testing
