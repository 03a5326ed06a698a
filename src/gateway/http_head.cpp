#include "src/gateway/http_head.h"

#include <nlohmann/json.hpp>

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

void ConfigureRequestParser(http::request_parser<http::string_body>& parser, uint64_t max_body_bytes) {
  parser.header_limit(32 * 1024);
  parser.body_limit(max_body_bytes);
  parser.eager(true);
}

std::string UpstreamRequestHead(const http::request<http::string_body>& request, beast::string_view host) {
  std::string head;
  head.reserve(512);
  AppendText(head, request.method_string()), head += ' ', AppendText(head, request.target()), head += " HTTP/1.1\r\n";
  for (const auto& field : request) {
    const auto name = field.name();
    if (HopByHop(name) || name == http::field::host || name == http::field::content_length ||
        name == http::field::expect)
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
  std::string head;
  head.reserve(512);
  head += http10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  head += std::to_string(status), head += ' ', AppendText(head, response.reason()), head += "\r\n";
  for (const auto& field : response) {
    const auto name = field.name();
    if (HopByHop(name) || (name == http::field::content_length && !stated_length)) continue;
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
  for (const auto& field : upstream) head.set(field.name_string(), field.value());
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
