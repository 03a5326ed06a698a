// The attack table. To add an attack: write its run function beside the others of its risk (evasion/,
// extraction/ or membership/), declare it below and add its entry; docs/assess.md's attack list is then
// regenerated (tests/assess fails until it is).
#include "modelguard/assess/attack_table.h"

#include <algorithm>

namespace modelguard::assess {

Status EvadeFgsm(EvasionContext& context, EvasionCurve& curve);
Status EvadePgd(EvasionContext& context, EvasionCurve& curve);
Status EvadeAutoAttack(EvasionContext& context, EvasionCurve& curve);
Status EvadeSquare(EvasionContext& context, EvasionCurve& curve);
Status EvadeHopSkipJump(EvasionContext& context, EvasionCurve& curve);
Status ExtractJbda(ExtractionContext& context, ExtractionCurve& curve);
Status ExtractKnockoff(ExtractionContext& context, ExtractionCurve& curve);
Result<MembershipScores> InferYeom(const MembershipContext& context);
Result<MembershipScores> InferShokri(const MembershipContext& context);
Result<MembershipScores> InferLira(const MembershipContext& context);

namespace {

constexpr auto kWhite = Access::kWhiteBox;
constexpr auto kBlack = Access::kBlackBox;

const Attack kAttacks[] = {
    {.name = "fgsm",
     .risk = Risk::kEvasion,
     .access = kWhite,
     .norm = Norm::kLinf,
     .by_default = true,
     .summary =
         "Fast gradient sign method: one step of ε along the sign of the loss gradient (Goodfellow et al. 2015).",
     .evade = EvadeFgsm},
    {.name = "pgd",
     .risk = Risk::kEvasion,
     .access = kWhite,
     .norm = Norm::kLinf,
     .by_default = true,
     .summary = "Projected gradient descent (Madry et al. 2018): step 2.5·ε/steps, random start, `--pgd-steps`, "
                "`--pgd-restarts`.",
     .evade = EvadePgd},
    {.name = "pgd-l2",
     .risk = Risk::kEvasion,
     .access = kWhite,
     .norm = Norm::kL2,
     .by_default = true,
     .summary = "PGD in the L2 ball, read at `--l2-epsilons`.",
     .evade = EvadePgd},
    {.name = "autoattack",
     .risk = Risk::kEvasion,
     .access = kWhite,
     .norm = Norm::kLinf,
     .by_default = true,
     .summary = "Ensemble in the spirit of AutoAttack (Croce & Hein 2020): APGD-CE, APGD-DLR, then Square, each on "
                "the samples still robust.",
     .evade = EvadeAutoAttack},
    {.name = "square",
     .risk = Risk::kEvasion,
     .access = kBlack,
     .norm = Norm::kLinf,
     .by_default = false,
     .summary = "Square attack (Andriushchenko et al. 2020) alone: score-based, `--square-queries` per sample; for "
                "endpoints.",
     .evade = EvadeSquare},
    {.name = "hopskipjump",
     .risk = Risk::kEvasion,
     .access = kBlack,
     .norm = Norm::kL2,
     .by_default = true,
     .summary = "HopSkipJump (Chen et al. 2020): decision-based, labels only; finds each sample's closest "
                "adversarial once and reads the curve at every ε.",
     .evade = EvadeHopSkipJump},
    {.name = "jbda",
     .risk = Risk::kExtraction,
     .access = kBlack,
     .norm = std::nullopt,
     .by_default = true,
     .summary = "Jacobian-based dataset augmentation (Papernot et al. 2017): natural seeds per class, then synthetic "
                "samples along the surrogate's gradient.",
     .extract = ExtractJbda},
    {.name = "knockoff",
     .risk = Risk::kExtraction,
     .access = kBlack,
     .norm = std::nullopt,
     .by_default = true,
     .summary = "Knockoff-style: natural samples the attacker holds, queried in a fixed random order; the surrogate "
                "is retrained at budgets that double up to `--budget`.",
     .extract = ExtractKnockoff},
    {.name = "yeom",
     .risk = Risk::kMembership,
     .access = kBlack,
     .norm = std::nullopt,
     .by_default = true,
     .summary = "The returned confidence in the true class (Yeom et al. 2018).",
     .infer = InferYeom},
    {.name = "shokri",
     .risk = Risk::kMembership,
     .access = kBlack,
     .norm = std::nullopt,
     .by_default = true,
     .summary = "Shadow models trained on attacker data teach a logistic attack model what member answers look like "
                "(Shokri et al. 2017).",
     .infer = InferShokri,
     .needs_shadow_models = true},
    {.name = "lira",
     .risk = Risk::kMembership,
     .access = kBlack,
     .norm = std::nullopt,
     .by_default = true,
     .summary = "Offline LiRA with a fixed variance (Carlini et al. 2022): how far the target's confidence lies "
                "above the shadow models'.",
     .infer = InferLira,
     .needs_shadow_models = true},
};

}  // namespace

const char* ToString(Risk risk) {
  switch (risk) {
    case Risk::kEvasion:
      return "evasion";
    case Risk::kExtraction:
      return "extraction";
    case Risk::kMembership:
      return "membership";
  }
  return "unknown";
}

std::optional<Risk> ParseRisk(std::string_view text) {
  for (Risk risk : kRisks) {
    if (text == ToString(risk)) return risk;
  }
  return std::nullopt;
}

const char* ToString(Norm norm) { return norm == Norm::kL2 ? "l2" : "linf"; }

std::span<const Attack> Attacks() { return kAttacks; }

const Attack* FindAttack(Risk risk, std::string_view name) {
  for (const Attack& attack : kAttacks) {
    if (attack.risk == risk && attack.name == name) return &attack;
  }
  return nullptr;
}

std::vector<std::string> DefaultAttacks(Risk risk) {
  std::vector<std::string> names;
  for (const Attack& attack : kAttacks) {
    if (attack.risk == risk && attack.by_default) names.emplace_back(attack.name);
  }
  return names;
}

std::string AttackNames(Risk risk) {
  std::string names;
  for (const Attack& attack : kAttacks) {
    if (attack.risk == risk) names += (names.empty() ? "" : ", ") + std::string(attack.name);
  }
  return names;
}

Error UnknownAttack(Risk risk, std::string_view name) {
  // Extraction attacks have always been called methods (--extraction-methods).
  const char* noun = risk == Risk::kExtraction ? "method" : "attack";
  return MakeError(ErrorCode::kInvalidArgument, std::string("unknown ") + ToString(risk) + " " + noun + " '" +
                                                    std::string(name) + "' (" + AttackNames(risk) + ")");
}

std::string AttackListMarkdown() {
  std::string out =
      "| attack | risk | access | norm | default | what it does |\n"
      "|---|---|---|---|---|---|\n";
  for (const Attack& attack : kAttacks) {
    out += "| `" + std::string(attack.name) + "` | " + ToString(attack.risk) + " | " +
           (attack.access == Access::kWhiteBox ? "white box" : "black box") + " | " +
           (attack.norm ? (*attack.norm == Norm::kL2 ? "L2" : "L∞") : "-") + " | " +
           (attack.by_default ? "yes" : "no") + " | " + std::string(attack.summary) + " |\n";
  }
  return out;
}

}  // namespace modelguard::assess
