#include "test_support.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace modelguard::testing {

std::vector<uint8_t> Deflate(std::string_view bytes, int window_bits) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::vector<uint8_t> out(deflateBound(&zs, bytes.size()) + 64);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  zs.avail_in = static_cast<uInt>(bytes.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

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

std::string TempDir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("modelguard-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

nlohmann::json RunPythonReference(const std::string& script, const nlohmann::json& cases) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("modelguard-reference-" + std::to_string(::getpid()) + ".json"))
          .string();
  std::ofstream(path) << cases.dump();
  const std::string command = "/usr/bin/python3 " MODELGUARD_SOURCE_DIR "/" + script + " " + path;
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  char buffer[65536];
  size_t n;
  while (pipe && (n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
  const int status = pipe ? pclose(pipe) : -1;
  std::filesystem::remove(path);
  EXPECT_EQ(status, 0) << output;
  auto parsed = nlohmann::json::parse(output, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << output;
  return parsed;
}

}  // namespace modelguard::testing
