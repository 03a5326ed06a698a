// Loading the adversarial-suffix language model: the shipped file is assembled into the binary like the
// injection classifier (src/guard/classifier/builtin_model.cpp), and every load checks its layout and digest,
// so a truncated or altered table is an error, never a silently different detector.
#include <array>
#include <cstring>

#include "modelguard/core/bytes.h"
#include "modelguard/core/hash.h"
#include "src/guard/suffix/suffix_model.h"

#ifdef MODELGUARD_GUARD_SUFFIX_MODEL
asm(".pushsection .rodata\n"
    ".balign 16\n"
    ".global modelguard_guard_suffix_model_begin\n"
    ".hidden modelguard_guard_suffix_model_begin\n"
    "modelguard_guard_suffix_model_begin:\n"
    ".incbin \"" MODELGUARD_GUARD_SUFFIX_MODEL
    "\"\n"
    ".global modelguard_guard_suffix_model_end\n"
    ".hidden modelguard_guard_suffix_model_end\n"
    "modelguard_guard_suffix_model_end:\n"
    ".popsection\n");
extern "C" const char modelguard_guard_suffix_model_begin[];
extern "C" const char modelguard_guard_suffix_model_end[];
#endif

namespace modelguard::guard {
namespace {

constexpr char kMagic[8] = {'M', 'G', 'S', 'F', 'X', 'L', 'M', '1'};
constexpr size_t kHeader = sizeof(kMagic) + 4;
constexpr size_t kTable = kSuffixAlphabet * kSuffixAlphabet * kSuffixAlphabet * kSuffixAlphabet;
constexpr size_t kDigest = 32;

// The alphabet (scripts/guard/train_suffix_lm.py's symbol_table): 0-25 letters, 26 whitespace, 27 digits,
// 28 '.', 29 ",;:", 30 "!?", 31 quotes, 32 brackets, 33 "-_/", 34 other ASCII, 35 any byte of a non-ASCII
// character.
constexpr std::array<uint8_t, 256> MakeSymbols() {
  std::array<uint8_t, 256> s{};
  for (size_t i = 0; i < 256; ++i) s[i] = i < 128 ? 34 : 35;
  for (int c = 0; c < 26; ++c) s['a' + c] = s['A' + c] = static_cast<uint8_t>(c);
  for (char c : {' ', '\t', '\n', '\r', '\v', '\f'}) s[static_cast<unsigned char>(c)] = 26;
  for (char c = '0'; c <= '9'; ++c) s[static_cast<unsigned char>(c)] = 27;
  s['.'] = 28;
  for (char c : {',', ';', ':'}) s[static_cast<unsigned char>(c)] = 29;
  for (char c : {'!', '?'}) s[static_cast<unsigned char>(c)] = 30;
  for (char c : {'\'', '"', '`'}) s[static_cast<unsigned char>(c)] = 31;
  for (char c : {'(', ')', '[', ']', '{', '}', '<', '>'}) s[static_cast<unsigned char>(c)] = 32;
  for (char c : {'-', '_', '/'}) s[static_cast<unsigned char>(c)] = 33;
  return s;
}
constexpr std::array<uint8_t, 256> kSymbols = MakeSymbols();

}  // namespace

uint8_t SuffixModel::Symbol(unsigned char byte) { return kSymbols[byte]; }

Result<std::shared_ptr<const SuffixModel>> SuffixModel::Load(std::string_view bytes) {
  auto bad = [](const std::string& why) { return MakeError(ErrorCode::kParse, "guard suffix model: " + why); };
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    return bad("not a modelguard suffix model (bad magic)");
  const auto order = static_cast<uint8_t>(bytes[8]), alphabet = static_cast<uint8_t>(bytes[9]),
             scale = static_cast<uint8_t>(bytes[10]);
  if (order != kSuffixOrder || alphabet != kSuffixAlphabet || scale != kSuffixScale)
    return bad("unsupported order, alphabet or scale");
  if (bytes.size() != kHeader + kTable + kDigest)
    return bad("expected " + std::to_string(kHeader + kTable + kDigest) + " bytes, got " +
               std::to_string(bytes.size()));
  const std::string_view body = bytes.substr(0, kHeader + kTable);
  if (!ConstantTimeEqual(Sha256Bytes(body), bytes.substr(kHeader + kTable))) return bad("digest mismatch");
  auto model = std::make_shared<SuffixModel>();
  model->table_.assign(body.substr(kHeader));
  return std::shared_ptr<const SuffixModel>(std::move(model));
}

Result<std::shared_ptr<const SuffixModel>> SuffixModel::Builtin() {
#ifdef MODELGUARD_GUARD_SUFFIX_MODEL
  static const auto model = Load(
      std::string_view(modelguard_guard_suffix_model_begin,
                       static_cast<size_t>(modelguard_guard_suffix_model_end - modelguard_guard_suffix_model_begin)));
  return model;
#else
  return MakeError(ErrorCode::kUnsupported,
                   "this build has no built-in suffix model: run scripts/guard/train_suffix_lm.py");
#endif
}

}  // namespace modelguard::guard
