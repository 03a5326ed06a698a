#pragma once
// UTF-8 encoding of one code point, shared by the parsers that decode escapes (JSON \u, pickle's
// raw-unicode-escape) and the guard's normaliser. Validation is IsValidUtf8 (io.h).
#include <cstdint>
#include <string>

namespace modelguard {

// Appends `code_point` (at most 0x10FFFF) as 1 to 4 bytes. Surrogates are encoded as they are (CESU-style
// three bytes): callers that must refuse them check before.
void AppendUtf8(std::string& out, uint32_t code_point);

}  // namespace modelguard
