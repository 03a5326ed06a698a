#pragma once
// The one bounded deflate reader (zlib), shared by the zip reader, the compressed-file analyzer and the
// assessment engine's dataset loader. Output is handed out in chunks, so every caller enforces its own
// budget before anything is kept; nothing is allocated from a size the input claims.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/formats/format.h"

namespace modelguard::formats {

enum class Deflate {
  kRaw,   // bare deflate, as zip stores members (RFC 1951)
  kZlib,  // zlib wrapper (RFC 1950), as joblib writes it
  kGzip,  // gzip (RFC 1952); concatenated members are read on, as gzip.open does
};

enum class InflateEnd {
  kComplete,   // the stream ended properly
  kStopped,    // the sink refused more output (a budget)
  kTruncated,  // the input ended inside the stream
  kCorrupt,    // the stream is invalid
};

struct InflateOutcome {
  InflateEnd end = InflateEnd::kComplete;
  std::string message;  // zlib's explanation for kCorrupt
};

// Decompresses `in`, passing each produced chunk (at most 64 KB) to `sink`; a sink returning false stops
// the reader. Output produced before a truncation or corruption has been passed on.
InflateOutcome Inflate(ByteView in, Deflate kind, const std::function<bool(ByteView chunk)>& sink);

// The whole output, at most `max_output` bytes: kLimit past it, kParse for a truncated or corrupt stream.
Result<std::vector<uint8_t>> InflateAll(ByteView in, Deflate kind, uint64_t max_output);

}  // namespace modelguard::formats
