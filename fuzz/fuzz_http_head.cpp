// The gateway's HTTP edges on bytes: a client request through the parser every client connection uses
// (ConfigureRequestParser: head limit, body limit, strict framing, chunked bodies decoded), fed in
// fuzzer-chosen read sizes as the session's ParseBuffered does, then the framing check and the head rebuilt
// for the upstream; and an upstream answer read both ways the proxy reads one: whole (string body, as
// forward.cpp) and streamed through a fixed buffer (buffer body, as relay.cpp), with the head rebuilt for
// the client. The first byte picks the path and the read sizes. Beast's parser holds no coroutine code, so
// only http_head.cpp is compiled in.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/gateway/http_head.h"

using namespace modelguard::gateway;

namespace {

// Appends the next piece of the input to the buffer; false once the input is used up.
bool Feed(beast::flat_buffer& buffer, std::string_view input, size_t& pos, size_t& step) {
  if (pos >= input.size()) return false;
  const size_t n = std::min(step, input.size() - pos);
  auto space = buffer.prepare(n);
  std::copy_n(input.data() + pos, n, static_cast<char*>(space.data()));
  buffer.commit(n);
  pos += n;
  step = step * 13 % 251 + 1;
  return true;
}

void Request(std::string_view input, size_t step) {
  http::request_parser<http::string_body> parser;
  ConfigureRequestParser(parser, 64 * 1024);
  beast::flat_buffer buffer;
  beast::error_code error;
  size_t pos = 0;
  while (!error && !parser.is_done() && Feed(buffer, input, pos, step)) ParseBuffered(parser, buffer, error);
  if (error || !parser.is_done()) return;
  CheckRequestFraming(parser.get(), error);
  if (error) return;
  const auto request = parser.release();
  if (request.body().size() > 64 * 1024) __builtin_trap();  // the body limit holds
  const std::string head = UpstreamRequestHead(request, "upstream.example:8443");
  // The rebuilt head is one message head: it ends at its first blank line.
  if (head.size() < 4 || head.find("\r\n\r\n") != head.size() - 4) __builtin_trap();
}

void ResponseWhole(std::string_view input, size_t step, bool head_request) {
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024);
  parser.eager(true);
  if (head_request) parser.skip(true);
  beast::flat_buffer buffer;
  beast::error_code error;
  size_t pos = 0;
  while (!error && !parser.is_done() && Feed(buffer, input, pos, step)) ParseBuffered(parser, buffer, error);
  if (error || !parser.is_done()) return;
  auto response = parser.release();
  bool with_body = false;
  const std::string head = ClientResponseHead(response, step % 2, head_request, with_body);
  if (head.size() < 4 || head.find("\r\n\r\n") != head.size() - 4) __builtin_trap();
}

void ResponseStreamed(std::string_view input, size_t step) {
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(64 * 1024);
  beast::flat_buffer buffer;
  beast::error_code error;
  size_t pos = 0;
  char chunk[97];
  size_t total = 0;
  bool header_done = false;
  while (!error && !parser.is_done()) {
    if (buffer.size() == 0 && !Feed(buffer, input, pos, step)) break;
    if (!header_done) {
      ParseBuffered(parser, buffer, error, true);
      if (error) return;
      if (!parser.is_header_done()) {
        // The head is not complete in what is buffered: read on.
        if (!Feed(buffer, input, pos, step)) break;
        continue;
      }
      header_done = true;
      (void)StreamResponseHead(http::response<http::empty_body>(parser.get().base()), 11, true);
      if (parser.is_done()) break;  // a bodiless answer ends with its head
    }
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof(chunk);
    const size_t used = parser.put(buffer.data(), error);
    buffer.consume(used);
    if (error == http::error::need_buffer || error == http::error::need_more) error = {};
    const size_t got = sizeof(chunk) - parser.get().body().size;
    total += got;
    if (total > 64 * 1024) __builtin_trap();  // the body limit holds for decoded chunks too
    if (used == 0 && got == 0 && buffer.size() > 0 && !error) {
      // No progress with bytes buffered: Beast wants more input than the buffer holds.
      if (!Feed(buffer, input, pos, step)) break;
    }
  }
  // A body delimited by the connection's end is complete when the input is.
  if (!error && header_done && !parser.is_done()) parser.put_eof(error);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t step = 1 + (data[0] >> 2);
  switch (data[0] % 4) {
    case 0:
      Request(input, step);
      break;
    case 1:
      ResponseWhole(input, step, false);
      break;
    case 2:
      ResponseWhole(input, step, true);
      break;
    default:
      ResponseStreamed(input, step);
      break;
  }
  return 0;
}
