#pragma once
// Forwarding to a route's upstream: a pooled connection first (one retry on a fresh one if the pooled one
// turns out stale), then the next target when a connection cannot even be made; once a request was
// written to a fresh connection it is never replayed (the model may have run it). Also the active health
// checks that keep each target's health current. Instantiated for both client streams in forward.cpp.
#include "src/gateway/proxy.h"  // first: Boost 1.74 needs <utility> before asio

#include <memory>

namespace modelguard::gateway {

// Sends `request` upstream and relays the answer (relay.h). True when the client connection may serve
// another request.
template <class Client>
asio::awaitable<bool> Forward(Gateway& gateway, Client& client, const Runtime& runtime, const Route& route,
                              http::request<http::string_body> request, RequestContext& context, bool keep_alive,
                              Clock::time_point started, Outcome& outcome);

// Probes every target of `upstream` each health_interval until the upstream is retired (a reload) or the
// gateway stops.
asio::awaitable<void> HealthChecks(Gateway& gateway, std::weak_ptr<UpstreamState> weak);

}  // namespace modelguard::gateway
