// Whole-file compression wrappers (gzip, raw zlib as joblib writes it, bzip2, xz, legacy lzma, lz4 frame,
// zstd). Decompression is done by the reference libraries into a capped buffer; the result goes back to
// the sniffer. Magic numbers: RFC 1952 (gzip), RFC 1950 (zlib header check), bzip2 "BZh", xz
// FD 37 7A 58 5A 00, lzma-alone properties byte 0x5D, LZ4 frame 04 22 4D 18, zstd 28 B5 2F FD.
#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zstd.h>

#include <cstring>
#include <functional>
#include <string>

#include "modelguard/formats/inflate.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats {
namespace {

enum class Codec { kNone, kGzip, kZlib, kBzip2, kXz, kLzmaAlone, kLz4, kZstd };

Codec Identify(ByteView d) {
  auto starts = [&](std::initializer_list<uint8_t> magic) {
    return d.size() >= magic.size() && std::equal(magic.begin(), magic.end(), d.begin());
  };
  if (starts({0x1f, 0x8b, 0x08})) return Codec::kGzip;
  if (starts({'B', 'Z', 'h'}) && d.size() > 3 && d[3] >= '1' && d[3] <= '9') return Codec::kBzip2;
  if (starts({0xFD, '7', 'z', 'X', 'Z', 0x00})) return Codec::kXz;
  if (starts({0x04, 0x22, 0x4D, 0x18})) return Codec::kLz4;
  if (starts({0x28, 0xB5, 0x2F, 0xFD})) return Codec::kZstd;
  // zlib: CM=8, CINFO<=7, header checksum, no preset dictionary.
  if (d.size() >= 2 && (d[0] & 0x0F) == 8 && (d[0] >> 4) <= 7 && ((d[0] << 8) | d[1]) % 31 == 0 && !(d[1] & 0x20)) {
    return Codec::kZlib;
  }
  // lzma-alone: properties 0x5D and a dictionary size that is a power of two.
  if (d.size() >= 13 && d[0] == 0x5D && d[1] == 0x00) return Codec::kLzmaAlone;
  return Codec::kNone;
}

const char* CodecName(Codec c) {
  switch (c) {
    case Codec::kGzip:
      return "gzip";
    case Codec::kZlib:
      return "zlib";
    case Codec::kBzip2:
      return "bzip2";
    case Codec::kXz:
      return "xz";
    case Codec::kLzmaAlone:
      return "lzma";
    case Codec::kLz4:
      return "lz4";
    case Codec::kZstd:
      return "zstd";
    default:
      return "none";
  }
}

constexpr size_t kChunk = 1 << 16;

// Appends produced bytes within the context's decompression budgets (UnpackBuffer); the whole file is the
// compressed size the ratio is taken against.
class Output {
 public:
  Output(AnalysisContext& ctx, std::string_view what, uint64_t compressed_size) : ctx_(ctx), buffer_(ctx) {
    buffer_.Start(std::string(what), compressed_size);
    what_ = what;
  }
  bool Append(const uint8_t* p, size_t n) { return buffer_.Append(ByteView(p, n)); }
  ByteView bytes() const { return buffer_.view(); }
  // A decoder that would need more than the budget allows before producing anything.
  void Refuse(const std::string& why) { ctx_.Emit(fact::kLimit, std::nullopt, std::string(what_), why); }

 private:
  AnalysisContext& ctx_;
  UnpackBuffer buffer_;
  std::string_view what_;
};

// Each returns "" on success or an error message. Output keeps what was produced before an error.
std::string Zlib(ByteView in, Output& out, Deflate kind) {
  const InflateOutcome r = Inflate(in, kind, [&](ByteView chunk) { return out.Append(chunk.data(), chunk.size()); });
  switch (r.end) {
    case InflateEnd::kComplete:
      return "";
    case InflateEnd::kStopped:
      return "budget";
    case InflateEnd::kTruncated:
      return "truncated stream";
    case InflateEnd::kCorrupt:
      break;
  }
  return r.message;
}

std::string Bzip2(ByteView in, Output& out) {
  bz_stream bs{};
  if (BZ2_bzDecompressInit(&bs, 0, 0) != BZ_OK) return "bzip2 init failed";
  uint8_t buf[kChunk];
  uint64_t pos = 0;
  std::string error;
  while (true) {
    if (bs.avail_in == 0 && pos < in.size()) {
      const auto n = static_cast<unsigned>(std::min<uint64_t>(in.size() - pos, 1u << 30));
      bs.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data() + pos));
      bs.avail_in = n;
      pos += n;
    }
    bs.next_out = reinterpret_cast<char*>(buf);
    bs.avail_out = kChunk;
    const int rc = BZ2_bzDecompress(&bs);
    if (!out.Append(buf, kChunk - bs.avail_out)) {
      error = "budget";
      break;
    }
    if (rc == BZ_STREAM_END) {
      const uint64_t consumed = pos - bs.avail_in;
      if (consumed + 3 < in.size() && in[consumed] == 'B' && in[consumed + 1] == 'Z') {
        BZ2_bzDecompressEnd(&bs);
        bs = bz_stream{};
        BZ2_bzDecompressInit(&bs, 0, 0);
        bs.next_in = const_cast<char*>(reinterpret_cast<const char*>(in.data() + consumed));
        bs.avail_in = static_cast<unsigned>(std::min<uint64_t>(in.size() - consumed, 1u << 30));
        pos = consumed + bs.avail_in;
        continue;
      }
      break;
    }
    if (rc != BZ_OK) {
      error = "corrupt bzip2 stream (code " + std::to_string(rc) + ")";
      break;
    }
    if (bs.avail_in == 0 && pos >= in.size() && bs.avail_out != 0) {
      error = "truncated bzip2 stream";
      break;
    }
  }
  BZ2_bzDecompressEnd(&bs);
  return error;
}

// The decoder allocates the dictionary the header asks for (lzma-alone headers may claim 4 GiB in 13 bytes);
// xz -9 needs 65 MiB, so this cap refuses only what no ordinary writer produces.
// The dictionary is resident as far as it is written, beside the decompressed member, so it counts against
// the scan's memory bound (Limits); xz -9 and lzma -9 need 65 MiB.
constexpr uint64_t kMaxLzmaMemory = uint64_t{96} << 20;

std::string Lzma(ByteView in, Output& out, bool alone) {
  lzma_stream ls = LZMA_STREAM_INIT;
  const lzma_ret init =
      alone ? lzma_alone_decoder(&ls, kMaxLzmaMemory) : lzma_stream_decoder(&ls, kMaxLzmaMemory, LZMA_CONCATENATED);
  if (init != LZMA_OK) return "lzma init failed";
  uint8_t buf[kChunk];
  ls.next_in = in.data();
  ls.avail_in = in.size();
  std::string error;
  while (true) {
    ls.next_out = buf;
    ls.avail_out = kChunk;
    const lzma_ret rc = lzma_code(&ls, LZMA_FINISH);
    if (!out.Append(buf, kChunk - ls.avail_out)) {
      error = "budget";
      break;
    }
    if (rc == LZMA_STREAM_END) break;
    if (rc == LZMA_MEMLIMIT_ERROR) {
      out.Refuse("the stream needs more than " + std::to_string(kMaxLzmaMemory >> 20) +
                 " MiB of decoder memory (its dictionary size); the content was not analysed");
      error = "budget";
      break;
    }
    if (rc != LZMA_OK) {
      error = rc == LZMA_BUF_ERROR ? "truncated stream" : "corrupt stream (code " + std::to_string(rc) + ")";
      break;
    }
  }
  lzma_end(&ls);
  return error;
}

std::string Lz4(ByteView in, Output& out) {
  LZ4F_dctx* dctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) return "lz4 init failed";
  uint8_t buf[kChunk];
  size_t pos = 0;
  std::string error;
  size_t hint = 1;
  while (pos < in.size() && hint != 0) {
    size_t dst = kChunk, src = in.size() - pos;
    hint = LZ4F_decompress(dctx, buf, &dst, in.data() + pos, &src, nullptr);
    if (LZ4F_isError(hint)) {
      error = LZ4F_getErrorName(hint);
      break;
    }
    pos += src;
    if (!out.Append(buf, dst)) {
      error = "budget";
      break;
    }
    if (src == 0 && dst == 0) break;
  }
  if (error.empty() && hint != 0) error = "truncated lz4 frame";
  LZ4F_freeDecompressionContext(dctx);
  return error;
}

std::string Zstd(ByteView in, Output& out) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  if (ds == nullptr) return "zstd init failed";
  // The window is allocated beside the decompressed member; zstd's default limit (2^27) allows 128 MiB.
  // Levels 1-19 use at most 2^23; --long and --ultra frames beyond 2^25 are refused as corrupt.
  ZSTD_DCtx_setParameter(ds, ZSTD_d_windowLogMax, 25);
  uint8_t buf[kChunk];
  ZSTD_inBuffer input{in.data(), in.size(), 0};
  std::string error;
  size_t last = 1;
  while (input.pos < input.size) {
    ZSTD_outBuffer output{buf, kChunk, 0};
    last = ZSTD_decompressStream(ds, &output, &input);
    if (ZSTD_isError(last)) {
      error = ZSTD_getErrorName(last);
      break;
    }
    if (!out.Append(buf, output.pos)) {
      error = "budget";
      break;
    }
    if (output.pos == 0 && last != 0 && input.pos == input.size) break;
  }
  if (error.empty() && last != 0) error = "truncated zstd frame";
  ZSTD_freeDStream(ds);
  return error;
}

class CompressedAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "compressed",
        .summary =
            "whole-file compression (gzip, zlib as joblib writes it, bzip2, xz, lzma, lz4, zstd): decompressed within "
            "the size budget, the content analysed",
        .detection_rank = 110,
        .extensions = {".pkl", ".pickle", ".joblib", ".nemo"},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {"sklearn", "scikit-learn"},
        .facts = {},
    };
    return d;
  }
  SniffResult Sniff(ByteView data) const override {
    const Codec c = Identify(data);
    if (c == Codec::kNone) return SniffResult::kNo;
    // zlib and lzma-alone headers are only two bytes of evidence.
    return (c == Codec::kZlib || c == Codec::kLzmaAlone) ? SniffResult::kWeak : SniffResult::kStrong;
  }

  void Analyze(ByteView data, AnalysisContext& ctx) const override {
    const Codec codec = Identify(data);
    const std::string member = std::string("<") + CodecName(codec) + ">";
    Output out(ctx, member, data.size());
    std::string error;
    switch (codec) {
      case Codec::kGzip:
        error = Zlib(data, out, Deflate::kGzip);
        break;
      case Codec::kZlib:
        error = Zlib(data, out, Deflate::kZlib);
        break;
      case Codec::kBzip2:
        error = Bzip2(data, out);
        break;
      case Codec::kXz:
        error = Lzma(data, out, false);
        break;
      case Codec::kLzmaAlone:
        error = Lzma(data, out, true);
        break;
      case Codec::kLz4:
        error = Lz4(data, out);
        break;
      case Codec::kZstd:
        error = Zstd(data, out);
        break;
      case Codec::kNone:
        return;
    }
    ctx.NoteFormat(CodecName(codec));
    if (!error.empty() && error != "budget") {
      ctx.Emit(fact::kParseError, std::nullopt, CodecName(codec),
               std::string(CodecName(codec)) + " data is corrupt or truncated (" + error + "); " +
                   std::to_string(out.bytes().size()) + " bytes recovered and analysed");
    }
    if (error == "budget") return;
    ctx.AnalyzeMember(member, out.bytes());
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(compressed, CompressedAnalyzer)

}  // namespace modelguard::formats
