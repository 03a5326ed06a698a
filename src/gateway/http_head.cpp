#include "src/gateway/http_head.h"

#include <vector>

#include <nlohmann/json.hpp>

#include "modelguard/core/bytes.h"

namespace modelguard::gateway {
namespace {

constexpr http::field kHopByHop[] = {
    http::field::connection, http::field::keep_alive, http::field::proxy_authorization, http::field::proxy_authenticate,
    http::field::te,         http::field::trailer,    http::field::transfer_encoding,   http::field::upgrade};

void AppendText(std::string& out, beast::string_view text) { out.append(text.data(), text.size()); }
void AppendField(std::string& out, beast::string_view name, beast::string_view value) {
  AppendText(out, name), out += ": ", AppendText(out, value), out += "\r\n";
}

}  // namespace

bool HopByHop(http::field name) {
  for (const auto field : kHopByHop) {
    if (field == name) return true;
  }
  return false;
}

bool NormalizeTarget(std::string_view target, std::string& normalized, std::string& why) {
  if (target.empty() || target[0] != '/') {
    why = "the request target must be an absolute path";
    return false;
  }
  const size_t query = target.find('?');
  const std::string_view path = target.substr(0, query);
  if (path.find('#') != std::string_view::npos) {
    why = "a fragment (#) is not part of a request target";
    return false;
  }
  // Most targets are already normal: one scan, one copy, no segment list (this runs on every request).
  bool normal = true;
  for (size_t i = 0; i < path.size() && normal; ++i) {
    const char c = path[i];
    if (c == '%' || c == '\\') {
      normal = false;
    } else if (c == '/') {
      const std::string_view rest = path.substr(i + 1);
      normal = !(rest.empty() ? path.size() > 1
                              : rest[0] == '/' || rest == "." || rest.starts_with("./") || rest == ".." ||
                                    rest.starts_with("../"));
    }
  }
  if (normal) {
    normalized.assign(target.data(), target.size());
    return true;
  }
  // Segments first (decoding escapes inside them cannot create a separator: %2F and %2E are refused).
  std::vector<std::string> segments;
  size_t at = 1;
  while (at <= path.size()) {
    size_t end = path.find('/', at);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view raw = path.substr(at, end - at);
    at = end + 1;
    std::string segment;
    segment.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      const char c = raw[i];
      if (c == '\\') {
        why = "a backslash in the path";
        return false;
      }
      if (c != '%') {
        segment += c;
        continue;
      }
      if (i + 2 >= raw.size()) {
        why = "a malformed percent-escape in the path";
        return false;
      }
      const int hi = HexDigitValue(raw[i + 1]), lo = HexDigitValue(raw[i + 2]);
      if (hi < 0 || lo < 0) {
        why = "a malformed percent-escape in the path";
        return false;
      }
      const char decoded = static_cast<char>(hi * 16 + lo);
      if (decoded == '/' || decoded == '\\' || decoded == '.') {
        why = "an encoded slash, backslash or dot in the path (%2F, %5C, %2E)";
        return false;
      }
      const bool unreserved = (decoded >= 'a' && decoded <= 'z') || (decoded >= 'A' && decoded <= 'Z') ||
                              (decoded >= '0' && decoded <= '9') || decoded == '-' || decoded == '_' || decoded == '~';
      if (unreserved) {
        segment += decoded;
      } else {
        static constexpr char kHex[] = "0123456789ABCDEF";
        segment += '%', segment += kHex[hi], segment += kHex[lo];
      }
      i += 2;
    }
    if (segment.empty() || segment == ".") continue;
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
      continue;
    }
    segments.push_back(std::move(segment));
  }
  normalized.clear();
  for (const auto& segment : segments) normalized += '/', normalized += segment;
  if (normalized.empty()) normalized = "/";
  if (query != std::string_view::npos) normalized.append(target.substr(query));
  return true;
}

void ConfigureRequestParser(http::request_parser<http::string_body>& parser, uint64_t max_body_bytes) {
  parser.header_limit(32 * 1024);
  parser.body_limit(max_body_bytes);
  parser.eager(true);
}

void CheckRequestFraming(const http::request<http::string_body>& head, beast::error_code& error) {
  bool any = false, chunked_last = false;
  int chunked = 0;
  for (auto [it, end] = head.equal_range(http::field::transfer_encoding); it != end; ++it) {
    any = true;
    // A comma-separated list of codings, each possibly with parameters (";q=..."); empty elements are
    // allowed by the list syntax and ignored.
    const beast::string_view value = it->value();
    size_t begin = 0;
    while (begin <= value.size()) {
      size_t comma = value.find(',', begin);
      if (comma == beast::string_view::npos) comma = value.size();
      beast::string_view coding = value.substr(begin, comma - begin);
      if (const size_t semicolon = coding.find(';'); semicolon != beast::string_view::npos)
        coding = coding.substr(0, semicolon);
      while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) coding.remove_prefix(1);
      while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) coding.remove_suffix(1);
      if (!coding.empty()) {
        chunked_last = beast::iequals(coding, "chunked");
        chunked += chunked_last ? 1 : 0;
      }
      begin = comma + 1;
    }
  }
  if (any && (!chunked_last || chunked != 1 || head.version() < 11)) error = http::error::bad_transfer_encoding;
}

// The field names a message's Connection fields list: RFC 9110 §7.6.1 makes them options of this
// connection only, so a proxy removes them before forwarding ("close" and "keep-alive" are options, not
// names, and match no field).
std::vector<beast::string_view> ConnectionOptions(const http::fields& fields) {
  std::vector<beast::string_view> names;
  for (auto [it, end] = fields.equal_range(http::field::connection); it != end; ++it) {
    const beast::string_view value = it->value();
    size_t begin = 0;
    while (begin < value.size()) {
      size_t comma = value.find(',', begin);
      if (comma == beast::string_view::npos) comma = value.size();
      beast::string_view name = value.substr(begin, comma - begin);
      while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.remove_prefix(1);
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      if (!name.empty() && names.size() < 64) names.push_back(name);
      begin = comma + 1;
    }
  }
  return names;
}

bool Listed(const std::vector<beast::string_view>& names, beast::string_view name) {
  for (const auto& n : names) {
    if (beast::iequals(n, name)) return true;
  }
  return false;
}

std::string UpstreamRequestHead(const http::request<http::string_body>& request, beast::string_view host) {
  const auto connection_options = ConnectionOptions(request);
  std::string head;
  head.reserve(512);
  AppendText(head, request.method_string()), head += ' ', AppendText(head, request.target()), head += " HTTP/1.1\r\n";
  for (const auto& field : request) {
    const auto name = field.name();
    if (HopByHop(name) || name == http::field::host || name == http::field::content_length ||
        name == http::field::expect || Listed(connection_options, field.name_string()))
      continue;
    AppendField(head, field.name_string(), field.value());
  }
  AppendField(head, "Host", host);
  const auto method = request.method();
  if (!request.body().empty() || method == http::verb::post || method == http::verb::put ||
      method == http::verb::options) {
    AppendField(head, "Content-Length", std::to_string(request.body().size()));
  }
  head += "\r\n";
  return head;
}

std::string ClientResponseHead(const http::response<http::string_body>& response, bool keep_alive, bool head_request,
                               bool& with_body) {
  const unsigned status = response.result_int();
  const bool bodiless_status = status < 200 || status == 204 || status == 304;
  with_body = !bodiless_status && !head_request;
  const bool stated_length =
      head_request && !bodiless_status && response.find(http::field::content_length) != response.end();
  const bool http10 = response.version() == 10;
  const auto connection_options = ConnectionOptions(response);
  std::string head;
  head.reserve(512);
  head += http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(status), head += ' ', AppendText(head, response.reason()), head += "\r\n";
  for (const auto& field : response) {
    const auto name = field.name();
    if (HopByHop(name) || (name == http::field::content_length && !stated_length) ||
        Listed(connection_options, field.name_string()))
      continue;
    AppendField(head, field.name_string(), field.value());
  }
  if (!bodiless_status && !stated_length) AppendField(head, "Content-Length", std::to_string(response.body().size()));
  if (http10 && keep_alive) AppendField(head, "Connection", "keep-alive");
  if (!http10 && !keep_alive) AppendField(head, "Connection", "close");
  head += "\r\n";
  return head;
}

http::response<http::empty_body> StreamResponseHead(const http::response<http::empty_body>& upstream, unsigned version,
                                                    bool keep_alive) {
  http::response<http::empty_body> head{upstream.result(), version};
  const auto connection_options = ConnectionOptions(upstream);
  for (const auto& field : upstream) {
    if (!Listed(connection_options, field.name_string())) head.set(field.name_string(), field.value());
  }
  for (auto field : kHopByHop) head.erase(field);
  head.erase(http::field::content_length);
  const bool chunked = version == 11;
  if (chunked) head.chunked(true);
  head.keep_alive(chunked && keep_alive);
  return head;
}

std::string ErrorBody(const std::string& type, const std::string& message) {
  return nlohmann::json{{"error", {{"message", message}, {"type", type}, {"code", type}}}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

http::response<http::string_body> JsonResponse(unsigned status, std::string body, unsigned version) {
  http::response<http::string_body> res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "application/json");
  res.set(http::field::server, "modelguard");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http::response<http::string_body> JsonError(unsigned status, const std::string& type, const std::string& message,
                                            unsigned version) {
  return JsonResponse(status, ErrorBody(type, message), version);
}

}  // namespace modelguard::gateway
