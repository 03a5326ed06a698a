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
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

struct PrivacyArgs {
  std::string sample_rate, noise, steps, delta, epsilon, orders;
  std::string accountant = "all";
  std::string format = "text";
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
  std::stringstream list(text);
  std::string item;
  while (std::getline(list, item, ',')) {
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

}  // namespace

Action AddPrivacy(CLI::App& command) {
  auto args = std::make_shared<PrivacyArgs>();
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  Describe(cmd, "Accounting for DP-SGD: Poisson sampling with rate Q, Gaussian noise of sigma times the clipping norm.",
           {"modelguard privacy epsilon --sample-rate 0.004267 --noise 1.1 --steps 14063 --delta 1e-5",
            "modelguard privacy noise --epsilon 3 --delta 1e-5 --sample-rate 0.01 --steps 3000"},
           "0 computed, 2 usage error or a target that cannot be reached");
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
  return [=] { return epsilon->parsed() ? RunEpsilon(*args) : RunNoise(*args); };
}

}  // namespace modelguard::cli
