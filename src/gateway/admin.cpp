#include "src/gateway/admin.h"

#include "modelguard/core/bytes.h"
#include "modelguard/gateway/approvals.h"
#include "src/gateway/log.h"

namespace modelguard::gateway {

http::response<http::string_body> HandleAdmin(const http::request<http::string_body>& request,
                                              const GatewayConfig& config, const ReloadFunction& reload) {
  const unsigned version = request.version();
  const auto auth = request[http::field::authorization];
  if (auth.substr(0, 7) != "Bearer " ||
      !ConstantTimeEqual(HashKeyBytes(std::string_view(auth.data() + 7, auth.size() - 7)), config.admin_key_sha256)) {
    return JsonError(401, "invalid_api_key", "the admin API needs the admin key", version);
  }
  const std::string path(request.target());
  KeyStore& keys = *config.environment.keys;
  if (path == "/admin/keys" && request.method() == http::verb::get) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& record : keys.List()) list.push_back(ApiKeyRecordJson(record));
    return JsonResponse(200, nlohmann::json{{"keys", list}}.dump(), version);
  }
  if (path == "/admin/keys" && request.method() == http::verb::post) {
    bool conflict = false;
    auto created = keys.Create(nlohmann::json::parse(request.body(), nullptr, false), &conflict);
    if (!created)
      return JsonError(conflict ? 409 : 400, conflict ? "conflict" : "invalid_request_error", created.error().message,
                       version);
    auto body = ApiKeyRecordJson(created->record);
    body["key"] = created->secret;  // the only time the secret is ever shown
    LogEvent("info", "admin created key", {{"id", created->record.id}, {"owner", created->record.owner}});
    return JsonResponse(201, body.dump(), version);
  }
  if (path.rfind("/admin/keys/", 0) == 0 && request.method() == http::verb::delete_) {
    const std::string id = path.substr(12);
    if (auto revoked = keys.Revoke(id); !revoked) return JsonError(404, "not_found", revoked.error().message, version);
    LogEvent("info", "admin revoked key", {{"id", id}});
    return JsonResponse(200, nlohmann::json{{"id", id}, {"revoked", true}}.dump(), version);
  }
  // Tool calls held for approval (the tools filter): list them, approve or deny one.
  if (path == "/admin/pending" && request.method() == http::verb::get) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    if (config.environment.approvals) {
      for (const auto& call : config.environment.approvals->List()) list.push_back(PendingCallJson(call));
    }
    return JsonResponse(200, nlohmann::ordered_json{{"pending", list}}.dump(), version);
  }
  if (path.rfind("/admin/pending/", 0) == 0 && request.method() == http::verb::post) {
    const std::string rest = path.substr(15);
    const size_t slash = rest.find('/');
    const std::string id = rest.substr(0, slash);
    const std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
    if (action != "approve" && action != "deny")
      return JsonError(404, "not_found", "POST /admin/pending/{id}/approve or /admin/pending/{id}/deny", version);
    if (!config.environment.approvals || !config.environment.approvals->Decide(id, action == "approve", "admin"))
      return JsonError(404, "not_found", "no tool call " + id + " waits for a decision (decided, timed out or unknown)",
                       version);
    LogEvent("info", "admin decided tool call", {{"id", id}, {"decision", action}});
    return JsonResponse(200, nlohmann::json{{"id", id}, {"decision", action}}.dump(), version);
  }
  if (path == "/admin/reload" && request.method() == http::verb::post) {
    const std::string problem = reload();
    if (!problem.empty()) return JsonError(400, "invalid_configuration", problem, version);
    return JsonResponse(200, "{\"reloaded\":true}", version);
  }
  return JsonError(404, "not_found",
                   "admin endpoints: GET/POST /admin/keys, DELETE /admin/keys/{id}, GET /admin/pending, "
                   "POST /admin/pending/{id}/approve|deny, POST /admin/reload",
                   version);
}

asio::awaitable<void> AdminSession(Gateway& gateway, const ReloadFunction& reload, asio::ip::tcp::socket socket) {
  using asio::redirect_error, asio::use_awaitable;
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    stream.expires_after(std::chrono::seconds(30));
    beast::error_code error;
    co_await http::async_read(stream, buffer, parser, redirect_error(use_awaitable, error));
    if (error) break;
    auto request = parser.release();
    auto response = HandleAdmin(request, gateway.Snapshot()->config, reload);
    response.keep_alive(request.keep_alive());
    co_await http::async_write(stream, response, redirect_error(use_awaitable, error));
    if (error || !request.keep_alive()) break;
  }
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

}  // namespace modelguard::gateway
