// The watermark detector's tokenizer (tokenizer.h) against independent implementations on real vocabularies:
// js-tiktoken with OpenAI's gpt2 and cl100k_base ranks, and tokenizers.js (@huggingface/tokenizers) with
// tokenizer.json files converted from them (tests/fixtures/make_tokenizer_fixtures.js writes both, the
// fixtures.tokenizers test runs it). Then the split patterns' edges the references cannot judge, and
// hostile tokenizer files.
#include "modelguard/watermark/tokenizer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_support.h"

namespace modelguard::watermark {
namespace {

std::string TokenizerFixtures() { return testing::FixtureDir() + "/tokenizers"; }

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const nlohmann::json& Expected() {
  static const nlohmann::json expected = [] {
    const std::string text = ReadText(TokenizerFixtures() + "/expected.json");
    return nlohmann::json::parse(text, nullptr, false);
  }();
  return expected;
}

std::string Show(const std::vector<uint32_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
  return out + "]";
}

// Every text of the fixtures encoded by `tokenizer` equals the reference's ids.
void ExpectSameIds(const Tokenizer& tokenizer, const nlohmann::json& reference) {
  const nlohmann::json& texts = Expected()["texts"];
  ASSERT_TRUE(reference.is_array());
  ASSERT_EQ(reference.size(), texts.size());
  ASSERT_GT(texts.size(), 400u);
  size_t differ = 0, tokens = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string text = texts[i].get<std::string>();
    auto ids = tokenizer.Encode(text);
    ASSERT_TRUE(ids) << ids.error().message;
    const auto want = reference[i].get<std::vector<uint32_t>>();
    tokens += want.size();
    if (*ids != want && ++differ <= 5)
      ADD_FAILURE() << "text " << i << " " << nlohmann::json(text).dump() << "\n  ours:      " << Show(*ids)
                    << "\n  reference: " << Show(want);
  }
  EXPECT_EQ(differ, 0u) << "of " << texts.size() << " texts";
  EXPECT_GT(tokens, 5000u);
}

TEST(WatermarkTokenizer, Gpt2RanksEncodeAsJsTiktoken) {
  ASSERT_TRUE(Expected().is_object()) << "no " << TokenizerFixtures() << "/expected.json (fixtures.tokenizers)";
  auto tokenizer = Tokenizer::Load(TokenizerFixtures() + "/gpt2.tiktoken");
  ASSERT_TRUE(tokenizer) << tokenizer.error().message;
  EXPECT_TRUE(tokenizer->is_tiktoken());
  EXPECT_EQ(tokenizer->split_pattern(), SplitPattern::kGpt2);  // picked by the number of ranks
  EXPECT_EQ(tokenizer->vocab_size(), Expected()["vocab_size"]["gpt2"].get<size_t>());
  ExpectSameIds(*tokenizer, Expected()["tiktoken"]["gpt2"]);
}

TEST(WatermarkTokenizer, Cl100kRanksEncodeAsJsTiktoken) {
  ASSERT_TRUE(Expected().is_object());
  auto tokenizer = Tokenizer::Load(TokenizerFixtures() + "/cl100k_base.tiktoken");
  ASSERT_TRUE(tokenizer) << tokenizer.error().message;
  EXPECT_EQ(tokenizer->split_pattern(), SplitPattern::kCl100k);
  EXPECT_EQ(tokenizer->vocab_size(), Expected()["vocab_size"]["cl100k"].get<size_t>());
  ExpectSameIds(*tokenizer, Expected()["tiktoken"]["cl100k"]);
}

TEST(WatermarkTokenizer, TokenizerJsonFilesEncodeAsTokenizersJs) {
  ASSERT_TRUE(Expected().is_object());
  const std::vector<std::pair<std::string, SplitPattern>> files = {
      {"gpt2", SplitPattern::kGpt2}, {"llama3", SplitPattern::kCl100k}, {"qwen2", SplitPattern::kQwen2}};
  for (const auto& [name, pattern] : files) {
    SCOPED_TRACE(name);
    auto tokenizer = Tokenizer::Load(TokenizerFixtures() + "/" + name + ".tokenizer.json");
    ASSERT_TRUE(tokenizer) << tokenizer.error().message;
    EXPECT_FALSE(tokenizer->is_tiktoken());
    EXPECT_EQ(tokenizer->split_pattern(), pattern);
    EXPECT_EQ(tokenizer->vocab_size(), Expected()["vocab_size"]["hf_" + name].get<size_t>());
    ExpectSameIds(*tokenizer, Expected()["hf"][name]);
  }
}

TEST(WatermarkTokenizer, NamedPatternsAndCopies) {
  const std::string ranks = ReadText(TokenizerFixtures() + "/gpt2.tiktoken");
  ASSERT_FALSE(ranks.empty());
  // The ranks of GPT-2 split as cl100k when asked: "a\n\nb" is a, \n, \n, b for GPT-2 and a, \n\n, b for
  // cl100k, whose pattern keeps line breaks together.
  auto as_gpt2 = Tokenizer::FromBytes(ranks), as_cl100k = Tokenizer::FromBytes(ranks, SplitPattern::kCl100k);
  ASSERT_TRUE(as_gpt2 && as_cl100k);
  EXPECT_EQ(as_cl100k->split_pattern(), SplitPattern::kCl100k);
  EXPECT_EQ(*as_gpt2->Encode("a\n\nb"), (std::vector<uint32_t>{64, 198, 198, 65}));
  EXPECT_EQ(*as_cl100k->Encode("a\n\nb"), (std::vector<uint32_t>{64, 628, 65}));
  // A copy shares the loaded tables and encodes the same.
  const Tokenizer copy = *as_gpt2;
  EXPECT_EQ(*copy.Encode("Hello world"), (std::vector<uint32_t>{15496, 995}));
  // A tokenizer.json names its own pattern: another one is an error.
  const std::string json = ReadText(TokenizerFixtures() + "/gpt2.tokenizer.json");
  auto conflicting = Tokenizer::FromBytes(json, SplitPattern::kCl100k);
  ASSERT_FALSE(conflicting);
  EXPECT_EQ(conflicting.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(Tokenizer::FromBytes(json, SplitPattern::kGpt2));
  EXPECT_EQ(*ParseSplitPattern("llama3"), SplitPattern::kCl100k);
  EXPECT_FALSE(ParseSplitPattern("o200k"));
  // Truncated ranks (not a known encoding by size) need the pattern named.
  const std::string some = ranks.substr(0, ranks.find("\n", ranks.size() / 2) + 1);
  auto unnamed = Tokenizer::FromBytes(some);
  ASSERT_FALSE(unnamed);
  EXPECT_NE(unnamed.error().message.find("split pattern"), std::string::npos) << unnamed.error().message;
  auto named = Tokenizer::FromBytes(some, SplitPattern::kGpt2);
  ASSERT_TRUE(named) << named.error().message;
  EXPECT_LT(named->vocab_size(), 50257u);
}

// Pieces of `text` under `pattern`, as strings.
std::vector<std::string> Pieces(SplitPattern pattern, std::string_view text) {
  auto ranges = Tokenizer::Split(pattern, text);
  EXPECT_TRUE(ranges);
  std::vector<std::string> out;
  if (!ranges) return out;
  size_t at = 0;
  for (const auto& [begin, end] : *ranges) {
    EXPECT_EQ(begin, at);
    EXPECT_LT(begin, end);
    out.emplace_back(text.substr(begin, end - begin));
    at = end;
  }
  EXPECT_EQ(at, text.size());
  return out;
}

using Strings = std::vector<std::string>;

TEST(WatermarkTokenizer, SplitPatternsOnWhatTheJavaScriptReferencesCannotJudge) {
  // U+0085 (NEXT LINE) and U+FEFF: White_Space has the first, not the second (Rust regex, Oniguruma);
  // JavaScript's \s has it the other way round.
  EXPECT_EQ(Pieces(SplitPattern::kGpt2, "a\u0085\u0085b"), (Strings{"a", "\u0085", "\u0085", "b"}));
  EXPECT_EQ(Pieces(SplitPattern::kGpt2, "a \u0085 b"), (Strings{"a", " \u0085", " b"}));
  EXPECT_EQ(Pieces(SplitPattern::kGpt2, "a\ufeff\ufeffb"), (Strings{"a", "\ufeff\ufeff", "b"}));
  EXPECT_EQ(Pieces(SplitPattern::kCl100k, "a\ufeffb"), (Strings{"a", "\ufeffb"}));
  // (?i) folds U+017F LATIN SMALL LETTER LONG S to 's' (Unicode simple case folding): a contraction in
  // cl100k, not in GPT-2's case-sensitive pattern.
  EXPECT_EQ(Pieces(SplitPattern::kCl100k, "it'\u017F"), (Strings{"it", "'\u017F"}));
  EXPECT_EQ(Pieces(SplitPattern::kGpt2, "it'\u017F"), (Strings{"it", "'", "\u017F"}));
  EXPECT_EQ(Pieces(SplitPattern::kCl100k, "IT'S"), (Strings{"IT", "'S"}));
  EXPECT_EQ(Pieces(SplitPattern::kGpt2, "IT'S"), (Strings{"IT", "'", "S"}));
  // Digits: GPT-2 keeps runs, cl100k cuts them in threes, Qwen 2 in ones.
  EXPECT_EQ(Pieces(SplitPattern::kGpt2, "1234567"), (Strings{"1234567"}));
  EXPECT_EQ(Pieces(SplitPattern::kCl100k, "1234567"), (Strings{"123", "456", "7"}));
  EXPECT_EQ(Pieces(SplitPattern::kQwen2, "123"), (Strings{"1", "2", "3"}));
  // White space before a word keeps its last character for the word; at the end it stays whole.
  EXPECT_EQ(Pieces(SplitPattern::kGpt2, "a   b  "), (Strings{"a", "  ", " b", "  "}));
  EXPECT_EQ(Pieces(SplitPattern::kCl100k, "a \n\n \tb"), (Strings{"a", " \n\n", " ", "\tb"}));
  EXPECT_TRUE(Pieces(SplitPattern::kGpt2, "").empty());
}

TEST(WatermarkTokenizer, TextsThatAreNotUtf8AreErrors) {
  auto tokenizer = Tokenizer::Load(TokenizerFixtures() + "/gpt2.tiktoken");
  ASSERT_TRUE(tokenizer);
  for (const std::string& bad : {std::string("abc\xff"), std::string("\xc0\x80"), std::string("\xed\xa0\x80"),
                                 std::string("ok \xe2\x82"), std::string("\xf4\x90\x80\x80")}) {
    auto ids = tokenizer->Encode(bad);
    ASSERT_FALSE(ids) << nlohmann::json::binary({bad.begin(), bad.end()}).dump();
    EXPECT_EQ(ids.error().code, ErrorCode::kParse);
    EXPECT_NE(ids.error().message.find("UTF-8"), std::string::npos);
  }
  EXPECT_TRUE(tokenizer->Encode("")->empty());
  EXPECT_EQ(tokenizer->Encode(std::string("a\0b", 3))->size(), 3u);  // NUL is a character like any other
}

TEST(WatermarkTokenizer, LongPiecesAreNotQuadratic) {
  auto tokenizer = Tokenizer::Load(TokenizerFixtures() + "/gpt2.tiktoken");
  ASSERT_TRUE(tokenizer);
  // One pre-token of 2 MB: a naive merge loop rescans it for each of its ~10^6 merges.
  std::string word;
  for (int i = 0; i < 200000; ++i) word += "abcdefghij";
  const auto start = std::chrono::steady_clock::now();
  auto ids = tokenizer->Encode(word);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(ids);
  EXPECT_GT(ids->size(), 200000u);
  EXPECT_LT(ids->size(), 2000000u);
  EXPECT_LT(seconds, 30.0);
}

// ---------------------------------------------------------------- hostile tokenizer files

struct Refused {
  std::string name, contents;
  ErrorCode code;
  std::string says;  // a piece of the message
};

std::string MinimalJson(const std::string& pre_tokenizer, const std::string& model_extra = "",
                        const std::string& merges = "[]") {
  // The 256 byte tokens of the byte-level alphabet, ids 0..255, and "ab" (id 256).
  nlohmann::json vocab = nlohmann::json::object();
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    std::string c;
    const uint32_t cp = printable ? b : next++;
    if (cp < 0x80) {
      c = std::string(1, static_cast<char>(cp));
    } else {
      c += static_cast<char>(0xC0 | (cp >> 6));
      c += static_cast<char>(0x80 | (cp & 0x3F));
    }
    vocab[c] = b;
  }
  vocab["ab"] = 256;
  return R"({"pre_tokenizer": )" + pre_tokenizer + R"(, "model": {"type": "BPE", "vocab": )" + vocab.dump() +
         R"(, "merges": )" + merges + model_extra + "}}";
}

TEST(WatermarkTokenizer, MinimalTokenizerJsonMerges) {
  const std::string byte_level = R"({"type": "ByteLevel", "add_prefix_space": false})";
  auto tokenizer = Tokenizer::FromBytes(MinimalJson(byte_level, "", R"(["a b"])"));
  ASSERT_TRUE(tokenizer) << tokenizer.error().message;
  // "abc" and " ab"; the ids of single bytes are the bytes' values here.
  EXPECT_EQ(*tokenizer->Encode("abc ab"), (std::vector<uint32_t>{256, 'c', ' ', 256}));
  EXPECT_EQ(tokenizer->vocab_size(), 257u);
}

TEST(WatermarkTokenizer, HostileTokenizerFilesAreErrors) {
  const std::string byte_level = R"({"type": "ByteLevel", "add_prefix_space": false})";
  const std::string gpt2_json = ReadText(TokenizerFixtures() + "/gpt2.tokenizer.json");
  ASSERT_FALSE(gpt2_json.empty());
  const std::vector<Refused> cases = {
      {"empty", "", ErrorCode::kParse, "empty"},
      {"white space", " \n\t", ErrorCode::kParse, "empty"},
      {"truncated json", gpt2_json.substr(0, gpt2_json.size() / 2), ErrorCode::kParse, "JSON"},
      {"json without a pre_tokenizer", "{}", ErrorCode::kUnsupported, "pre_tokenizer"},
      {"invalid base64", "YQ== 0\nY!== 1\n", ErrorCode::kParse, "base64"},
      {"no rank", "YQ==\n", ErrorCode::kParse, "line 1"},
      {"rank not a number", "YQ== x1\n", ErrorCode::kParse, "whole number"},
      {"huge rank", "YQ== 99999999999999999999\n", ErrorCode::kParse, "rank"},
      {"rank above the limit", "YQ== 16777216\n", ErrorCode::kParse, "rank above"},
      {"duplicate token", "YQ== 0\nYQ== 1\n", ErrorCode::kParse, "before"},
      {"bytes missing", "YQ== 0\nYg== 1\n", ErrorCode::kUnsupported, "byte"},
      {"wrong pre_tokenizer type", MinimalJson(R"({"type": "Whitespace"})"), ErrorCode::kUnsupported, "Whitespace"},
      {"pre_tokenizer not an object", MinimalJson("[1]"), ErrorCode::kParse, "pre_tokenizer"},
      {"add_prefix_space", MinimalJson(R"({"type": "ByteLevel", "add_prefix_space": true})"), ErrorCode::kUnsupported,
       "add_prefix_space"},
      {"no regex", MinimalJson(R"({"type": "ByteLevel", "use_regex": false})"), ErrorCode::kUnsupported, "use_regex"},
      {"another split regex",
       MinimalJson(R"({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\s+"},
                      "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "use_regex": false}]})"),
       ErrorCode::kUnsupported, "split patterns"},
      {"split removed", MinimalJson(R"({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern":
                      {"Regex": "\\s+"}, "behavior": "Removed"}, {"type": "ByteLevel", "use_regex": false}]})"),
       ErrorCode::kUnsupported, "Isolated"},
      {"normalizer", R"({"normalizer": {"type": "Lowercase"}})", ErrorCode::kUnsupported, "normalizer"},
      {"model not BPE", MinimalJson(byte_level, R"(, "type": "WordPiece")"), ErrorCode::kUnsupported, "BPE"},
      {"dropout", MinimalJson(byte_level, R"(, "dropout": 0.1)"), ErrorCode::kUnsupported, "dropout"},
      {"byte_fallback", MinimalJson(byte_level, R"(, "byte_fallback": true)"), ErrorCode::kUnsupported,
       "byte_fallback"},
      {"vocab wrong type", R"({"pre_tokenizer": {"type": "ByteLevel"}, "model": {"vocab": [], "merges": []}})",
       ErrorCode::kParse, "model.vocab"},
      {"vocab id a string", R"({"pre_tokenizer": {"type": "ByteLevel"}, "model": {"vocab": {"a": "1"}, "merges": []}})",
       ErrorCode::kParse, "expected an id"},
      {"vocab id negative", R"({"pre_tokenizer": {"type": "ByteLevel"}, "model": {"vocab": {"a": -1}, "merges": []}})",
       ErrorCode::kParse, "expected an id"},
      {"vocab id huge",
       R"({"pre_tokenizer": {"type": "ByteLevel"}, "model": {"vocab": {"a": 18446744073709551615}, "merges": []}})",
       ErrorCode::kParse, "expected an id"},
      {"vocab lacks bytes", R"({"pre_tokenizer": {"type": "ByteLevel"}, "model": {"vocab": {"a": 0}, "merges": []}})",
       ErrorCode::kUnsupported, "byte"},
      {"merges wrong type", MinimalJson(byte_level, "", "{}"), ErrorCode::kParse, "model.merges"},
      {"merge not a pair", MinimalJson(byte_level, "", R"(["a b c"])"), ErrorCode::kParse, "merges[0]"},
      {"merge a number", MinimalJson(byte_level, "", R"([["a", 1]])"), ErrorCode::kParse, "merges[0]"},
      {"merge of a missing token", MinimalJson(byte_level, "", R"(["a b", "x zz"])"), ErrorCode::kParse,
       "\"zz\" is not in the vocabulary"},
      {"merge into a missing token", MinimalJson(byte_level, "", R"(["b c"])"), ErrorCode::kParse, "merged token"},
      {"added_tokens wrong type", MinimalJson(byte_level).insert(1, R"("added_tokens": {"id": 5}, )"),
       ErrorCode::kParse, "added_tokens"},
      {"added token id huge", MinimalJson(byte_level).insert(1, R"("added_tokens": [{"id": 99999999999}], )"),
       ErrorCode::kParse, "added_tokens[0]"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto tokenizer = Tokenizer::FromBytes(c.contents);
    ASSERT_FALSE(tokenizer);
    EXPECT_EQ(tokenizer.error().code, c.code) << tokenizer.error().message;
    EXPECT_NE(tokenizer.error().message.find(c.says), std::string::npos) << tokenizer.error().message;
  }
  // Small files that would make large documents: refused by a first pass that builds nothing.
  std::string flat = "{\"a\": [";
  for (int i = 0; i < (1 << 23); ++i) flat += "0,";
  flat += "0]}";
  for (const std::string& big : {flat, "{\"a\": " + std::string(100, '[') + std::string(100, ']') + "}"}) {
    auto refused = Tokenizer::FromBytes(big);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kLimit) << refused.error().message;
  }
  // Over the size limit: refused before parsing.
  auto huge = Tokenizer::FromBytes(std::string(kMaxTokenizerFileBytes + 1, ' '));
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().code, ErrorCode::kLimit);
  auto missing = Tokenizer::Load(TokenizerFixtures() + "/absent.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace modelguard::watermark
