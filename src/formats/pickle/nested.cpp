// Decoding of pickle-carrying constants. Every constant of every pickle passes through MightCarry, so it
// looks only at the first bytes (and, for text that could be a protocol-0 pickle, one memchr). Decoders run
// only when those bytes are the start of a pickle, of zlib/gzip, or of base64/hex text whose first decoded
// bytes are; the machine's own silent run then confirms that the result is a pickle.
#include "src/formats/pickle/nested.h"

#include <array>
#include <cctype>
#include <cstring>
#include <string_view>

#include "modelguard/core/bytes.h"
#include "modelguard/formats/inflate.h"

namespace modelguard::formats::pickle::nested {
namespace {

constexpr int kMaxLayers = 4;
constexpr size_t kInflateHead = 64;        // output inspected before a stream is inflated in full
constexpr size_t kProtocolZeroScan = 512;  // where a protocol-0/1 import line must have ended

// Bytes CPython accepts as the first opcode of a pickle that can go on to import something. Protocols 0
// and 1 write no PROTO header; Python starts them with GLOBAL, MARK or an empty container, a crafted one
// may push a scalar first.
// Byte classes, one table lookup each on the path every constant takes.
enum : uint8_t { kStart = 1, kNameByte = 2 };
constexpr std::array<uint8_t, 256> kClasses = [] {
  std::array<uint8_t, 256> t{};
  for (const char c : std::string_view("(c}])iNXUVSTIJKG")) t[static_cast<uint8_t>(c)] |= kStart;
  t[0x8c] |= kStart;
  t[0x95] |= kStart;
  for (int c = 0; c < 256; ++c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '.' || c >= 0x80)
      t[static_cast<size_t>(c)] |= kNameByte;
  }
  return t;
}();
// Both base64 alphabets at once ('+'/'-' are 62, '/'/'_' 63); -1 outside them.
constexpr std::array<int8_t, 256> kBase64 = [] {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 26; ++i) {
    t[static_cast<size_t>('A' + i)] = static_cast<int8_t>(i);
    t[static_cast<size_t>('a' + i)] = static_cast<int8_t>(26 + i);
  }
  for (int i = 0; i < 10; ++i) t[static_cast<size_t>('0' + i)] = static_cast<int8_t>(52 + i);
  t['+'] = t['-'] = 62;
  t['/'] = t['_'] = 63;
  return t;
}();

bool IsProtocolZeroStart(uint8_t c) { return (kClasses[c] & kStart) != 0; }
bool IsNameByte(uint8_t c) { return (kClasses[c] & kNameByte) != 0; }

// "c<module>\n<name>\n" (GLOBAL) or the same after 'i' (INST) whose module line ends at the newline `nl`.
// The opcode byte is itself a letter and may follow argument-less opcodes ("Ncos\n"), so it is any 'c' or
// 'i' in the run of name bytes before the newline that leaves a non-empty module name.
bool ImportLineEndsAt(ByteView b, size_t nl) {
  size_t start = nl;
  while (start > 0 && IsNameByte(b[start - 1])) --start;
  bool opcode = false;
  for (size_t j = start; j + 1 < nl && !opcode; ++j) opcode = b[j] == 'c' || b[j] == 'i';
  if (!opcode) return false;
  size_t end = nl + 1;
  while (end < b.size() && IsNameByte(b[end])) ++end;
  return end > nl + 1 && end < b.size() && b[end] == '\n';
}

bool IsPickleHeader(ByteView b) { return b.size() >= 2 && b[0] == 0x80 && b[1] <= 5; }

// A headerless pickle imports through GLOBAL/INST, two newline-terminated name lines, within its first
// opcodes; or, written with protocol-4 opcodes but no PROTO, through STACK_GLOBAL after a frame or string.
// Text is probed only when it has that shape ("cats are nice\n" and vocabulary entries never are).
bool LooksLikeProtocolZero(ByteView b) {
  if (b.size() < 4 || !IsProtocolZeroStart(b[0])) return false;
  const size_t scan = std::min(b.size(), kProtocolZeroScan);
  if (b[0] == 0x8c || b[0] == 0x95) return std::memchr(b.data(), 0x93, scan) != nullptr;
  for (size_t at = 0; at < scan;) {
    const auto* nl = static_cast<const uint8_t*>(std::memchr(b.data() + at, '\n', scan - at));
    if (nl == nullptr) return false;
    const auto pos = static_cast<size_t>(nl - b.data());
    if (ImportLineEndsAt(b, pos)) return true;
    at = pos + 1;
  }
  return false;
}

bool IsZlib(ByteView b) {
  return b.size() >= 2 && (b[0] & 0x0F) == 8 && (b[0] >> 4) <= 7 && (b[1] & 0x20) == 0 &&
         ((static_cast<unsigned>(b[0]) << 8) | b[1]) % 31 == 0;
}
// Python 3 pickles bytes at protocols 0-2 as _codecs.encode(str, "latin1"): the constant is the UTF-8 of the
// bytes read as Latin-1, so a pickle header 0x80 arrives as C2 80.
bool IsLatin1Pickle(ByteView b) { return b.size() >= 3 && b[0] == 0xC2 && b[1] == 0x80; }

bool IsGzip(ByteView b) { return b.size() >= 3 && b[0] == 0x1F && b[1] == 0x8B && b[2] == 0x08; }

// The first decoded bytes of base64/hex text: worth decoding in full only when they start one of the
// things this file looks for.
bool HeadIsInteresting(ByteView head) {
  if (head.empty()) return false;
  if (IsPickleHeader(head) || IsZlib(head) || IsGzip(head)) return true;
  if (head.size() >= 2 && head[0] == 0x1F && head[1] == 0x8B) return true;
  return IsProtocolZeroStart(head[0]);
}

bool IsBase64Char(uint8_t c) { return kBase64[c] >= 0; }
bool IsSpace(uint8_t c) { return c == '\n' || c == '\r' || c == ' ' || c == '\t'; }

std::string_view AsText(ByteView b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

bool MightBeBase64(ByteView b) {
  if (b.size() < kMinConstant) return false;
  int v[4];
  for (size_t i = 0; i < 4; ++i) {
    v[i] = kBase64[b[i]];
    if (v[i] < 0) return false;
  }
  const std::array<uint8_t, 3> head = {static_cast<uint8_t>((v[0] << 2) | (v[1] >> 4)),
                                       static_cast<uint8_t>(((v[1] & 0x0F) << 4) | (v[2] >> 2)),
                                       static_cast<uint8_t>(((v[2] & 0x03) << 6) | v[3])};
  return HeadIsInteresting(head);
}

bool MightBeHex(ByteView b) {
  if (b.size() < kMinConstant || b.size() % 2 != 0) return false;
  std::array<uint8_t, 2> head{};
  for (size_t i = 0; i < 2; ++i) {
    const int hi = HexDigitValue(static_cast<char>(b[2 * i]));
    const int lo = HexDigitValue(static_cast<char>(b[2 * i + 1]));
    if (hi < 0 || lo < 0) return false;
    head[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return HeadIsInteresting(head);
}

class Peeler {
 public:
  Peeler(AnalysisContext& ctx, const std::function<bool(ByteView)>& confirm) : ctx_(ctx), confirm_(confirm) {}

  std::optional<Payload> Peel(ByteView b, std::string chain, int layers) {
    if ((IsPickleHeader(b) || LooksLikeProtocolZero(b)) && confirm_(b)) {
      Payload p;
      p.bytes = b;
      p.chain = std::move(chain);
      return p;
    }
    if (layers == 0 || budget_exhausted_) return std::nullopt;
    if (IsLatin1Pickle(b)) {
      if (auto out = Latin1(b)) return Deeper(std::move(*out), chain, "latin1", layers);
      return std::nullopt;
    }
    if (IsZlib(b) || IsGzip(b)) {
      const Deflate kind = IsGzip(b) ? Deflate::kGzip : Deflate::kZlib;
      if (auto out = Inflated(b, kind))
        return Deeper(std::move(*out), chain, kind == Deflate::kGzip ? "gzip" : "zlib", layers);
      return std::nullopt;
    }
    if (MightBeHex(b)) {
      // Charged before decoding, so a huge constant is refused before anything is allocated for it.
      if (!Charge(b.size() / 2)) return std::nullopt;
      if (auto out = HexDecode(AsText(b))) {
        if (auto p = Deeper({out->begin(), out->end()}, chain, "hex", layers)) return p;
      }
    }
    if (MightBeBase64(b)) {
      if (auto out = Base64(b)) {
        if (auto p = Deeper(std::move(*out), chain, "base64", layers)) return p;
      }
    }
    return std::nullopt;
  }

 private:
  std::optional<Payload> Deeper(std::vector<uint8_t> bytes, const std::string& chain, const char* step, int layers) {
    auto p = Peel(bytes, chain.empty() ? std::string(step) : chain + "+" + step, layers - 1);
    if (!p) return std::nullopt;
    if (p->owned.empty()) {
      // The pickle is this layer's output itself (or a view into it): keep the buffer alive with it.
      const auto offset = static_cast<size_t>(p->bytes.data() - bytes.data());
      const size_t size = p->bytes.size();
      p->owned = std::move(bytes);
      p->bytes = ByteView(p->owned).subspan(offset, size);
    }
    return p;
  }

  bool Charge(uint64_t n) {
    Budget& budget = CurrentBudget();
    if (n > kMaxDecodedBytes - budget.decoded) {
      budget_exhausted_ = true;
      ReportLimit(ctx_, std::nullopt,
                  "decoding constants that may hold nested pickles would exceed " + std::to_string(kMaxDecodedBytes) +
                      " bytes; the rest were not decoded");
      return false;
    }
    budget.decoded += n;
    return true;
  }

  std::optional<std::vector<uint8_t>> Inflated(ByteView b, Deflate kind) {
    // Look at the start of the output first: a stream whose output starts like nothing of interest is
    // never inflated in full, however large it claims to be.
    std::vector<uint8_t> head;
    Inflate(b, kind, [&](ByteView chunk) {
      head.insert(head.end(), chunk.begin(),
                  chunk.begin() + static_cast<std::ptrdiff_t>(std::min(chunk.size(), kInflateHead - head.size())));
      return head.size() < kInflateHead;
    });
    if (!IsPickleHeader(head) && !LooksLikeProtocolZero(head) && !MightBeHex(head) && !MightBeBase64(head) &&
        !IsZlib(head) && !IsGzip(head)) {
      return std::nullopt;
    }
    const uint64_t left = kMaxDecodedBytes - CurrentBudget().decoded;
    auto out = InflateAll(b, kind, left);
    if (!out) {
      if (out.error().code == ErrorCode::kLimit) Charge(left + 1);  // reports the cap
      return std::nullopt;
    }
    if (!Charge(out->size())) return std::nullopt;
    return std::move(*out);
  }

  std::optional<std::vector<uint8_t>> Latin1(ByteView b) {
    if (!Charge(b.size())) return std::nullopt;
    std::vector<uint8_t> out;
    out.reserve(b.size());
    for (size_t i = 0; i < b.size(); ++i) {
      if (b[i] < 0x80) {
        out.push_back(b[i]);
      } else if ((b[i] == 0xC2 || b[i] == 0xC3) && i + 1 < b.size() && (b[i + 1] & 0xC0) == 0x80) {
        out.push_back(static_cast<uint8_t>(((b[i] & 0x1F) << 6) | (b[i + 1] & 0x3F)));
        ++i;
      } else {
        return std::nullopt;  // a code point above U+00FF: not bytes written through Latin-1
      }
    }
    return out;
  }

  std::optional<std::vector<uint8_t>> Base64(ByteView b) {
    // base64.encodebytes wraps lines; the text is base64 only if nothing but the alphabet, line breaks and
    // final padding appear.
    if (!Charge(b.size() / 4 * 3 + 3)) return std::nullopt;
    std::string text;
    text.reserve(b.size());
    bool url = false;
    for (size_t i = 0; i < b.size(); ++i) {
      const uint8_t c = b[i];
      if (IsSpace(c)) continue;
      if (c == '=') {
        for (size_t k = i; k < b.size(); ++k) {
          if (b[k] != '=' && !IsSpace(b[k])) return std::nullopt;
        }
        break;
      }
      if (!IsBase64Char(c)) return std::nullopt;
      url |= c == '-' || c == '_';
      text += static_cast<char>(c);
    }
    auto out = Base64Decode(text, url ? Base64Alphabet::kUrl : Base64Alphabet::kStandard, Base64Padding::kForbidden);
    if (!out) return std::nullopt;
    return std::vector<uint8_t>(out->begin(), out->end());
  }

  AnalysisContext& ctx_;
  const std::function<bool(ByteView)>& confirm_;
  bool budget_exhausted_ = false;
};

}  // namespace

Budget& CurrentBudget() {
  thread_local Budget budget;
  return budget;
}

bool MightCarry(ByteView b) {
  if (b.size() < kMinConstant) return false;
  return IsPickleHeader(b) || LooksLikeProtocolZero(b) || IsLatin1Pickle(b) || IsZlib(b) || IsGzip(b) ||
         MightBeHex(b) || MightBeBase64(b);
}

std::optional<Payload> FindPayload(ByteView constant, AnalysisContext& ctx,
                                   const std::function<bool(ByteView)>& confirm) {
  if (CurrentBudget().decoded >= kMaxDecodedBytes) return std::nullopt;
  return Peeler(ctx, confirm).Peel(constant, "", kMaxLayers);
}

void ReportLimit(AnalysisContext& ctx, std::optional<uint64_t> offset, const std::string& what) {
  Budget& budget = CurrentBudget();
  if (budget.limit_reported) return;
  budget.limit_reported = true;
  ctx.Emit(fact::kLimit, offset, std::string(fact::kPickleNestedPayload.id()), what);
}

}  // namespace modelguard::formats::pickle::nested
