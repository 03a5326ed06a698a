#pragma once
// Runs an awaitable to completion on the calling thread, on a loop given for the purpose: the bridge from
// synchronous callers (tools, tests, the synchronous limit-store operations) to code written for the
// gateway's event loops. Never call it from a handler running on `loop` itself.
#include <utility>  // first: Boost 1.74's Asio uses std::exchange without including it

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <exception>
#include <optional>
#include <utility>

namespace modelguard::gateway {

template <class T>
T RunBlocking(boost::asio::io_context& loop, boost::asio::awaitable<T> work) {
  std::optional<T> out;
  std::exception_ptr failure;
  boost::asio::co_spawn(
      loop,
      [&out, work = std::move(work)]() mutable -> boost::asio::awaitable<void> {
        out.emplace(co_await std::move(work));
      },
      [&failure](std::exception_ptr e) { failure = e; });
  loop.restart();
  // run_one, not run: a loop that keeps connections open always has work (their read waits).
  while (!out && !failure && loop.run_one() > 0) {
  }
  if (failure) std::rethrow_exception(failure);
  return std::move(*out);
}

inline void RunBlocking(boost::asio::io_context& loop, boost::asio::awaitable<void> work) {
  bool done = false;
  std::exception_ptr failure;
  boost::asio::co_spawn(loop, std::move(work), [&](std::exception_ptr e) {
    failure = e;
    done = true;
  });
  loop.restart();
  while (!done && loop.run_one() > 0) {
  }
  if (failure) std::rethrow_exception(failure);
}

// The same on a loop made for the one call.
template <class T>
T RunBlocking(boost::asio::awaitable<T> work) {
  boost::asio::io_context loop(1);
  return RunBlocking(loop, std::move(work));
}

}  // namespace modelguard::gateway
