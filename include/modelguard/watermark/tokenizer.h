#pragma once
// Text to token ids as a model's byte-level BPE tokenizer produces them, so that `watermark detect --text`
// scores the ids the model generated. Two file formats:
//   - a Hugging Face tokenizer.json whose model is "BPE" over the byte-level alphabet (GPT-2, RoBERTa/OPT,
//     Llama 3, Qwen 2): vocab, merges (strings "a b" or pairs), ignore_merges, added_tokens (counted in
//     vocab_size only), normalizer null or NFC, and one of the pre-tokenizers below;
//   - a tiktoken ranks file (lines "<base64 token> <rank>", as r50k_base.tiktoken or cl100k_base.tiktoken),
//     merged as tiktoken merges (the lowest-ranked adjacent concatenation first, a whole piece found in the
//     ranks taken as it is).
// Pre-tokenization is one of three split patterns, implemented by hand over code points with ICU's
// character properties (\p{L} general category L, \p{N} category N, \s the White_Space property, as the
// Rust regex crate and Oniguruma read them):
//   kGpt2:   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//            (GPT-2's encoder.py, Hugging Face's ByteLevel pre-tokenizer with use_regex, tiktoken r50k/p50k)
//   kCl100k: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
//            \s*[\r\n]+|\s+(?!\S)|\s+   (tiktoken cl100k_base; Llama 3's tokenizer.json spells it so)
//   kQwen2:  the same with \p{N} instead of \p{N}{1,3} (Qwen 2 and 2.5)
// A tokenizer.json with any other pre-tokenizer, normalizer or model option is refused (kUnsupported)
// rather than tokenized differently from the model.
//
// Special and added tokens are not matched in the input: "<|endoftext|>" in the text is tokenized as the
// plain characters it is made of (tiktoken's encode_ordinary, or Hugging Face with no added tokens), and no
// BOS/EOS is added. A watermark is scored on generated text, which holds no control tokens.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::watermark {

enum class SplitPattern { kGpt2, kCl100k, kQwen2 };
const char* ToString(SplitPattern pattern);  // "gpt2", "cl100k", "qwen2"
// "gpt2" (also "r50k", "p50k"), "cl100k" (also "llama3"), "qwen2"; anything else: kInvalidArgument.
Result<SplitPattern> ParseSplitPattern(std::string_view name);

// Limits on a tokenizer file, which is untrusted input.
inline constexpr uint64_t kMaxTokenizerFileBytes = uint64_t{64} << 20;
inline constexpr uint64_t kMaxTokenizerEntries = uint64_t{1} << 21;   // vocab, merges, ranks, added tokens each
inline constexpr uint64_t kMaxTokenizerTokenBytes = 4096;             // bytes of one token
inline constexpr uint64_t kMaxTokenizerId = (uint64_t{1} << 24) - 1;  // kMaxVocabulary - 1 (watermark.h)

class Tokenizer {
 public:
  // A byte-level BPE tokenizer from a Hugging Face tokenizer.json (model.type "BPE" with a ByteLevel
  // pre-tokenizer: GPT-2, RoBERTa/OPT, Llama 3, Qwen families) or a tiktoken ranks file (.tiktoken).
  // The format is sniffed from the content: a JSON object is a tokenizer.json, anything else a ranks file.
  // A ranks file does not name its split pattern: without `pattern`, it is picked by the number of ranks
  // (50256 as r50k_base/gpt2 or 50280 as p50k_base: kGpt2; 100256 as cl100k_base: kCl100k; any other
  // count is an error asking for the pattern). A tokenizer.json names its own; a `pattern` that disagrees
  // with it is an error.
  static Result<Tokenizer> Load(const std::filesystem::path& path);
  static Result<Tokenizer> Load(const std::filesystem::path& path, SplitPattern pattern);
  static Result<Tokenizer> FromBytes(std::string_view file_contents);  // format sniffed from content
  static Result<Tokenizer> FromBytes(std::string_view file_contents, SplitPattern pattern);

  // The ids of `utf8` (the whole text, no special tokens added). Invalid UTF-8 is an error value. A loaded
  // tokenizer is immutable: Encode may run on several threads at once, on one object or its copies.
  Result<std::vector<uint32_t>> Encode(std::string_view utf8) const;

  // Highest id + 1, added tokens included. For a ranks file of a known tiktoken encoding its special tokens
  // count too (r50k/gpt2: 50257, p50k: 50281, cl100k: 100277), as the model's vocabulary does.
  size_t vocab_size() const;
  SplitPattern split_pattern() const;
  bool is_tiktoken() const;  // false: a tokenizer.json

  // The pre-tokens of `utf8` under `pattern`, as byte ranges [begin, end) that tile the text (for tests).
  // The text must be valid UTF-8.
  static Result<std::vector<std::pair<size_t, size_t>>> Split(SplitPattern pattern, std::string_view utf8);

  struct Impl;  // immutable once loaded: copies share it

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace modelguard::watermark
