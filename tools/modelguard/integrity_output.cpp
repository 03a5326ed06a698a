#include "tools/modelguard/integrity_output.h"

#include "modelguard/core/io.h"
#include "modelguard/integrity/log.h"
#include "tools/modelguard/cli_util.h"

namespace modelguard::cli {

Status AppendToLog(const std::string& database, std::string_view data, std::string_view kind) {
  MG_ASSIGN_OR_RETURN(auto log, integrity::TransparencyLog::Open(database));
  MG_ASSIGN_OR_RETURN(const uint64_t index, log->Append(data, kind));
  Note() << "logged as entry " << index << " of " << database << "\n";
  return Ok{};
}

void PrintDifferences(std::ostream& out, const std::vector<integrity::FileDifference>& differences) {
  for (const auto& d : differences) {
    out << "  " << integrity::ToString(d.kind) << ": " << EscapeControlCharacters(d.name);
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
