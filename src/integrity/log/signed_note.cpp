#include "src/integrity/log/signed_note.h"

#include "modelguard/core/bytes.h"

namespace modelguard::integrity {

std::optional<SignedNote> ParseSignedNote(std::string_view note) {
  const auto split = note.find("\n\n");
  if (split == std::string_view::npos) return std::nullopt;
  SignedNote out;
  out.body = std::string(note.substr(0, split + 1));
  const auto l1 = out.body.find('\n');
  const auto l2 = out.body.find('\n', l1 + 1);
  const auto l3 = l2 == std::string::npos ? l2 : out.body.find('\n', l2 + 1);
  if (l3 == std::string::npos) return std::nullopt;
  out.origin = out.body.substr(0, l1);
  const std::string size_text = out.body.substr(l1 + 1, l2 - l1 - 1);
  if (size_text.empty() || size_text.size() > 19 || size_text.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  out.size = std::stoull(size_text);
  auto root = Base64Decode(out.body.substr(l2 + 1, l3 - l2 - 1));
  if (!root) return std::nullopt;
  out.root = std::move(*root);
  size_t at = split + 2;
  while (at < note.size()) {
    size_t end = note.find('\n', at);
    if (end == std::string_view::npos) end = note.size();
    const std::string_view line = note.substr(at, end - at);
    at = end + 1;
    const auto space = line.rfind(' ');
    if (line.substr(0, kNoteSignatureDash.size()) != kNoteSignatureDash || space == std::string_view::npos) continue;
    auto sig = Base64Decode(line.substr(space + 1));
    if (sig && sig->size() > 4) out.signatures.push_back({sig->substr(0, 4), sig->substr(4)});
  }
  return out;
}

}  // namespace modelguard::integrity
