#pragma once
// Text normalisation shared by every guard detector: the detectors must see what the model sees, not what
// an attacker dressed it up as. One pass over the UTF-8 input produces a folded text (compatibility
// decomposition, combining marks dropped, case folded, homoglyphs mapped to Latin, invisible characters
// removed) with a map from each folded byte back to the input byte it came from, so findings point at the
// caller's text. Further "views" decode what is hidden inside: base64, hex, URL escapes, rot13, leetspeak,
// and ASCII smuggled in Unicode tag characters.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace modelguard::guard {

// Caps that keep hostile input linear and bounded.
inline constexpr size_t kMaxViews = 32;           // decoded segments kept per text
inline constexpr size_t kMinEncodedSegment = 16;  // shorter base64/hex runs are ordinary tokens
inline constexpr size_t kMaxDecodeDepth = 2;      // base64 inside base64, no further

struct HiddenCharacters {
  size_t zero_width = 0;  // U+200B..U+200D, U+2060..U+2064, U+FEFF, U+180E
  size_t tags = 0;        // U+E0000..U+E007F: invisible ASCII ("ASCII smuggling")
  size_t bidi = 0;        // U+202A..U+202E, U+2066..U+2069: reordering controls
  size_t invalid_utf8 = 0;
  size_t first_offset = 0;  // input byte offset of the first one
  size_t total() const { return zero_width + tags + bidi + invalid_utf8; }
};

struct TextView {
  std::string kind;         // "folded", "tags", "base64", "hex", "url", "rot13", "leet"
  std::string text;         // always folded the same way as the main text
  size_t source_begin = 0;  // the input bytes this view was decoded from
  size_t source_end = 0;
};

struct NormalizedText {
  std::string folded;            // the main view
  std::vector<uint32_t> source;  // folded byte i came from input byte source[i]; source.size() == folded.size() + 1
  HiddenCharacters hidden;
  std::vector<TextView> decoded;  // extra views, each scanned like the main one

  // Input byte range of folded bytes [begin, end).
  std::pair<size_t, size_t> SourceRange(size_t begin, size_t end) const;
};

// Folds `input` (any bytes; invalid UTF-8 is counted and replaced by U+FFFD).
NormalizedText Normalize(std::string_view input);

// Only the folding, no decoded views (used on decoded views themselves and on model inputs).
std::string Fold(std::string_view input);

}  // namespace modelguard::guard
