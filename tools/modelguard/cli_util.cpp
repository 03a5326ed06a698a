#include "tools/modelguard/cli_util.h"

#include <fstream>
#include <iostream>
#include <iterator>

#include "modelguard/integrity/log.h"

namespace modelguard::cli {

Result<std::string> ReadFileText(const std::string& path) {
  if (path == "-") return std::string(std::istreambuf_iterator<char>(std::cin), {});
  std::ifstream in(path, std::ios::binary);
  if (!in) return MakeError(ErrorCode::kIo, "cannot read '" + path + "'");
  return std::string(std::istreambuf_iterator<char>(in), {});
}

Status AppendToLog(const std::string& database, std::string_view data, std::string_view kind) {
  auto log = integrity::TransparencyLog::Open(database);
  if (!log) return log.error();
  auto index = (*log)->Append(data, kind);
  if (!index) return index.error();
  std::cerr << "logged as entry " << *index << " of " << database << "\n";
  return Ok{};
}

void PrintDifferences(std::ostream& out, const std::vector<integrity::FileDifference>& differences) {
  for (const auto& d : differences) {
    out << "  " << integrity::ToString(d.kind) << ": " << d.name;
    if (!d.signed_digest.empty()) out << "  signed " << d.signed_digest;
    if (!d.actual_digest.empty()) out << "  actual " << d.actual_digest;
    out << "\n";
  }
}

nlohmann::ordered_json DifferencesJson(const std::vector<integrity::FileDifference>& differences) {
  auto list = nlohmann::ordered_json::array();
  for (const auto& d : differences) {
    list.push_back({{"kind", integrity::ToString(d.kind)},
                    {"name", d.name},
                    {"signed", d.signed_digest},
                    {"actual", d.actual_digest}});
  }
  return list;
}

}  // namespace modelguard::cli
