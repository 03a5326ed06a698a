#pragma once
// A bounded protobuf wire-format reader (protobuf.dev/programming-guides/encoding): varints of at most
// ten bytes, length-delimited fields checked against the enclosing message. No schema, no allocation:
// ONNX and TensorFlow analyzers walk the field numbers they care about.
#include <cstdint>
#include <string>
#include <string_view>

#include "modelguard/formats/format.h"

namespace modelguard::formats::protobuf {

enum WireType : uint8_t { kVarint = 0, kFixed64 = 1, kLen = 2, kFixed32 = 5 };

struct Field {
  uint32_t number = 0;
  WireType type = kVarint;
  uint64_t value = 0;   // varint / fixed values
  ByteView bytes;       // kLen payload
  uint64_t offset = 0;  // absolute offset of the field's tag
  std::string_view text() const { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }
};

class Reader {
 public:
  // `base` is the absolute offset of data[0] in the scanned buffer, for fact offsets.
  explicit Reader(ByteView data, uint64_t base = 0) : d_(data), base_(base) {}

  // Next field, or false at the end or on malformed input (then error() is set).
  bool Next(Field& f) {
    if (pos_ >= d_.size() || !error_.empty()) return false;
    f.offset = base_ + pos_;
    uint64_t tag = 0;
    if (!Varint(tag)) return false;
    f.number = static_cast<uint32_t>(tag >> 3);
    f.type = static_cast<WireType>(tag & 7);
    if (f.number == 0 || (tag >> 3) > 0x1FFFFFFF) return Fail("invalid field number");
    switch (f.type) {
      case kVarint:
        return Varint(f.value);
      case kFixed64:
        return Fixed(8, f.value);
      case kFixed32:
        return Fixed(4, f.value);
      case kLen: {
        uint64_t len = 0;
        if (!Varint(len)) return false;
        if (len > d_.size() - pos_) return Fail("length-delimited field runs past its message");
        f.bytes = d_.subspan(pos_, len);
        pos_ += len;
        return true;
      }
      default:
        return Fail("unsupported wire type " + std::to_string(static_cast<int>(f.type)));
    }
  }
  // The tag of the next field without consuming it (so a caller can recognise a field whose payload is
  // truncated). False at the end or when the tag itself is malformed.
  bool PeekTag(uint32_t& number, WireType& type) {
    const uint64_t saved = pos_;
    uint64_t tag = 0;
    const bool ok = pos_ < d_.size() && error_.empty() && Varint(tag);
    pos_ = saved;
    if (!ok) {
      error_.clear();
      return false;
    }
    number = static_cast<uint32_t>(tag >> 3);
    type = static_cast<WireType>(tag & 7);
    return true;
  }
  const std::string& error() const { return error_; }
  uint64_t base() const { return base_; }
  uint64_t position() const { return base_ + pos_; }

 private:
  bool Varint(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (pos_ >= d_.size()) return Fail("truncated varint");
      const uint8_t b = d_[pos_++];
      out |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return Fail("varint longer than ten bytes");
  }
  bool Fixed(int bytes, uint64_t& out) {
    if (static_cast<uint64_t>(bytes) > d_.size() - pos_) return Fail("truncated fixed-width field");
    out = 0;
    for (int i = bytes - 1; i >= 0; --i) out = (out << 8) | d_[pos_ + static_cast<uint64_t>(i)];
    pos_ += static_cast<uint64_t>(bytes);
    return true;
  }
  bool Fail(std::string message) {
    error_ = std::move(message) + " at offset " + std::to_string(base_ + pos_);
    return false;
  }

  ByteView d_;
  uint64_t base_;
  uint64_t pos_ = 0;
  std::string error_;
};

// Absolute offset of a sub-message payload: base of the parent plus its position within it.
inline uint64_t PayloadOffset(ByteView root, ByteView sub, uint64_t root_base) {
  return root_base + static_cast<uint64_t>(sub.data() - root.data());
}

}  // namespace modelguard::formats::protobuf
