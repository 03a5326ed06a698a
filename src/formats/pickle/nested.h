#pragma once
// Pickles carried inside pickles. A str/bytes constant can hold a second pickle, raw or wrapped in base64,
// hex, zlib or gzip (a "multistage" loader unpickles the outer object, decodes the field and unpickles
// again). The machine hands every constant to FindPayload; what decodes to a pickle is analysed as a
// member of the outer pickle, so its findings carry the nesting path.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "modelguard/formats/format.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kPickleNestedPayload{"pickle.nested-payload"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats::pickle::nested {

// Caps per top-level pickle: nesting depth, bytes produced by decoding, payloads analysed. Reaching one
// is a limit-exceeded fact.
inline constexpr uint32_t kMaxDepth = 4;
inline constexpr uint64_t kMaxDecodedBytes = uint64_t{64} << 20;
inline constexpr uint32_t kMaxPayloads = 256;
// Shortest constant worth looking at: no pickle that imports anything fits in fewer bytes.
inline constexpr size_t kMinConstant = 8;

// Nesting state of the pickle analysis running on this thread. The outermost run (depth 0) starts a
// fresh budget; nested runs share it.
struct Budget {
  uint32_t depth = 0;
  uint64_t decoded = 0;
  uint32_t payloads = 0;
  bool limit_reported = false;
};
Budget& CurrentBudget();

// Resets the budget when the analysis that creates it is the outermost one.
class OuterScope {
 public:
  OuterScope() {
    if (CurrentBudget().depth == 0) CurrentBudget() = Budget{};
  }
};

struct Payload {
  std::vector<uint8_t> owned;  // the decoded pickle, unless it is the constant itself
  ByteView bytes;              // the pickle: a view of `owned` or of the constant
  std::string chain;           // decoding steps applied, outermost first ("base64+zlib"); "" when raw
};

// Cheap test on the first bytes: could the constant be a pickle or an encoding that may hold one.
bool MightCarry(ByteView constant);

// Decodes `constant` through up to four layers until the bytes start like a pickle and `confirm` accepts
// them. Decoded bytes are charged to the budget; running out of it emits one limit fact through ctx.
std::optional<Payload> FindPayload(ByteView constant, AnalysisContext& ctx,
                                   const std::function<bool(ByteView)>& confirm);

// Reports a cap once per top-level pickle.
void ReportLimit(AnalysisContext& ctx, std::optional<uint64_t> offset, const std::string& what);

}  // namespace modelguard::formats::pickle::nested
