#pragma once
// The guard as shipped (built-in model and signatures, default options), built once per test binary.
#include <gtest/gtest.h>

#include "modelguard/guard/guard.h"

namespace modelguard::guard {

inline const Guard& Shipped() {
  static const auto guard = [] {
    auto created = Guard::Create(GuardOptions{});
    EXPECT_TRUE(created.ok()) << (created.ok() ? "" : created.error().message);
    return *created;
  }();
  return *guard;
}

}  // namespace modelguard::guard
