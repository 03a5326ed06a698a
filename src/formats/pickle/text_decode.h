#pragma once
// Decoders for the text arguments of protocol-0 opcodes, as CPython applies them. A name spelled with
// escapes ('o\x73', 'o\u0073') must resolve to the same import the loader performs.
#include <optional>
#include <string>
#include <string_view>

namespace modelguard::formats::pickle::text {

bool IsAscii(std::string_view s);
// Strict UTF-8 (what PyUnicode_DecodeUTF8(..., "strict") accepts).
bool IsUtf8Strict(std::string_view s);
// UTF-8 with encoded surrogates allowed (the "surrogatepass" handler BINUNICODE uses).
bool IsUtf8SurrogatePass(std::string_view s);
// PyBytes_DecodeEscape as used by the STRING opcode; nullopt where CPython raises.
std::optional<std::string> DecodeEscapes(std::string_view s);
// The raw-unicode-escape codec (UNICODE opcode): \uXXXX and \UXXXXXXXX, other bytes are Latin-1.
// Returns UTF-8; nullopt where CPython raises.
std::optional<std::string> DecodeRawUnicodeEscape(std::string_view s);

}  // namespace modelguard::formats::pickle::text
