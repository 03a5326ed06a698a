#pragma once
// A strict JSON reader that reports what it reads as events (JsonEvents, below) without building a
// document. It exists for the request path: nlohmann's own lexer spends about a hundred instructions per
// byte, more than the rest of the proxy spends on a small request. It accepts the texts
// nlohmann::json::parse accepts (RFC 8259, UTF-8 as in RFC 3629, paired surrogate escapes, a leading
// byte-order mark, numbers that fit a double) with one deliberate exception: a raw NUL byte, where
// nlohmann stops reading as if the text ended, is refused. The unit tests and the gateway fuzz target check
// this against nlohmann itself. Nesting costs one byte per level; nothing recurses.
#include <cstdint>
#include <string>
#include <string_view>

namespace modelguard::gateway {

// What the reader calls; every call returns false to stop (the parse then fails).
class JsonEvents {
 public:
  virtual ~JsonEvents() = default;
  virtual bool Null() = 0;
  virtual bool Boolean(bool value) = 0;
  virtual bool Integer(int64_t value) = 0;    // a whole number that fits int64_t
  virtual bool Unsigned(uint64_t value) = 0;  // a whole number above INT64_MAX that fits uint64_t
  virtual bool Float() = 0;                   // any other (finite) number; its value is not needed here
  // Decoded text; the view is valid until the call returns.
  virtual bool String(std::string_view value) = 0;
  virtual bool StartObject() = 0;
  virtual bool Key(std::string_view name) = 0;
  virtual bool EndObject() = 0;
  virtual bool StartArray() = 0;
  virtual bool EndArray() = 0;
};

// True when `text` is one JSON value (surrounded by whitespace at most) and no event returned false.
bool ReadJson(std::string_view text, JsonEvents& events);

}  // namespace modelguard::gateway
