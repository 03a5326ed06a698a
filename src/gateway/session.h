#pragma once
// One client connection, as one coroutine: read a request (idle, then header+body timeouts; body limit;
// 100-continue), answer built-in endpoints, match a route, run the body checks and request filters, then
// forward (forward.h) or answer the refusal; one audit event per request, refused ones included.
// Instantiated for plain TCP and TLS client streams in session.cpp.
#include "src/gateway/proxy.h"  // first: Boost 1.74 needs <utility> before asio

namespace modelguard::gateway {

template <class Stream>
asio::awaitable<void> ServeClient(Gateway& gateway, Stream stream);

}  // namespace modelguard::gateway
