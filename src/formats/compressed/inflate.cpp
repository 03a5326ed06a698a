#include "modelguard/formats/inflate.h"

#include <zlib.h>

#include <algorithm>

namespace modelguard::formats {

InflateOutcome Inflate(ByteView in, Deflate kind, const std::function<bool(ByteView chunk)>& sink) {
  const int window_bits = kind == Deflate::kRaw ? -MAX_WBITS : kind == Deflate::kZlib ? MAX_WBITS : MAX_WBITS + 16;
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) return {InflateEnd::kCorrupt, "zlib init failed"};
  constexpr size_t kChunk = 1 << 16;
  uint8_t buf[kChunk];
  uint64_t pos = 0;  // input handed to zlib so far (avail_in is 32 bits; inputs may be larger)
  InflateOutcome outcome;
  while (true) {
    if (zs.avail_in == 0 && pos < in.size()) {
      const auto n = static_cast<uInt>(std::min<uint64_t>(in.size() - pos, 1u << 30));
      zs.next_in = const_cast<Bytef*>(in.data() + pos);
      zs.avail_in = n;
      pos += n;
    }
    zs.next_out = buf;
    zs.avail_out = kChunk;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const size_t produced = kChunk - zs.avail_out;
    if (produced > 0 && !sink(ByteView(buf, produced))) {
      outcome.end = InflateEnd::kStopped;
      break;
    }
    if (rc == Z_STREAM_END) {
      const uint64_t consumed = pos - zs.avail_in;
      if (kind == Deflate::kGzip && consumed + 2 < in.size() && in[consumed] == 0x1f && in[consumed + 1] == 0x8b) {
        inflateReset(&zs);
        continue;
      }
      break;
    }
    if (rc == Z_OK) continue;
    // With a fresh output buffer zlib reports Z_BUF_ERROR only when it needs input it was not given.
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && pos >= in.size()) {
      outcome.end = InflateEnd::kTruncated;
    } else {
      outcome.end = InflateEnd::kCorrupt;
      outcome.message = zs.msg != nullptr ? zs.msg : "corrupt stream";
    }
    break;
  }
  inflateEnd(&zs);
  return outcome;
}

Result<std::vector<uint8_t>> InflateAll(ByteView in, Deflate kind, uint64_t max_output) {
  std::vector<uint8_t> out;
  const InflateOutcome outcome = Inflate(in, kind, [&](ByteView chunk) {
    if (chunk.size() > max_output - out.size()) return false;
    out.insert(out.end(), chunk.begin(), chunk.end());
    return true;
  });
  switch (outcome.end) {
    case InflateEnd::kComplete:
      return out;
    case InflateEnd::kStopped:
      return MakeError(ErrorCode::kLimit, "decompresses to more than " + std::to_string(max_output) + " bytes");
    case InflateEnd::kTruncated:
      return MakeError(ErrorCode::kParse, "compressed stream is cut short");
    case InflateEnd::kCorrupt:
      break;
  }
  return MakeError(ErrorCode::kParse, "compressed stream is corrupt: " + outcome.message);
}

}  // namespace modelguard::formats
