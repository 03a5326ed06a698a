#pragma once
// Evidence: any modelguard JSON result (scan, verify, bom, data manifest/verify/audit, assess, redteam,
// guard eval, monitor, ...) reduced to what governance reads — its kind, when it was made, a verdict, the
// findings by severity and the rule ids — while the bytes themselves are kept whole beside it.
#include <string>
#include <string_view>

#include "modelguard/core/result.h"
#include "modelguard/governance/store.h"

namespace modelguard::governance {

inline constexpr size_t kMaxEvidenceBytes = size_t{64} << 20;

// Fills kind, digest, produced (0 when the result carries no time) and summary_json from the bytes of a
// result. Not JSON, or JSON that is no modelguard result: kInvalidArgument saying so.
Result<Evidence> SummarizeEvidence(std::string_view bytes);

}  // namespace modelguard::governance
