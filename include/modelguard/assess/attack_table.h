#pragma once
// The assessment's attacks, one table. Each entry names an attack, the risk it measures, what access it
// needs, the norm of its budget and the function that runs it. Everything that lists attacks reads this
// table: the defaults of EvasionPlan/ExtractionPlan/MembershipPlan, the runners' dispatch and "unknown
// attack" messages, `modelguard assess --help`, and the attack list in docs/assess.md (generated, and
// checked by tests/assess). See docs/extending.md, "Adding an attack".
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/assess/report.h"
#include "modelguard/core/result.h"

namespace modelguard::assess {

// The risks an assessment judges, in report order.
enum class Risk { kEvasion, kExtraction, kMembership };
inline constexpr Risk kRisks[] = {Risk::kEvasion, Risk::kExtraction, Risk::kMembership};
const char* ToString(Risk risk);
std::optional<Risk> ParseRisk(std::string_view text);

// White box: needs the model itself (gradients), so only a local TorchScript target runs it. Black box:
// needs only the target's answers, so it runs against an endpoint too.
enum class Access { kWhiteBox, kBlackBox };
enum class Norm { kLinf, kL2 };
const char* ToString(Norm norm);  // linf | l2

// What each kind of attack is handed: defined beside the attacks (evasion.cpp, extraction.cpp,
// membership.cpp), so this header needs no libtorch.
struct EvasionContext;
struct ExtractionContext;
struct MembershipContext;

// A membership attack's scores, higher meaning "member".
struct MembershipScores {
  std::vector<double> members;
  std::vector<double> nonmembers;
};

struct Attack {
  std::string_view name;  // as given to --evasion-attacks, --extraction-methods, --membership-attacks
  Risk risk;
  Access access;
  std::optional<Norm> norm;  // evasion: the norm of its epsilon budget
  bool by_default;           // run when the request names no attacks of its risk
  std::string_view summary;  // one line for --help and docs/assess.md
  // The run function of the attack's risk; the others stay null.
  Status (*evade)(EvasionContext&, EvasionCurve&) = nullptr;          // fills robust_accuracy per epsilon
  Status (*extract)(ExtractionContext&, ExtractionCurve&) = nullptr;  // fills fidelity and accuracy
  Result<MembershipScores> (*infer)(const MembershipContext&) = nullptr;
  bool needs_shadow_models = false;  // membership: the shared shadow models are trained when any attack asks
};

std::span<const Attack> Attacks();
// The attack of `risk` called `name`; nullptr when there is none.
const Attack* FindAttack(Risk risk, std::string_view name);
// The attacks of `risk` run by default, in table order.
std::vector<std::string> DefaultAttacks(Risk risk);
// "fgsm, pgd, ..." : every attack of `risk`, for messages and help.
std::string AttackNames(Risk risk);
// The unknown-attack error: names the risk, the bad name and the known ones.
Error UnknownAttack(Risk risk, std::string_view name);
// The attack list of docs/assess.md (Markdown), generated from the table.
std::string AttackListMarkdown();

}  // namespace modelguard::assess
