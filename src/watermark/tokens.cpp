// Token files for `watermark detect` (watermark.h): JSON, JSON Lines or plain numbers.
#include <cstdint>
#include <string>

#include "modelguard/watermark/watermark.h"

namespace modelguard::watermark {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class TokenReader {
 public:
  explicit TokenReader(std::string_view text) : text_(text) {}

  // A JSON array of whole numbers at the cursor, with JSON's white space, into `out`.
  Status Array(std::vector<uint64_t>& out, const std::string& where) {
    SkipSpace();
    if (!Take('[')) return Fail(where, "'[' expected");
    SkipSpace();
    if (Take(']')) return Ok{};
    for (;;) {
      SkipSpace();
      uint64_t id = 0;
      MG_TRY(Number(id, where));
      MG_TRY(Push(out, id, where));
      SkipSpace();
      if (Take(']')) return Ok{};
      if (!Take(',')) return Fail(where, "',' or ']' expected");
    }
  }

  // Decimal ids separated by white space or commas, to the end.
  Status Plain(std::vector<uint64_t>& out) {
    for (;;) {
      while (at_ < text_.size() && (IsSpace(text_[at_]) || text_[at_] == ',')) ++at_;
      if (at_ == text_.size()) return Ok{};
      uint64_t id = 0;
      MG_TRY(Number(id, "the token list"));
      MG_TRY(Push(out, id, "the token list"));
      if (at_ < text_.size() && !IsSpace(text_[at_]) && text_[at_] != ',')
        return Fail("the token list", "a token id is a whole number");
    }
  }

  void SkipSpace() {
    while (at_ < text_.size() && IsSpace(text_[at_])) ++at_;
  }
  bool AtEnd() const { return at_ == text_.size(); }
  size_t at() const { return at_; }

 private:
  bool Take(char c) {
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  Status Number(uint64_t& id, const std::string& where) {
    const size_t start = at_;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') {
      id = id * 10 + static_cast<uint64_t>(text_[at_] - '0');
      if (id > UINT32_MAX) return Fail(where, "a token id above 2^32 - 1");
      ++at_;
    }
    if (at_ == start) return Fail(where, "a token id (a whole number from 0) expected");
    if (at_ - start > 1 && text_[start] == '0') return Fail(where, "a token id with a leading zero");
    return Ok{};
  }
  Status Push(std::vector<uint64_t>& out, uint64_t id, const std::string& where) {
    if (++total_ > kMaxTokens) return Fail(where, "more than " + std::to_string(kMaxTokens) + " tokens");
    out.push_back(id);
    return Ok{};
  }
  Status Fail(const std::string& where, const std::string& what) const {
    return MakeError(ErrorCode::kParse, where + ": " + what + " at byte " + std::to_string(at_));
  }

  std::string_view text_;
  size_t at_ = 0;
  uint64_t total_ = 0;
};

}  // namespace

Result<std::vector<std::vector<uint64_t>>> ParseTokenSequences(std::string_view text) {
  std::vector<std::vector<uint64_t>> sequences;
  TokenReader reader(text);
  reader.SkipSpace();
  if (reader.AtEnd()) return MakeError(ErrorCode::kParse, "no tokens: the file is empty");
  if (text[reader.at()] != '[') {
    sequences.emplace_back();
    MG_TRY(reader.Plain(sequences.back()));
    return sequences;
  }
  // One array, or one per line: the arrays follow each other, a line break between them.
  uint64_t line = 1;
  for (;;) {
    sequences.emplace_back();
    MG_TRY(reader.Array(sequences.back(), "sequence " + std::to_string(line)));
    // After an array: spaces, then a line break and the next array, or the end.
    size_t at = reader.at();
    bool newline = false;
    while (at < text.size() && IsSpace(text[at])) newline |= text[at++] == '\n';
    reader.SkipSpace();
    if (reader.AtEnd()) return sequences;
    if (!newline)
      return MakeError(ErrorCode::kParse, "sequence " + std::to_string(line) +
                                              ": one JSON array per line expected, more text at byte " +
                                              std::to_string(reader.at()));
    ++line;
  }
}

}  // namespace modelguard::watermark
