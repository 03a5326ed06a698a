#pragma once
// C2SP signed notes as used by tlog checkpoints (ours and Rekor's): a body of newline-terminated lines
// ("<origin>\n<size>\n<base64 root>\n", maybe more), a blank line, then "— <name> base64(keyhash[4] ||
// signature)" lines. Parsing only; which key verifies which line is the caller's business.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace modelguard::integrity {

inline constexpr std::string_view kNoteSignatureDash = "\xE2\x80\x94";  // U+2014

struct NoteSignature {
  std::string key_hash;  // 4 bytes
  std::string signature;
};

struct SignedNote {
  std::string body;  // the signed text, up to and including the newline before the blank line
  std::string origin;
  uint64_t size = 0;
  std::string root;  // raw bytes (32 for SHA-256 logs)
  std::vector<NoteSignature> signatures;
};

// nullopt when the text is not a checkpoint note (missing lines, non-numeric size, bad base64).
std::optional<SignedNote> ParseSignedNote(std::string_view note);

}  // namespace modelguard::integrity
