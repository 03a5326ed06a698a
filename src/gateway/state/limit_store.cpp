// The asynchronous limit-store operations of a store that has only synchronous ones (the in-process store
// answers in well under a microsecond, so there is nothing to wait for).
#include <utility>  // first: Boost 1.74's Asio uses std::exchange without including it

#include <boost/asio/use_awaitable.hpp>

#include "modelguard/gateway/limits.h"

namespace modelguard::gateway {

boost::asio::awaitable<Result<Admission>> LimitStore::TakeAsync(std::string bucket, double rate, double burst,
                                                                double cost) {
  co_return Take(bucket, rate, burst, cost);
}

boost::asio::awaitable<Status> LimitStore::RefundAsync(std::string bucket, double rate, double burst, double amount) {
  co_return Refund(bucket, rate, burst, amount);
}

boost::asio::awaitable<Result<bool>> LimitStore::ReserveAsync(std::string account, int64_t amount, int64_t budget,
                                                              int64_t window_seconds) {
  co_return Reserve(account, amount, budget, window_seconds);
}

boost::asio::awaitable<Status> LimitStore::SettleAsync(std::string account, int64_t reserved, int64_t used,
                                                       int64_t window_seconds) {
  co_return Settle(account, reserved, used, window_seconds);
}

}  // namespace modelguard::gateway
