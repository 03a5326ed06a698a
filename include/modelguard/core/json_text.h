#pragma once
// JSON text written straight into a buffer, for records built on a hot path (the gateway's audit event and
// access log line) where a DOM and its serializer cost more than the request itself. The spelling is the
// one nlohmann::json::dump(-1, ' ', false, error_handler_t::replace) produces, so a record moved from a DOM
// to this writer keeps its bytes:
// - strings: '"' and '\\' escaped, \b \f \n \r \t as such, other bytes below 0x20 as \u00xx, everything
//   else as it is (no \u escapes for non-ASCII); bytes that are not UTF-8 become U+FFFD, one per maximal
//   invalid subsequence (Unicode's recommended practice), so the output is always valid UTF-8 and one line;
// - doubles: the shortest digits that read back to the same value, fixed notation for decimal exponents
//   -4..15 with ".0" on whole numbers, otherwise d.ddde±XX; NaN and infinities (not JSON) as null.
//   (nlohmann's own digit generator sometimes gives a 17-digit spelling where a shorter one reads back the
//   same; this writer gives the shorter one. Both read back to the identical double.)
#include <cstdint>
#include <string>
#include <string_view>

namespace modelguard {

// Appends `text` as a quoted JSON string.
void AppendJsonString(std::string& out, std::string_view text);
// The same without the quotes, for a string value written in pieces ("block:" + reason). Pieces must end
// on whole UTF-8 sequences to be escaped apart (an ASCII prefix always does).
void AppendJsonStringContent(std::string& out, std::string_view text);
void AppendJsonNumber(std::string& out, int64_t value);
void AppendJsonNumber(std::string& out, uint64_t value);
void AppendJsonNumber(std::string& out, double value);
// The shortest text that reads back as `value` ("null" when it is not finite), for messages and stored
// amounts that must round-trip.
std::string JsonNumberText(double value);

}  // namespace modelguard
