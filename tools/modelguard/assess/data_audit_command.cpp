// `modelguard data audit`: argument parsing, loading and output only; the methods and the ranking are in
// src/assess/poisoning/. `modelguard data audit ...` is handed to this binary (libtorch) by the main one.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "modelguard/assess/audit.h"
#include "modelguard/assess/dataset.h"
#include "modelguard/core/cancel.h"
#include "tools/modelguard/assess/data_audit_text.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

using assess::Dataset;
namespace poisoning = assess::poisoning;

constexpr const char* kCommand = "data audit";

struct AuditArgs {
  std::string dataset;
  std::string model;
  std::string layer;
  std::string methods;
  std::string probabilities;  // labels: out-of-sample probabilities instead of k-fold training
  std::string clean;          // held-out samples trusted to be clean (STRIP's calibration and overlays)
  uint64_t seed = 1;
  std::string report_dir;
  int64_t remove_top = -1;  // -1: the flagged samples
  std::string clean_dir;
  size_t top = 20;
  std::string format = "text";
  int threads = 0;
  // Text datasets (JSONL): trigger phrases and near copies, no model.
  std::string text_field;
  std::string label_field;
  uint64_t min_count = 5;
  double min_purity = 0.95;
};

int Fail(const std::string& message) {
  std::cerr << "modelguard " << kCommand << ": " << message << "\n";
  return 2;
}

std::string AllMethods() {
  std::string out;
  for (const auto& method : poisoning::Methods()) out += (out.empty() ? "" : ",") + std::string(method.name);
  return out;
}

std::string DefaultMethods() {
  std::string out;
  for (const auto& method : poisoning::Methods())
    if (method.by_default) out += (out.empty() ? "" : ",") + std::string(method.name);
  return out;
}

std::string MethodHelp() {
  std::string out = "Methods (--methods; default: " + DefaultMethods() + "):\n";
  for (const auto& method : poisoning::Methods()) {
    out += std::string("  ") + method.name + ": " + method.summary + (method.needs_model ? " [needs --model]" : "") +
           (method.by_default ? "" : " [only when named]") + "\n    " + method.reference + "\n";
  }
  return out +
         "Samples are ranked by the number of methods that flag them, then by their per-class rank under each\n"
         "method, weighted by how much of their class was flagged. Reference: docs/data.md, \"data audit\".";
}

// The paths a dataset spec reads (so outputs never replace them).
std::vector<std::string> SpecPaths(const std::string& spec) {
  for (const char* prefix : {"npy:", "csv:", "csv-columns:", "idx:"}) {
    if (spec.rfind(prefix, 0) != 0) continue;
    const std::string rest = spec.substr(std::string(prefix).size());
    return std::string(prefix) == "npy:" ? SplitCommaList(rest) : std::vector<std::string>{rest};
  }
  return {};
}

// The whole dataset, in file order where the format has one: NPY and CSV are parsed directly; datasets with
// their own split (IDX, fashion-mnist) are train then test, as on disk; scikit-learn's named tables come
// shuffled by LoadDataset (seed 1), and their indices refer to that order.
Result<Dataset> LoadWhole(const std::string& spec, std::string& order) {
  order = "file";
  const auto paths = SpecPaths(spec);
  if (spec.rfind("npy:", 0) == 0) {
    if (paths.size() != 2) return MakeError(ErrorCode::kInvalidArgument, "npy: needs FEATURES.npy,LABELS.npy");
    MG_ASSIGN_OR_RETURN(const std::string x, assess::ReadMaybeGzip(paths[0]));
    MG_ASSIGN_OR_RETURN(const std::string y, assess::ReadMaybeGzip(paths[1]));
    MG_ASSIGN_OR_RETURN_CONTEXT(Dataset data, assess::ParseNpy(x, y), spec + ": ");
    data.name = spec;
    return data;
  }
  const bool columns = spec.rfind("csv-columns:", 0) == 0;
  if (columns || spec.rfind("csv:", 0) == 0) {
    MG_ASSIGN_OR_RETURN(const std::string text, assess::ReadMaybeGzip(paths[0]));
    MG_ASSIGN_OR_RETURN_CONTEXT(
        Dataset data, assess::ParseCsv(text, columns ? assess::CsvScaling::kColumn : assess::CsvScaling::kGlobal),
        paths[0] + ": ");
    data.name = spec;
    return data;
  }
  MG_ASSIGN_OR_RETURN(assess::DataSplit split, assess::LoadDataset(spec));
  const bool own_split = spec == "fashion-mnist" || spec.rfind("idx:", 0) == 0;
  if (!own_split) order = "shuffled with seed 1 (train then test half), as LoadDataset gives a named table";
  Dataset data = std::move(split.train);
  if (data.sample_shape != split.test.sample_shape)
    return MakeError(ErrorCode::kParse, spec + ": train and test samples differ in shape");
  data.features.insert(data.features.end(), split.test.features.begin(), split.test.features.end());
  data.labels.insert(data.labels.end(), split.test.labels.begin(), split.test.labels.end());
  data.classes = std::max(data.classes, split.test.classes);
  data.name = spec;
  return data;
}

void PrintText(const poisoning::AuditReport& report, const Dataset& data, size_t top) {
  std::cout << "data audit: " << report.dataset << " (" << data.size() << " samples, " << data.classes << " classes)\n";
  for (const auto& result : report.results) {
    const auto flagged = std::count(result.flagged.begin(), result.flagged.end(), true);
    std::cout << "  " << result.method << ": " << flagged << " samples flagged";
    if (result.details.contains("classes")) {
      std::string poisoned;
      for (const auto& entry : result.details["classes"]) {
        if (entry.value("poisoned", false)) poisoned += (poisoned.empty() ? "" : ", ") + entry["class"].dump();
      }
      if (!poisoned.empty()) std::cout << " (poisoned classes: " << poisoned << ")";
    }
    if (result.model_flagged) std::cout << "; the model is flagged";
    std::cout << "\n";
  }
  std::cout << report.flagged_samples << " of " << data.size() << " samples flagged by at least one method"
            << (report.model_flagged ? "; the model is flagged as backdoored" : "") << "\n";
  const size_t shown = std::min(top, report.ranking.size());
  if (shown > 0) std::cout << "most suspicious (rank: index, class, combined score):\n";
  for (size_t r = 0; r < shown; ++r) {
    const size_t i = report.ranking[r];
    if (!std::isfinite(report.combined[i])) break;
    std::cout << "  " << r + 1 << ": " << i << ", class " << data.labels[i] << ", " << report.combined[i] << "\n";
  }
}

int RunDataAudit(AuditArgs& args) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop between batches; exit 2
  if (args.threads > 0) torch::set_num_threads(args.threads);
  const std::vector<std::string> methods = SplitCommaList(args.methods.empty() ? DefaultMethods() : args.methods);
  std::vector<std::string> known;
  bool needs_model = false;
  for (const std::string& name : methods) {
    const auto all = poisoning::Methods();
    const auto found = std::find_if(all.begin(), all.end(), [&](const auto& m) { return name == m.name; });
    if (found == all.end()) return Fail("unknown method '" + name + "' (" + AllMethods() + ")");
    needs_model = needs_model || found->needs_model;
  }
  if (methods.empty()) return Fail("--methods is empty (" + AllMethods() + ")");
  if (needs_model && args.model.empty()) return Fail("the chosen methods need the model trained on the data (--model)");
  std::vector<std::string> inputs = SpecPaths(args.dataset);
  if (!args.clean.empty()) {
    const std::vector<std::string> clean_paths = SpecPaths(args.clean);
    inputs.insert(inputs.end(), clean_paths.begin(), clean_paths.end());
  }
  if (!args.model.empty()) {
    if (!CheckInputFile(args.model, kCommand)) return 2;
    inputs.push_back(args.model);
  }
  if (!args.report_dir.empty()) {
    if (auto usable = CheckReportFolder(args.report_dir, {"report.json", "report.html"}, inputs, "--report"); !usable)
      return Fail(usable.error().message);
  }
  if (!args.clean_dir.empty()) {
    if (auto usable =
            CheckReportFolder(args.clean_dir, {"features.npy", "labels.npy", "removed.json"}, inputs, "--write-clean");
        !usable)
      return Fail(usable.error().message);
  }

  std::string order;
  auto data = LoadWhole(args.dataset, order);
  if (!data) return Fail(data.error().message);
  Note() << "modelguard " << kCommand << ": " << data->size() << " samples, " << data->classes << " classes\n";
  std::optional<Dataset> clean;
  if (!args.clean.empty()) {
    std::string clean_order;
    auto loaded = LoadWhole(args.clean, clean_order);
    if (!loaded) return Fail("--clean: " + loaded.error().message);
    if (loaded->SampleSize() != data->SampleSize())
      return Fail("--clean: its samples have " + std::to_string(loaded->SampleSize()) + " values, the dataset's " +
                  std::to_string(data->SampleSize()));
    loaded->sample_shape = data->sample_shape;  // same values per sample; overlays need the same layout
    Note() << "modelguard " << kCommand << ": " << loaded->size() << " trusted clean samples\n";
    clean.emplace(std::move(*loaded));
  }
  std::optional<assess::LocalModel> model;
  if (!args.model.empty()) {
    auto loaded = assess::LocalModel::Load(args.model);
    if (!loaded) return Fail(loaded.error().message);
    model.emplace(std::move(*loaded));
  }
  poisoning::AuditInput input;
  input.model = model ? &*model : nullptr;
  input.data = &*data;
  input.clean = clean ? &*clean : nullptr;
  input.layer = args.layer;
  input.seed = args.seed;
  input.probabilities_path = args.probabilities;
  if (!Quiet())
    input.progress = [](const std::string& what) { Note() << "modelguard " << kCommand << ": " << what << "\n"; };
  auto report = poisoning::RunAudit(input, methods);
  if (!report) return Fail(report.error().message);
  report->dataset = args.dataset;
  report->model = args.model;

  if (!args.report_dir.empty()) {
    auto written = poisoning::WriteAuditReport(*report, *data, args.report_dir);
    if (!written) return Fail(written.error().message);
    Note() << "modelguard " << kCommand << ": wrote " << args.report_dir << "/report.json and report.html\n";
  }
  if (!args.clean_dir.empty()) {
    const size_t remove = args.remove_top >= 0 ? static_cast<size_t>(args.remove_top) : report->flagged_samples;
    auto written = poisoning::WriteCleanDataset(*report, *data, remove, args.clean_dir);
    if (!written) return Fail(written.error().message);
    Note() << "modelguard " << kCommand << ": wrote " << args.clean_dir
           << "/features.npy, labels.npy and removed.json (" << std::min(remove, data->size()) << " removed)\n";
  }
  if (args.format == "json") {
    nlohmann::ordered_json out = poisoning::AuditToJson(*report, *data, args.top);
    out["sample_order"] = order;
    std::cout << ReportJson(out) << "\n";
  } else {
    PrintText(*report, *data, args.top);
  }
  return report->flagged_samples > 0 || report->model_flagged ? 1 : 0;
}

}  // namespace

Action AddDataAudit(CLI::App& app) {
  auto args = std::make_shared<AuditArgs>();
  auto* command = &app;
  command->require_subcommand(1);
  constexpr const char* kExit = "0 nothing flagged, 1 samples or the model flagged, 2 usage, data, model or I/O error";
  Describe(command, "", {"modelguard data audit npy:X.npy,Y.npy --model m.pt --report out/"}, kExit);
  auto* audit = command->add_subcommand(
      "audit", "Find poisoned, backdoored and mislabelled samples with the model trained on them; rank them");
  audit
      ->add_option("dataset", args->dataset,
                   "Dataset: npy:X.npy,Y.npy, csv:PATH, idx:DIR, digits, fashion-mnist (see modelguard assess), or "
                   "a .jsonl text classification set (trigger phrases and near copies, no model)")
      ->required();
  audit->add_option("--text-field", args->text_field,
                    "JSONL: the text field (default: text, sentence, review, content, document or prompt)");
  audit->add_option("--label-field", args->label_field,
                    "JSONL: the label field (default: label, labels, sentiment, class, target or y)");
  audit->add_option("--min-count", args->min_count, "JSONL: records a trigger phrase must occur in")
      ->capture_default_str();
  audit->add_option("--min-purity", args->min_purity, "JSONL: share of a phrase's records in its label")
      ->check(CLI::Range(0.5, 1.0))
      ->capture_default_str();
  audit->add_option("--model,-m", args->model, "The TorchScript model trained on the dataset (model methods)");
  audit->add_option("--layer", args->layer,
                    "Activations of this submodule or layer (default: the input of the last Linear layer)");
  audit->add_option("--methods", args->methods,
                    "Comma-separated methods, of " + AllMethods() + " (default: " + DefaultMethods() + ")");
  audit->add_option("--probabilities", args->probabilities,
                    "labels: out-of-sample predicted probabilities (NPY, samples x classes) instead of k-fold "
                    "training");
  audit->add_option("--clean", args->clean,
                    "Held-out samples trusted to be clean, in the same forms as the dataset: STRIP overlays them and "
                    "sets its threshold on them, Neural Cleanse optimises its triggers on them (without it, both "
                    "use the audited samples)");
  audit->add_option("--seed", args->seed, "Seed of every random choice (restarts, samples)")->capture_default_str();
  audit->add_option("--report", args->report_dir, "Write report.json and report.html into this directory");
  auto* clean = audit->add_option("--write-clean", args->clean_dir,
                                  "Write the dataset without the removed samples: DIR/features.npy, labels.npy, "
                                  "removed.json");
  audit
      ->add_option("--remove-top", args->remove_top,
                   "Remove the K highest-ranked samples (default: every flagged sample)")
      ->check(CLI::NonNegativeNumber)
      ->needs(clean);
  audit->add_option("--top", args->top, "Ranked samples shown on stdout")->capture_default_str();
  audit->add_option("--threads", args->threads, "Intra-op threads (0: libtorch's default)");
  AddFormatOption(audit, args->format, {"text", "json"});
  Describe(audit, MethodHelp(),
           {"modelguard data audit npy:X.npy,Y.npy --model m.pt --report out/",
            "modelguard data audit npy:X.npy,Y.npy --model m.pt --methods spectral --remove-top 150 \\\n"
            "      --write-clean cleaned/ --format json",
            "modelguard data audit reviews.jsonl --report out/ --write-clean cleaned/"},
           kExit);
  return [args]() {
    if (IsTextDataset(args->dataset)) {
      if (!args->model.empty() || !args->methods.empty() || args->remove_top >= 0 || !args->clean.empty())
        return Fail(
            "a JSONL text dataset is audited without a model: --model, --methods, --remove-top and --clean "
            "apply to array and image datasets");
      TextAuditArgs text;
      text.path = args->dataset;
      text.text_field = args->text_field;
      text.label_field = args->label_field;
      text.report_dir = args->report_dir;
      text.write_clean = args->clean_dir;
      text.format = args->format;
      text.top = args->top;
      text.min_count = args->min_count;
      text.min_purity = args->min_purity;
      return RunTextAudit(text);
    }
    return RunDataAudit(*args);
  };
}

}  // namespace modelguard::cli
