// The data audit: runs the chosen methods, combines their scores into one ranking, writes the cleaned
// dataset and the manifest of what was removed.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>

#include "modelguard/assess/audit.h"
#include "modelguard/core/io.h"
#include "src/assess/poisoning/linalg.h"

namespace modelguard::assess::poisoning {
namespace {

// The weight of the within-class rank in a class no method flagged anything in: small, so such classes come
// last, yet not zero, so their samples stay ordered among themselves.
constexpr double kMinClassWeight = 1e-3;

const MethodDescriptor* FindMethod(const std::string& name) {
  for (const MethodDescriptor& method : Methods()) {
    if (name == method.name) return &method;
  }
  return nullptr;
}

std::string MethodNames() {
  std::string out;
  for (const MethodDescriptor& method : Methods()) out += (out.empty() ? "" : ", ") + std::string(method.name);
  return out;
}

nlohmann::ordered_json NumberOrNull(double value) {
  return std::isfinite(value) ? nlohmann::ordered_json(value) : nlohmann::ordered_json(nullptr);
}

}  // namespace

std::vector<double> CombineScores(const std::vector<MethodResult>& results, const Dataset& data) {
  const size_t n = data.size();
  std::vector<double> rank_sum(n, 0), flags(n, 0);
  std::vector<int> rank_count(n, 0);
  const auto by_class = IndicesByClass(data);
  for (const MethodResult& result : results) {
    if (result.scores.size() != n) continue;  // model-level methods score no samples
    for (const auto& indices : by_class) {
      std::vector<int64_t> scored;
      for (int64_t i : indices)
        if (std::isfinite(result.scores[static_cast<size_t>(i)])) scored.push_back(i);
      std::stable_sort(scored.begin(), scored.end(), [&](int64_t a, int64_t b) {
        return result.scores[static_cast<size_t>(a)] < result.scores[static_cast<size_t>(b)];
      });
      // Ties share the mean of their ranks, so equal scores combine equally.
      for (size_t start = 0; start < scored.size();) {
        size_t end = start + 1;
        const double value = result.scores[static_cast<size_t>(scored[start])];
        while (end < scored.size() && result.scores[static_cast<size_t>(scored[end])] == value) ++end;
        const double rank = (static_cast<double>(start + end + 1) / 2) / static_cast<double>(scored.size());
        for (size_t j = start; j < end; ++j) {
          rank_sum[static_cast<size_t>(scored[j])] += rank;
          ++rank_count[static_cast<size_t>(scored[j])];
        }
        start = end;
      }
    }
    if (result.flagged.size() == n) {
      for (size_t i = 0; i < n; ++i) flags[i] += result.flagged[i] ? 1 : 0;
    }
  }
  // The share of each class that some method flagged.
  std::vector<double> class_share(by_class.size(), 0);
  for (size_t c = 0; c < by_class.size(); ++c) {
    size_t flagged = 0;
    for (int64_t i : by_class[c]) flagged += flags[static_cast<size_t>(i)] > 0 ? 1 : 0;
    if (!by_class[c].empty()) class_share[c] = static_cast<double>(flagged) / static_cast<double>(by_class[c].size());
  }
  std::vector<double> combined(n, std::nan(""));
  for (size_t i = 0; i < n; ++i) {
    if (rank_count[i] == 0) continue;
    const double share = std::max(class_share[static_cast<size_t>(data.labels[i])], kMinClassWeight);
    combined[i] = flags[i] + share * rank_sum[i] / rank_count[i];
  }
  return combined;
}

std::vector<size_t> RankByScore(const std::vector<double>& combined) {
  std::vector<size_t> order(combined.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const bool fa = std::isfinite(combined[a]), fb = std::isfinite(combined[b]);
    if (fa != fb) return fa;
    return fa && combined[a] > combined[b];
  });
  return order;
}

Result<AuditReport> RunAudit(const AuditInput& input, const std::vector<std::string>& methods) {
  if (input.data == nullptr || input.data->size() == 0)
    return MakeError(ErrorCode::kInvalidArgument, "the dataset has no samples");
  if (methods.empty()) return MakeError(ErrorCode::kInvalidArgument, "no audit method chosen (" + MethodNames() + ")");
  std::vector<const MethodDescriptor*> chosen;
  for (const std::string& name : methods) {
    const MethodDescriptor* method = FindMethod(name);
    if (method == nullptr)
      return MakeError(ErrorCode::kInvalidArgument, "unknown audit method '" + name + "' (" + MethodNames() + ")");
    if (std::find(chosen.begin(), chosen.end(), method) != chosen.end())
      return MakeError(ErrorCode::kInvalidArgument, "audit method '" + name + "' named twice");
    chosen.push_back(method);
  }
  for (const MethodDescriptor* method : chosen) {
    if (method->needs_model && input.model == nullptr)
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string("the ") + method->name + " method needs a model (--model)");
  }
  const auto start = std::chrono::steady_clock::now();
  AuditReport report;
  for (const MethodDescriptor* method : chosen) {
    if (input.progress) input.progress(std::string(method->name) + ": running");
    MG_ASSIGN_OR_RETURN(MethodResult result, method->run(input));
    result.method = method->name;
    const size_t n = input.data->size();
    if (!result.scores.empty() && (result.scores.size() != n || result.flagged.size() != n))
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(method->name) + ": returned scores for a different number of samples");
    report.model_flagged = report.model_flagged || result.model_flagged;
    report.results.push_back(std::move(result));
  }
  report.combined = CombineScores(report.results, *input.data);
  report.ranking = RankByScore(report.combined);
  for (size_t i = 0; i < input.data->size(); ++i) {
    const bool flagged = std::any_of(report.results.begin(), report.results.end(),
                                     [&](const MethodResult& r) { return r.flagged.size() > i && r.flagged[i]; });
    report.flagged_samples += flagged ? 1 : 0;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

nlohmann::ordered_json SampleJson(const AuditReport& report, const Dataset& data, size_t sample, size_t rank) {
  nlohmann::ordered_json scores = nlohmann::ordered_json::object(), flagged = nlohmann::ordered_json::array();
  for (const MethodResult& result : report.results) {
    if (result.scores.size() != data.size()) continue;
    scores[result.method] = NumberOrNull(result.scores[sample]);
    if (result.flagged[sample]) flagged.push_back(result.method);
  }
  return {{"index", sample},  {"class", data.labels[sample]},
          {"rank", rank},     {"combined", NumberOrNull(report.combined[sample])},
          {"scores", scores}, {"flagged_by", flagged}};
}

nlohmann::ordered_json AuditToJson(const AuditReport& report, const Dataset& data, size_t top) {
  nlohmann::ordered_json out{{"schema", kAuditSchema},
                             {"dataset", report.dataset},
                             {"model", report.model},
                             {"samples", data.size()},
                             {"classes", data.classes},
                             {"flagged_samples", report.flagged_samples},
                             {"model_flagged", report.model_flagged},
                             {"seconds", report.seconds}};
  nlohmann::ordered_json methods = nlohmann::ordered_json::array();
  for (const MethodResult& result : report.results) {
    const MethodDescriptor* descriptor = FindMethod(result.method);
    const auto flagged = static_cast<size_t>(std::count(result.flagged.begin(), result.flagged.end(), true));
    nlohmann::ordered_json entry{{"name", result.method}};
    if (descriptor != nullptr) {
      entry["summary"] = descriptor->summary;
      entry["reference"] = descriptor->reference;
    }
    entry["flagged"] = flagged;
    entry["model_flagged"] = result.model_flagged;
    entry["details"] = result.details;
    methods.push_back(entry);
  }
  out["methods"] = methods;
  nlohmann::ordered_json samples = nlohmann::ordered_json::array();
  for (size_t r = 0; r < std::min(top, report.ranking.size()); ++r) {
    const size_t sample = report.ranking[r];
    if (!std::isfinite(report.combined[sample])) break;
    samples.push_back(SampleJson(report, data, sample, r + 1));
  }
  out["ranked"] = samples;
  return out;
}

std::string NpyBytes(const std::string& descr, const std::vector<int64_t>& shape, const void* data, size_t bytes) {
  std::string dims;
  for (int64_t dim : shape) dims += std::to_string(dim) + ", ";
  if (shape.size() > 1) dims.resize(dims.size() - 1);  // (3,) for one axis, (3, 4) for more
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  out += header;
  out.append(static_cast<const char*>(data), bytes);
  return out;
}

Status WriteCleanDataset(const AuditReport& report, const Dataset& data, size_t remove_top,
                         const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return MakeError(ErrorCode::kIo, "cannot create " + directory + ": " + error.message());
  std::vector<bool> removed(data.size(), false);
  nlohmann::ordered_json entries = nlohmann::ordered_json::array();
  for (size_t r = 0; r < std::min(remove_top, report.ranking.size()); ++r) {
    const size_t sample = report.ranking[r];
    if (!std::isfinite(report.combined[sample])) break;  // never remove what no method scored
    removed[sample] = true;
    entries.push_back(SampleJson(report, data, sample, r + 1));
  }
  std::vector<size_t> kept;
  for (size_t i = 0; i < data.size(); ++i)
    if (!removed[i]) kept.push_back(i);
  const Dataset clean = data.Subset(kept);
  std::vector<int64_t> shape{static_cast<int64_t>(clean.size())};
  shape.insert(shape.end(), data.sample_shape.begin(), data.sample_shape.end());
  MG_TRY(WriteFileAtomic(directory + "/features.npy",
                         NpyBytes("<f4", shape, clean.features.data(), clean.features.size() * sizeof(float))));
  MG_TRY(
      WriteFileAtomic(directory + "/labels.npy", NpyBytes("<i8", {static_cast<int64_t>(clean.size())},
                                                          clean.labels.data(), clean.labels.size() * sizeof(int64_t))));
  nlohmann::ordered_json manifest{
      {"schema", kAuditSchema}, {"dataset", report.dataset},       {"model", report.model}, {"samples", data.size()},
      {"kept", clean.size()},   {"removed_count", entries.size()}, {"removed", entries}};
  return WriteFileAtomic(directory + "/removed.json", manifest.dump(2) + "\n");
}

}  // namespace modelguard::assess::poisoning
