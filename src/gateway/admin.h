#pragma once
// The admin API, on its own listener and behind its own key: API keys (create, list, revoke) and reload.
#include "src/gateway/proxy.h"  // first: Boost 1.74 needs <utility> before asio

#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <string>

namespace modelguard::gateway {

// Reloads the configuration; returns what went wrong, empty on success.
using ReloadFunction = std::function<std::string()>;

// One admin request against `config` (its admin key and key store); the answer, 401 without the key.
http::response<http::string_body> HandleAdmin(const http::request<http::string_body>& request,
                                              const GatewayConfig& config, const ReloadFunction& reload);

// One admin connection: requests in turn (keep-alive), each on the configuration current when it came.
asio::awaitable<void> AdminSession(Gateway& gateway, const ReloadFunction& reload, asio::ip::tcp::socket socket);

}  // namespace modelguard::gateway
