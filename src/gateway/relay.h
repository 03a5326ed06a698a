#pragma once
// The upstream's answer back to the client: a whole answer through the route's response filters, or a
// server-sent-event stream cut into events that pass the stream filters one by one as they arrive.
// Instantiated for both client streams (plain TCP and TLS) in relay.cpp.
#include "src/gateway/proxy.h"  // first: Boost 1.74 needs <utility> before asio

#include <memory>
#include <string_view>

namespace modelguard::gateway {

// A whole (non-streamed) answer, or one the gateway made itself after the request filters ran (an
// upstream failure): the response filters, then the client. False when the client is gone.
template <class Client>
asio::awaitable<bool> RelayWhole(Gateway& gateway, Client& client, http::response<http::string_body>& response,
                                 bool keep_alive, const GatewayConfig& config, const Route& route,
                                 RequestContext& context, Outcome& outcome, Clock::time_point started);

// Server-sent events: forwarded as they come, each whole event through the route's stream filters. The
// connection goes back to the pool only when the stream ended as HTTP says with nothing left over.
// True when the client connection may serve another request.
template <class Client>
asio::awaitable<bool> RelayStream(Gateway& gateway, Client& client, UpstreamState& upstream, TargetState& target,
                                  std::unique_ptr<UpstreamConnection> connection, beast::flat_buffer& buffer,
                                  http::response_parser<http::empty_body>& head, const Runtime& runtime,
                                  const Route& route, RequestContext& context, std::string_view request_body,
                                  unsigned version, bool keep_alive, Clock::time_point started, Outcome& outcome);

}  // namespace modelguard::gateway
