#pragma once
// Numbers written for people and drawings (reports, SVG coordinates, CLI figures), as opposed to JSON
// (json_text.h), which needs the shortest spelling that reads back.
#include <string>

namespace modelguard {

// `value` with `digits` decimals in fixed notation, never exponent form.
std::string FixedDecimal(double value, int digits);

}  // namespace modelguard
