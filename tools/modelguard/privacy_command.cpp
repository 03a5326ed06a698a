// modelguard privacy: the (epsilon, delta) of DP-SGD's subsampled Gaussian mechanism (privacy epsilon) and
// the noise that reaches a target epsilon (privacy noise); the accounting is src/privacy/.
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "modelguard/core/number_text.h"
#include "modelguard/privacy/accountant.h"
#include "modelguard/privacy/ledger.h"
#include "modelguard/privacy/release.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

struct PrivacyArgs {
  std::string sample_rate, noise, steps, delta, epsilon, orders;
  std::string accountant = "all";
  std::string format = "text";
  // release and budget
  std::string data, query, mechanism = "laplace", bounds, privacy_unit, contribution_limit = "1", categories, bins,
                           candidates, input_format, dataset, ledger;
  bool replace = false;
};

int Fail(const std::string& message) {
  std::cerr << "modelguard privacy: " << message << "\n";
  return 2;
}

// The whole word must be a finite number: CLI11 and strtod alone would take "nan", "inf" or "1.5abc".
bool ParseNumber(const std::string& text, const char* what, double& out) {
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(value)) {
    Fail(std::string(what) + " must be a finite number, got '" + text + "'");
    return false;
  }
  out = value;
  return true;
}

bool ParseSteps(const std::string& text, uint64_t& out) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || errno == ERANGE ||
      end != text.c_str() + text.size() || value < 1) {
    Fail("--steps must be a whole number >= 1, got '" + text + "'");
    return false;
  }
  out = value;
  return true;
}

bool ParseOrders(const std::string& text, std::vector<double>& out) {
  for (const std::string& item : SplitCommaList(text, /*keep_empty=*/true)) {
    double value = 0;
    if (!ParseNumber(item, "every --orders entry", value)) return false;
    out.push_back(value);
  }
  if (out.empty()) {
    Fail("--orders needs at least one order");
    return false;
  }
  return true;
}

// The checks the library makes too, with the CLI's own words: the sampling rate of a real run is never 0.
bool ParseMechanism(const PrivacyArgs& args, privacy::GaussianSteps& steps, double& delta, std::vector<double>& orders,
                    bool need_noise) {
  if (!ParseNumber(args.sample_rate, "--sample-rate", steps.sample_rate)) return false;
  if (!(steps.sample_rate > 0 && steps.sample_rate <= 1)) {
    Fail("--sample-rate must be in (0, 1], got " + args.sample_rate);
    return false;
  }
  if (need_noise) {
    if (!ParseNumber(args.noise, "--noise", steps.noise_multiplier)) return false;
    if (!(steps.noise_multiplier > 0)) {
      Fail("--noise must be > 0, got " + args.noise);
      return false;
    }
  }
  if (!ParseSteps(args.steps, steps.steps)) return false;
  if (!ParseNumber(args.delta, "--delta", delta)) return false;
  if (!(delta > 0 && delta < 1)) {
    Fail("--delta must be in (0, 1), got " + args.delta);
    return false;
  }
  if (!args.orders.empty() && !ParseOrders(args.orders, orders)) return false;
  return true;
}

int RunEpsilon(const PrivacyArgs& args) {
  privacy::GaussianSteps steps;
  double delta = 0;
  std::vector<double> orders;
  if (!ParseMechanism(args, steps, delta, orders, true)) return 2;
  const std::span<const privacy::GaussianSteps> list(&steps, 1);
  nlohmann::ordered_json doc;
  doc["schema"] = "modelguard.privacy-epsilon/v1";
  doc["mechanism"] = "poisson-subsampled-gaussian";
  doc["sample_rate"] = steps.sample_rate;
  doc["noise_multiplier"] = steps.noise_multiplier;
  doc["steps"] = steps.steps;
  doc["delta"] = delta;
  std::ostringstream text;
  if (args.accountant != "prv") {
    auto rdp = privacy::RdpAccount(list, delta, orders);
    if (!rdp) return Fail(rdp.error().message);
    doc["rdp"] = {{"epsilon", rdp->improved.epsilon},    {"order", rdp->improved.order},
                  {"conversion", "balle2020"},           {"classic_epsilon", rdp->classic.epsilon},
                  {"classic_order", rdp->classic.order}, {"orders", orders.empty() ? "default" : args.orders}};
    text << "RDP  epsilon " << FixedDecimal(rdp->improved.epsilon, 4) << " at order " << rdp->improved.order
         << " (Balle et al. 2020 conversion); classic conversion " << FixedDecimal(rdp->classic.epsilon, 4)
         << " at order " << rdp->classic.order << "\n";
  }
  if (args.accountant != "rdp") {
    auto prv = privacy::PrvAccount(list, delta);
    if (!prv) return Fail(prv.error().message);
    doc["prv"] = {
        {"epsilon", prv->epsilon},     {"epsilon_lower", prv->epsilon_lower}, {"epsilon_upper", prv->epsilon_upper},
        {"mesh", prv->mesh},           {"epsilon_error", prv->epsilon_error}, {"delta_error", prv->delta_error},
        {"lost_mass", prv->lost_mass}, {"grid_points", prv->grid_points}};
    text << "PRV  epsilon " << FixedDecimal(prv->epsilon, 4) << ", true value within ["
         << FixedDecimal(prv->epsilon_lower, 4) << ", " << FixedDecimal(prv->epsilon_upper, 4) << "] (mesh "
         << prv->mesh << ")\n";
  }
  if (args.format == "json")
    std::cout << ReportJson(doc) << "\n";
  else
    std::cout << "(epsilon, delta = " << delta << ") after " << steps.steps << " steps, sampling rate "
              << steps.sample_rate << ", noise multiplier " << steps.noise_multiplier << "\n"
              << text.str();
  return 0;
}

int RunNoise(const PrivacyArgs& args) {
  privacy::GaussianSteps steps;
  double delta = 0, epsilon = 0;
  std::vector<double> orders;
  if (!ParseNumber(args.epsilon, "--epsilon", epsilon)) return 2;
  if (!(epsilon > 0)) return Fail("--epsilon must be > 0, got " + args.epsilon);
  if (!ParseMechanism(args, steps, delta, orders, false)) return 2;
  auto sigma = privacy::NoiseForEpsilon(epsilon, delta, steps.sample_rate, steps.steps, orders);
  if (!sigma) return Fail(sigma.error().message);
  // The epsilon actually reached at that sigma, so the answer can be checked without a second command.
  const privacy::GaussianSteps found{steps.sample_rate, *sigma, steps.steps};
  auto reached = privacy::RdpAccount(std::span(&found, 1), delta, orders);
  if (!reached) return Fail(reached.error().message);
  if (args.format == "json") {
    nlohmann::ordered_json doc;
    doc["schema"] = "modelguard.privacy-noise/v1";
    doc["noise_multiplier"] = *sigma;
    doc["epsilon"] = reached->improved.epsilon;
    doc["target_epsilon"] = epsilon;
    doc["delta"] = delta;
    doc["sample_rate"] = steps.sample_rate;
    doc["steps"] = steps.steps;
    doc["accountant"] = "rdp";
    std::cout << ReportJson(doc) << "\n";
  } else {
    std::cout << "noise multiplier " << FixedDecimal(*sigma, 6) << " (RDP epsilon "
              << FixedDecimal(reached->improved.epsilon, 4) << " <= " << epsilon << " at delta " << delta << ")\n";
  }
  return 0;
}

bool ParseCount(const std::string& text, const char* what, uint64_t& out) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || errno == ERANGE ||
      end != text.c_str() + text.size()) {
    Fail(std::string(what) + " must be a whole number, got '" + text + "'");
    return false;
  }
  out = value;
  return true;
}

// The ledger and the dataset's name in it: --dataset, else the digest of the file.
struct LedgerTarget {
  std::unique_ptr<privacy::BudgetLedger> ledger;
  std::string path;
};
bool OpenLedger(const PrivacyArgs& args, LedgerTarget& target) {
  if (args.ledger.empty()) {
    auto path = privacy::DefaultLedgerPath();
    if (!path) return Fail(path.error().message), false;
    target.path = *path;
  } else {
    target.path = args.ledger;
  }
  auto ledger = privacy::BudgetLedger::Open(target.path);
  if (!ledger) return Fail(ledger.error().message), false;
  target.ledger = std::move(*ledger);
  return true;
}

nlohmann::ordered_json BudgetJson(const privacy::BudgetState& state) {
  return {{"dataset", state.dataset},
          {"total_epsilon", state.total_epsilon},
          {"total_delta", state.total_delta},
          {"spent_epsilon", state.spent_epsilon},
          {"spent_delta", state.spent_delta},
          {"remaining_epsilon", std::max(0.0, state.total_epsilon - state.spent_epsilon)},
          {"remaining_delta", std::max(0.0, state.total_delta - state.spent_delta)},
          {"releases", state.charges.size()}};
}

std::string BudgetLine(const privacy::BudgetState& state) {
  std::ostringstream line;
  line << "budget of " << state.dataset << ": epsilon " << state.spent_epsilon << " of " << state.total_epsilon
       << " spent";
  if (state.total_delta > 0) line << ", delta " << state.spent_delta << " of " << state.total_delta;
  line << " (" << state.charges.size() << " release" << (state.charges.size() == 1 ? "" : "s") << ")";
  return line.str();
}

nlohmann::json NumberOrNull(double value) { return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(); }

bool ParseReleaseOptions(const PrivacyArgs& args, privacy::ReleaseOptions& options) {
  auto query = privacy::ParseReleaseQuery(args.query);
  if (!query) return Fail(query.error().message), false;
  options.query = *query;
  options.mechanism =
      args.mechanism == "gaussian" ? privacy::NoiseMechanism::kGaussian : privacy::NoiseMechanism::kLaplace;
  if (!ParseNumber(args.epsilon, "--epsilon", options.epsilon)) return false;
  if (!args.delta.empty() && !ParseNumber(args.delta, "--delta", options.delta)) return false;
  if (!args.bounds.empty()) {
    const auto parts = SplitCommaList(args.bounds, true);
    double lo = 0, hi = 0;
    if (parts.size() != 2) return Fail("--bounds takes LO,HI, got '" + args.bounds + "'"), false;
    if (!ParseNumber(parts[0], "--bounds LO", lo) || !ParseNumber(parts[1], "--bounds HI", hi)) return false;
    options.bounds = std::pair(lo, hi);
  }
  options.privacy_unit = args.privacy_unit;
  if (!ParseCount(args.contribution_limit, "--contribution-limit", options.contribution_limit)) return false;
  if (!args.categories.empty()) options.categories = SplitCommaList(args.categories, true);
  if (!args.bins.empty() && !ParseCount(args.bins, "--bins", options.bins)) return false;
  if (!args.candidates.empty() && !ParseCount(args.candidates, "--candidates", options.quantile_candidates))
    return false;
  options.format = args.input_format;
  return true;
}

int RunRelease(const PrivacyArgs& args) {
  privacy::ReleaseOptions options;
  if (!ParseReleaseOptions(args, options)) return 2;
  if (args.data == "-" && args.dataset.empty())
    return Fail("reading stdin needs --dataset NAME, the name its budget is kept under");
  // The exact aggregate first (nothing shown), then the charge, then the noise: nothing leaves before the
  // budget has paid for it, and a refused charge releases nothing.
  auto prepared = privacy::PrepareReleaseFile(args.data, options);
  if (!prepared) return Fail(prepared.error().message);
  LedgerTarget target;
  if (!OpenLedger(args, target)) return 2;
  const std::string dataset = args.dataset.empty() ? "sha256:" + prepared->data_sha256() : args.dataset;
  const std::string query = privacy::ToString(options.query);
  const privacy::ReleaseResult& plan = prepared->description();
  auto state = target.ledger->Charge(dataset, plan.epsilon, plan.delta, query);
  if (!state) return Fail(state.error().message);
  auto bits = privacy::SecureRandomBits();
  auto released = prepared->Draw(*bits);
  if (!released) return Fail(released.error().message + " (the budget was charged; nothing was released)");
  if (args.format == "json") {
    nlohmann::ordered_json doc;
    doc["schema"] = "modelguard.privacy-release/v1";
    doc["dataset"] = dataset;
    doc["query"] = query;
    doc["mechanism"] = released->mechanism;
    doc["epsilon"] = released->epsilon;
    doc["delta"] = released->delta;
    doc["granularity"] = released->granularity;
    doc["sensitivity"] = released->sensitivity;
    doc["noise_scale"] = NumberOrNull(released->noise_scale);
    doc["half_width_95"] = NumberOrNull(released->half_width_95);
    doc["values"] = nlohmann::ordered_json::array();
    for (const auto& value : released->values)
      doc["values"].push_back({{"label", value.label}, {"value", value.value}});
    doc["budget"] = BudgetJson(*state);
    std::cout << ReportJson(doc) << "\n";
    return 0;
  }
  for (const auto& value : released->values) std::cout << value.label << " = " << value.value << "\n";
  std::cout << "(" << released->mechanism << ", epsilon " << released->epsilon;
  if (released->delta > 0) std::cout << ", delta " << released->delta;
  if (std::isfinite(released->half_width_95))
    std::cout << "; noise " << (released->mechanism == "discrete-gaussian" ? "sigma " : "scale ")
              << released->noise_scale << ", 95 % within +-" << released->half_width_95;
  std::cout << ")\n" << BudgetLine(*state) << "\n";
  return 0;
}

int RunBudget(const PrivacyArgs& args, bool set) {
  if (args.data.empty() == args.dataset.empty()) return Fail("name the dataset by its file or by --dataset, not both");
  std::string dataset = args.dataset;
  if (dataset.empty()) {
    auto digest = privacy::DatasetSha256(args.data);
    if (!digest) return Fail(digest.error().message);
    dataset = "sha256:" + *digest;
  }
  LedgerTarget target;
  if (!OpenLedger(args, target)) return 2;
  if (set) {
    double epsilon = 0, delta = 0;
    if (!ParseNumber(args.epsilon, "--epsilon", epsilon)) return 2;
    if (!(epsilon > 0)) return Fail("--epsilon must be > 0");
    if (!args.delta.empty() && !ParseNumber(args.delta, "--delta", delta)) return 2;
    if (!(delta >= 0 && delta < 1)) return Fail("--delta must be in [0, 1)");
    if (auto done = target.ledger->SetBudget(dataset, epsilon, delta, args.replace); !done)
      return Fail(done.error().message);
  }
  auto state = target.ledger->State(dataset);
  if (!state) return Fail(state.error().message);
  if (args.format == "json") {
    nlohmann::ordered_json doc = BudgetJson(*state);
    doc["releases"] = nlohmann::ordered_json::array();
    for (const auto& charge : state->charges)
      doc["releases"].push_back({{"time", Iso8601Utc(charge.time)},
                                 {"epsilon", charge.epsilon},
                                 {"delta", charge.delta},
                                 {"query", charge.query}});
    doc["ledger"] = target.path;
    nlohmann::ordered_json out;
    out["schema"] = "modelguard.privacy-budget/v1";
    out.update(doc);
    std::cout << ReportJson(out) << "\n";
    return 0;
  }
  std::cout << BudgetLine(*state) << "\n";
  for (const auto& charge : state->charges) {
    std::cout << "  " << Iso8601Utc(charge.time) << "  epsilon " << charge.epsilon;
    if (charge.delta > 0) std::cout << ", delta " << charge.delta;
    std::cout << "  " << charge.query << "\n";
  }
  return 0;
}

}  // namespace

Action AddPrivacy(CLI::App& command) {
  auto args = std::make_shared<PrivacyArgs>();
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  Describe(cmd,
           "Accounting for DP-SGD (Poisson sampling with rate Q, Gaussian noise of sigma times the clipping norm), "
           "and private statistics of tables charged against a per-dataset budget.",
           {"modelguard privacy epsilon --sample-rate 0.004267 --noise 1.1 --steps 14063 --delta 1e-5",
            "modelguard privacy noise --epsilon 3 --delta 1e-5 --sample-rate 0.01 --steps 3000",
            "modelguard privacy release visits.csv --query count --epsilon 0.5"},
           "0 computed or released, 2 usage error, a target that cannot be reached or a budget exhausted");
  const auto add_mechanism = [&](CLI::App* sub) {
    sub->add_option("--sample-rate", args->sample_rate, "Probability Q in (0, 1] that a record joins a step")
        ->required();
    sub->add_option("--steps", args->steps, "Number of training steps T >= 1")->required();
    sub->add_option("--delta", args->delta, "delta in (0, 1)")->required();
    sub->add_option("--orders", args->orders,
                    "RDP orders, comma-separated (default Opacus's: 1.1, 1.2, ..., 10.9, 12, ..., 63)");
    AddFormatOption(sub, args->format, {"text", "json"});
  };
  CLI::App* epsilon = cmd->add_subcommand("epsilon", "epsilon spent by a training run, by RDP and PRV accounting");
  epsilon->add_option("--noise", args->noise, "Noise multiplier sigma > 0")->required();
  add_mechanism(epsilon);
  epsilon->add_option("--accountant", args->accountant, "rdp, prv or all (default all)")
      ->check(CLI::IsMember({"rdp", "prv", "all"}));
  Describe(epsilon,
           "RDP (Mironov et al. 2019) reports the Balle et al. 2020 conversion Opacus uses and the classic one; "
           "PRV (Gopi et al. 2021) reports an estimate with bounds that contain the exact epsilon.",
           {"modelguard privacy epsilon --sample-rate 0.004267 --noise 1.1 --steps 14063 --delta 1e-5",
            "modelguard privacy epsilon --sample-rate 0.01 --noise 1 --steps 300 --delta 1e-5 --accountant rdp "
            "--orders 2,5,10,20,100 --format json"},
           "0 computed, 2 usage error");
  CLI::App* noise = cmd->add_subcommand("noise", "The noise multiplier that reaches a target epsilon (RDP)");
  noise->add_option("--epsilon", args->epsilon, "Target epsilon > 0")->required();
  add_mechanism(noise);
  Describe(noise,
           "Bracketing and bisection on sigma to a relative 1e-9; the answer's epsilon never exceeds the target.",
           {"modelguard privacy noise --epsilon 3 --delta 1e-5 --sample-rate 0.01 --steps 3000"},
           "0 computed, 2 usage error or an epsilon no noise reaches");

  CLI::App* release = cmd->add_subcommand(
      "release", "A differentially private count, sum, mean, quantile or histogram of a CSV, TSV or JSONL table");
  release->add_option("data", args->data, "The table (- for stdin, with --input-format and --dataset)")->required();
  release->add_option("--query", args->query, "count | sum(col) | mean(col) | quantile(col, p) | histogram(col)")
      ->required();
  release->add_option("--epsilon", args->epsilon, "epsilon this release spends")->required();
  release->add_option("--delta", args->delta, "delta this release spends (Gaussian mechanism only)");
  release->add_option("--mechanism", args->mechanism, "laplace (default; pure epsilon) or gaussian (epsilon, delta)")
      ->check(CLI::IsMember({"laplace", "gaussian"}));
  release->add_option("--bounds", args->bounds,
                      "LO,HI: public bounds the values are clamped to (sum, mean, quantile, "
                      "numeric histogram)");
  release->add_option("--privacy-unit", args->privacy_unit, "Column naming the person each row belongs to");
  release->add_option("--contribution-limit", args->contribution_limit,
                      "Rows kept per privacy unit (default 1; the first ones in the file)");
  release->add_option("--categories", args->categories, "A,B,...: the public categories of histogram(col)");
  release->add_option("--bins", args->bins, "Equal bins over --bounds for histogram(col) of a numeric column");
  release->add_option("--candidates", args->candidates, "Quantile: grid points over --bounds (default 4097)");
  release->add_option("--input-format", args->input_format, "csv, tsv or jsonl (default: by extension)")
      ->check(CLI::IsMember({"csv", "tsv", "jsonl"}));
  release->add_option("--dataset", args->dataset, "Name of the dataset's budget (default sha256:<digest of the file>)");
  release->add_option("--ledger", args->ledger,
                      "Budget ledger (SQLite; default $MODELGUARD_PRIVACY_LEDGER or ~/.local/state/modelguard/"
                      "privacy-ledger.sqlite)");
  AddFormatOption(release, args->format, {"text", "json"});
  Describe(release,
           "Contributions are bounded per person, values clamped to public bounds, and the noise is discrete "
           "(exact integer sampling on a power-of-two grid: no floating-point noise to attack). The dataset's budget "
           "is charged before anything is drawn; a release that would pass it is refused.",
           {"modelguard privacy budget set visits.csv --epsilon 3",
            "modelguard privacy release visits.csv --query 'mean(age)' --bounds 0,100 --epsilon 0.5",
            "modelguard privacy release visits.csv --query 'histogram(city)' --categories Paris,Lyon --epsilon 0.5 "
            "--privacy-unit patient --contribution-limit 3"},
           "0 released, 2 usage error, unreadable input or budget exhausted (nothing released)");

  CLI::App* budget = cmd->add_subcommand("budget", "The privacy budget ledger: set a dataset's total, show spending");
  budget->require_subcommand(1);
  Describe(budget, "Releases compose by basic composition: their epsilons and deltas add up to the total.",
           {"modelguard privacy budget set visits.csv --epsilon 3", "modelguard privacy budget show visits.csv"},
           "0 done, 2 usage error, no budget, or a different total already set");
  const auto add_dataset = [&](CLI::App* sub) {
    sub->add_option("data", args->data, "The dataset's file (its digest names the budget)");
    sub->add_option("--dataset", args->dataset, "The budget's name instead of a file's digest");
    sub->add_option("--ledger", args->ledger, "Budget ledger (default as for release)");
    AddFormatOption(sub, args->format, {"text", "json"});
  };
  CLI::App* budget_set = budget->add_subcommand("set", "Set a dataset's total (epsilon, delta)");
  add_dataset(budget_set);
  budget_set->add_option("--epsilon", args->epsilon, "Total epsilon")->required();
  budget_set->add_option("--delta", args->delta, "Total delta (default 0: Gaussian releases refused)");
  budget_set->add_flag("--replace", args->replace, "Replace an existing different total");
  Describe(budget_set, "Releases compose by basic composition: their epsilons and deltas add up.",
           {"modelguard privacy budget set visits.csv --epsilon 3 --delta 1e-6"},
           "0 set, 2 usage error or a different total already set");
  CLI::App* budget_show = budget->add_subcommand("show", "A dataset's total, spending and releases");
  add_dataset(budget_show);
  Describe(budget_show, "", {"modelguard privacy budget show visits.csv --format json"},
           "0 shown, 2 no budget or usage error");

  return [=] {
    if (release->parsed()) return RunRelease(*args);
    if (budget_set->parsed()) return RunBudget(*args, true);
    if (budget_show->parsed()) return RunBudget(*args, false);
    return epsilon->parsed() ? RunEpsilon(*args) : RunNoise(*args);
  };
}

}  // namespace modelguard::cli
