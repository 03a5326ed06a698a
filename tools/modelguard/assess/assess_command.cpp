// `modelguard assess` and `modelguard harden`: argument parsing only; the work is in src/assess/.
#include <unistd.h>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include "modelguard/assess/assess.h"
#include "modelguard/assess/dpsgd.h"
#include "modelguard/core/cancel.h"
#include "modelguard/core/severity.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

Result<std::vector<double>> ParseNumbers(const std::string& text, const char* what) {
  std::vector<double> out;
  for (const auto& item : SplitCommaList(text)) {
    try {
      size_t used = 0;
      const double v = std::stod(item, &used);
      if (used != item.size() || !(v >= 0)) throw std::invalid_argument(item);
      out.push_back(v);
    } catch (const std::exception&) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(what) + ": '" + item + "' is not a non-negative number");
    }
  }
  if (out.empty()) return MakeError(ErrorCode::kInvalidArgument, std::string(what) + " is empty");
  return out;
}

int Fail(const char* command, const std::string& message) {
  std::cerr << "modelguard " << command << ": " << message << "\n";
  return 2;
}

// One line per stage on stderr (and the fraction when it moves by 10 points), so long runs show life
// without flooding a CI log.
assess::Progress MakeProgress() {
  if (Quiet()) return nullptr;
  auto last_stage = std::make_shared<std::string>();
  auto last_tenth = std::make_shared<int>(-1);
  return [last_stage, last_tenth](const std::string& stage, double fraction) {
    const int tenth = static_cast<int>(fraction * 10);
    if (stage == *last_stage && tenth == *last_tenth) return;
    *last_stage = stage;
    *last_tenth = tenth;
    std::fprintf(stderr, "modelguard assess: %s (%d%%)\n", stage.c_str(), tenth * 10);
  };
}

std::string JoinList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// The attacks of one risk for --help, from the attack table: name (white/black box, norm), default ones
// marked with *.
std::string DescribeAttacks(assess::Risk risk) {
  std::string out;
  for (const assess::Attack& attack : assess::Attacks()) {
    if (attack.risk != risk) continue;
    out += (out.empty() ? "" : ", ") + std::string(attack.name) + (attack.by_default ? "*" : "") + " (" +
           (attack.access == assess::Access::kWhiteBox ? "white box" : "black box");
    if (attack.norm) out += std::string(", ") + (*attack.norm == assess::Norm::kL2 ? "L2" : "L-inf");
    out += ")";
  }
  return out;
}

std::string AttackHelp() {
  std::string out = "Attacks (* run by default; white-box ones need a TorchScript target):\n";
  for (assess::Risk risk : assess::kRisks)
    out += std::string("  ") + ToString(risk) + ": " + DescribeAttacks(risk) + "\n";
  return out + "Reference: docs/assess.md.";
}

struct AssessArgs {
  assess::AssessRequest request;
  std::string attacks = "evasion,extraction,membership";
  std::string evasion_attacks = JoinList(assess::DefaultAttacks(assess::Risk::kEvasion));
  std::string extraction_methods = JoinList(assess::DefaultAttacks(assess::Risk::kExtraction));
  std::string membership_attacks = JoinList(assess::DefaultAttacks(assess::Risk::kMembership));
  std::string epsilons = "0,0.05,0.1,0.2,0.3";
  std::string l2_epsilons = "0,0.5,1,2";
  std::vector<std::string> headers;
  std::string report_dir;
  std::string fail_on = "high";
  bool json = false;
  std::string format = "text";
  int threads = 0;
};

int RunAssess(AssessArgs& args) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop between attacks, queries and batches; exit 2
  auto& request = args.request;
  request.risks = SplitCommaList(args.attacks);
  request.evasion.attacks = SplitCommaList(args.evasion_attacks);
  request.extraction.methods = SplitCommaList(args.extraction_methods);
  request.membership.attacks = SplitCommaList(args.membership_attacks);
  auto linf = ParseNumbers(args.epsilons, "--epsilons");
  if (!linf) return Fail("assess", linf.error().message);
  auto l2 = ParseNumbers(args.l2_epsilons, "--l2-epsilons");
  if (!l2) return Fail("assess", l2.error().message);
  request.evasion.linf_epsilons = *linf;
  request.evasion.l2_epsilons = *l2;
  for (const auto& header : args.headers) {
    const size_t colon = header.find(':');
    if (colon == std::string::npos || colon == 0) return Fail("assess", "--header takes 'Name: value'");
    std::string value = header.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    request.http.headers[header.substr(0, colon)] = value;
  }
  // Verdicts are low, medium or high (core Severity); "never" turns the exit code off.
  const std::optional<Severity> fail_on = args.fail_on == "never" ? std::nullopt : ParseSeverity(args.fail_on);
  if (args.fail_on != "never" && (!fail_on || *fail_on < Severity::kLow || *fail_on > Severity::kHigh)) {
    return Fail("assess", "--fail-on takes high, medium, low or never");
  }
  if (args.threads > 0) torch::set_num_threads(args.threads);
  request.progress = MakeProgress();
  auto report = assess::Assess(request);
  if (!report) return Fail("assess", report.error().message);
  if (!args.report_dir.empty()) {
    auto written = assess::WriteReport(*report, args.report_dir);
    if (!written) return Fail("assess", written.error().message);
    Note() << "modelguard assess: wrote " << args.report_dir << "/report.json and report.html\n";
  }
  if (args.json || args.format == "json") {
    std::cout << ReportJson(assess::ToJson(*report)) << "\n";
  } else {
    for (const auto& v : report->verdicts)
      std::cout << v.risk << ": " << ToString(v.level) << " — " << v.summary << "\n";
  }
  for (const auto& v : report->verdicts) {
    if (fail_on && v.level >= *fail_on) return 1;
  }
  return 0;
}

struct HardenArgs {
  assess::HardenRequest request;
  std::string norm = "linf";
  int threads = 0;
};

int RunHarden(HardenArgs& args, bool adversarial) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop between training batches; exit 2
  auto& request = args.request;
  if (args.norm != "linf" && args.norm != "l2") return Fail("harden", "--norm takes linf or l2");
  request.training.adversarial.l2 = args.norm == "l2";
  if (adversarial && !(request.training.adversarial.epsilon > 0))
    return Fail("harden adversarial", "--epsilon must be positive");
  if (!adversarial) request.training.adversarial.epsilon = 0;
  if (args.threads > 0) torch::set_num_threads(args.threads);
  if (!Quiet()) {
    request.training.progress = [](int epoch, double loss) {
      std::fprintf(stderr, "modelguard harden: epoch %d, loss %.4f\n", epoch, loss);
    };
  }
  auto result = assess::Harden(request);
  if (!result) return Fail(adversarial ? "harden adversarial" : "harden train", result.error().message);
  nlohmann::json out{{"output", request.output_path},
                     {"held_out_accuracy", result->clean_accuracy},
                     {"pgd", {{"epsilon", result->evaluation_epsilon}, {"accuracy", result->robust_accuracy}}},
                     {"model", result->model}};
  if (result->robust_accuracy_before >= 0) out["pgd"]["accuracy_before"] = result->robust_accuracy_before;
  std::cout << ReportJson(out) << "\n";
  return 0;
}

struct DpSgdArgs {
  assess::PrivateTrainingRequest request;
  std::string per_sample = "auto";
  int threads = 0;
};

int RunDpSgd(DpSgdArgs& args) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop between steps; exit 2
  constexpr const char* kName = "harden dp-sgd";
  auto& request = args.request;
  if (args.per_sample == "auto") {
    request.per_sample = assess::PerSampleMethod::kAuto;
  } else if (args.per_sample == "layer-wise") {
    request.per_sample = assess::PerSampleMethod::kLayerWise;
  } else if (args.per_sample == "loop") {
    request.per_sample = assess::PerSampleMethod::kLoop;
  } else {
    return Fail(kName, "--per-sample takes auto, layer-wise or loop");
  }
  if (args.threads > 0) torch::set_num_threads(args.threads);
  if (!Quiet()) {
    request.progress = [](const assess::PrivateTrainingRequest::Epoch& epoch) {
      std::fprintf(stderr, "modelguard harden dp-sgd: epoch %d (%lld steps), epsilon %.4f, loss %.4f, accuracy %.4f\n",
                   epoch.epoch, static_cast<long long>(epoch.steps), epoch.epsilon, epoch.loss, epoch.accuracy);
    };
  }
  auto result = assess::TrainPrivately(request);
  if (!result) return Fail(kName, result.error().message);
  nlohmann::json out{{"output", request.output_path},
                     {"held_out_accuracy", result->accuracy},
                     {"training_seconds", result->training_seconds},
                     {"privacy", result->model["training"]["privacy"]},
                     {"model", result->model}};
  if (result->stopped_at_budget)
    std::fprintf(stderr, "modelguard harden dp-sgd: stopped after %lld steps: one more would exceed epsilon %g\n",
                 static_cast<long long>(result->steps), request.target_epsilon);
  std::cout << ReportJson(out) << "\n";
  return 0;
}

void AddTrainingOptions(CLI::App* command, HardenArgs& args) {
  auto& r = args.request;
  command
      ->add_option("--data", r.data_spec,
                   "Dataset: digits, iris, wine, breast_cancer, fashion-mnist, idx:DIR, csv:PATH, npy:X.npy,Y.npy")
      ->required();
  command->add_option("--out,-o", r.output_path, "Where to write the TorchScript model")->required();
  command->add_option("--arch", r.architecture.name, "Architecture of a new model: mlp or cnn")->capture_default_str();
  command->add_option("--hidden", r.architecture.hidden, "Hidden width of a new model")->capture_default_str();
  command->add_option("--epochs", r.training.epochs, "Training epochs")->capture_default_str();
  command->add_option("--batch-size", r.training.batch_size, "Batch size")->capture_default_str();
  command->add_option("--lr", r.training.learning_rate, "Adam learning rate")->capture_default_str();
  command->add_option("--weight-decay", r.training.weight_decay, "L2 weight decay")->capture_default_str();
  command->add_option("--seed", r.training.seed, "Random seed (initialisation, order, PGD starts)")
      ->capture_default_str();
  command
      ->add_option("--train-fraction", r.train_fraction, "Share of a dataset without its own split used for training")
      ->capture_default_str();
  command->add_option("--split-seed", r.split_seed, "Seed of that split (recorded in the model for `assess`)")
      ->capture_default_str();
  command->add_option("--threads", args.threads, "Intra-op threads (0: libtorch's default)");
}

}  // namespace

Action AddAssess(CLI::App& app) {
  auto args = std::make_shared<AssessArgs>();
  auto& r = args->request;
  auto* command = &app;
  command->add_option("target", r.target, "TorchScript model (.pt) or http:// endpoint answering {\"inputs\": [[...]]}")
      ->required();
  command
      ->add_option("--data", r.data_spec,
                   "Dataset: digits, iris, wine, breast_cancer, fashion-mnist, idx:DIR, csv:PATH, npy:X.npy,Y.npy")
      ->required();
  command->add_option("--attacks", args->attacks, "Risks to assess (comma-separated)")->capture_default_str();
  command->add_option("--budget", r.extraction.budget, "Extraction: target queries per method")->capture_default_str();
  command->add_option("--samples", r.evasion.samples, "Evasion: held-out samples attacked")->capture_default_str();
  command
      ->add_option(
          "--api-output", r.api_output,
          "Local model: what the simulated API returns (probabilities, top-K, round-N, label, reverse-sigmoid)")
      ->capture_default_str();
  command->add_option("--epsilons", args->epsilons, "Evasion: L-inf epsilons (inputs are scaled to [0, 1])")
      ->capture_default_str();
  command->add_option("--l2-epsilons", args->l2_epsilons, "Evasion: L2 epsilons")->capture_default_str();
  command
      ->add_option("--reference-epsilon", r.evasion.reference_epsilon, "Evasion: the L-inf epsilon the verdict reads")
      ->capture_default_str();
  command->add_option("--evasion-attacks", args->evasion_attacks, assess::AttackNames(assess::Risk::kEvasion))
      ->capture_default_str();
  command->add_option("--pgd-steps", r.evasion.pgd_steps, "PGD iterations (APGD runs twice as many)")
      ->capture_default_str();
  command->add_option("--pgd-restarts", r.evasion.pgd_restarts, "PGD random restarts")->capture_default_str();
  command->add_option("--square-queries", r.evasion.square_queries, "Square attack: queries per sample")
      ->capture_default_str();
  command->add_option("--extraction-methods", args->extraction_methods, assess::AttackNames(assess::Risk::kExtraction))
      ->capture_default_str();
  command->add_option("--rounds", r.extraction.rounds, "Extraction: query/retrain rounds")->capture_default_str();
  command->add_option("--membership-attacks", args->membership_attacks, assess::AttackNames(assess::Risk::kMembership))
      ->capture_default_str();
  command->add_option("--members", r.membership.samples, "Membership: members tested (and as many non-members)")
      ->capture_default_str();
  command->add_option("--shadow-models", r.membership.shadow_models, "Membership: shadow models for shokri and lira")
      ->capture_default_str();
  command->add_option("--classes", r.http.classes, "Endpoint: number of classes (default: the dataset's)");
  command->add_option("--header", args->headers, "Endpoint: extra request header 'Name: value' (repeatable)");
  command->add_option("--rate", r.http.max_rate, "Endpoint: at most this many requests per second");
  command->add_option("--query-budget", r.http.budget, "Endpoint: hard cap on samples sent, all attacks together")
      ->capture_default_str();
  command
      ->add_option("--train-fraction", r.train_fraction,
                   "Split of a dataset without its own (a modelguard model's metadata wins)")
      ->capture_default_str();
  command->add_option("--split-seed", r.split_seed, "Seed of that split")->capture_default_str();
  command->add_option("--seed", r.evasion.seed, "Attack seed")->capture_default_str();
  command->add_option("--report", args->report_dir, "Write report.json and report.html into this directory");
  command->add_option("--fail-on", args->fail_on, "Exit 1 when a verdict is at or above: high, medium, low, never")
      ->capture_default_str();
  command->add_option("--threads", args->threads, "Intra-op threads (0: libtorch's default)");
  AddFormatOption(command, args->format, {"text", "json"});
  command->add_flag("--json", args->json, "The same as --format json");
  Describe(command, AttackHelp(),
           {"modelguard assess m.pt --data digits --report out/",
            "modelguard assess m.pt --data digits --attacks evasion --evasion-attacks pgd,autoattack --format json",
            "modelguard assess http://127.0.0.1:8000/predict --data digits --query-budget 50000 \\\n"
            "      --header 'Authorization: Bearer KEY'"},
           "0 no verdict at or above --fail-on, 1 some, 2 usage, data, model or endpoint error");
  return [args]() {
    args->request.extraction.seed = args->request.membership.seed = args->request.evasion.seed;
    return RunAssess(*args);
  };
}

Action AddHarden(CLI::App& app) {
  auto args = std::make_shared<HardenArgs>();
  auto* command = &app;
  command->require_subcommand(1);
  constexpr const char* kExit = "0 trained (a summary as JSON on stdout), 2 usage, data or model error";
  Describe(command, "",
           {"modelguard harden train --data digits --out m.pt",
            "modelguard harden adversarial --model m.pt --data digits --epsilon 0.1 --out robust.pt"},
           kExit);
  auto* adversarial = command->add_subcommand(
      "adversarial", "PGD adversarial training (Madry et al. 2018) of --model, or of a new --arch");
  adversarial->add_option("--model,-m", args->request.model_path,
                          "TorchScript model to harden (default: a new --arch model)");
  adversarial
      ->add_option("--epsilon", args->request.training.adversarial.epsilon, "Perturbation budget trained against")
      ->required();
  adversarial->add_option("--steps", args->request.training.adversarial.steps, "PGD steps per training batch")
      ->capture_default_str();
  adversarial->add_option("--norm", args->norm, "linf or l2")->capture_default_str();
  AddTrainingOptions(adversarial, *args);
  Describe(adversarial, "",
           {"modelguard harden adversarial --model m.pt --data digits --epsilon 0.1 --out robust.pt",
            "modelguard harden adversarial --arch cnn --data fashion-mnist --epsilon 0.1 --norm linf --out robust.pt"},
           kExit);
  auto* train = command->add_subcommand("train", "Standard training of a new model (a baseline to assess and compare)");
  AddTrainingOptions(train, *args);
  Describe(train, "",
           {"modelguard harden train --data digits --out m.pt",
            "modelguard harden train --data digits --arch cnn --epochs 20 --out m.pt"},
           kExit);
  auto dp_args = std::make_shared<DpSgdArgs>();
  auto& dp = dp_args->request;
  auto* dp_sgd = command->add_subcommand(
      "dp-sgd", "Differentially private training (DP-SGD) to a target (epsilon, delta), recorded in the model");
  dp_sgd
      ->add_option("--data", dp.data_spec,
                   "Dataset: digits, iris, wine, breast_cancer, fashion-mnist, idx:DIR, csv:PATH, npy:X.npy,Y.npy")
      ->required();
  dp_sgd->add_option("--out,-o", dp.output_path, "Where to write the TorchScript model")->required();
  dp_sgd->add_option("--epsilon", dp.target_epsilon, "Target epsilon: never exceeded")->required();
  dp_sgd->add_option("--delta", dp.delta, "Target delta (at most 1 / training samples is the usual choice)")
      ->capture_default_str();
  dp_sgd->add_option("--model,-m", dp.model_path, "TorchScript model to train further (default: a new --arch model)");
  dp_sgd->add_option("--arch", dp.architecture.name, "Architecture of a new model: mlp or cnn")->capture_default_str();
  dp_sgd->add_option("--hidden", dp.architecture.hidden, "Hidden width of a new model")->capture_default_str();
  dp_sgd->add_option("--max-grad-norm", dp.max_grad_norm, "Per-sample clipping norm C")->capture_default_str();
  dp_sgd->add_option("--batch-size", dp.batch_size, "Expected (Poisson) batch size: q = batch size / samples")
      ->capture_default_str();
  dp_sgd->add_option("--epochs", dp.epochs, "Epochs (steps = epochs x samples / batch size)")->capture_default_str();
  dp_sgd
      ->add_option("--noise", dp.noise_multiplier,
                   "Noise multiplier sigma; training stops before epsilon would pass the target (default: the "
                   "smallest sigma that reaches it after every epoch)")
      ->capture_default_str();
  dp_sgd->add_option("--lr", dp.learning_rate, "SGD learning rate")->capture_default_str();
  dp_sgd->add_option("--momentum", dp.momentum, "SGD momentum")->capture_default_str();
  dp_sgd->add_option("--per-sample", dp_args->per_sample, "Per-sample gradients: auto, layer-wise or loop")
      ->capture_default_str();
  dp_sgd->add_option("--seed", dp.seed, "Seed of the initialisation (batches and noise come from the CSPRNG)")
      ->capture_default_str();
  dp_sgd
      ->add_option("--train-fraction", dp.train_fraction, "Share of a dataset without its own split used for training")
      ->capture_default_str();
  dp_sgd->add_option("--split-seed", dp.split_seed, "Seed of that split (recorded in the model for `assess`)")
      ->capture_default_str();
  dp_sgd->add_option("--threads", dp_args->threads, "Intra-op threads (0: libtorch's default)");
  Describe(dp_sgd,
           "Poisson-sampled batches, each sample's gradient clipped to --max-grad-norm, Gaussian noise; the RDP\n"
           "accountant (Balle et al. 2020 conversion) tracks epsilon per step and the PRV accountant checks it.\n"
           "The model's metadata records the guarantee; `modelguard assess` shows it next to membership inference.",
           {"modelguard harden dp-sgd --data digits --epsilon 3 --out private.pt",
            "modelguard harden dp-sgd --data fashion-mnist --arch cnn --epsilon 3 --delta 1e-5 --epochs 10 \\\n"
            "      --batch-size 256 --max-grad-norm 1 --out private.pt"},
           kExit);
  return [args, adversarial, dp_args, dp_sgd]() {
    if (dp_sgd->parsed()) return RunDpSgd(*dp_args);
    return RunHarden(*args, adversarial->parsed());
  };
}

}  // namespace modelguard::cli
