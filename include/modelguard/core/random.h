#pragma once
// Randomness an adversary must not predict (keys, canaries, differential-privacy noise and sampling): from
// OpenSSL's CSPRNG, which the operating system seeds. Simulation randomness that must be reproducible uses
// seeded generators instead.
#include <cstdint>
#include <span>

#include "modelguard/core/result.h"

namespace modelguard {

Status SecureRandomBytes(std::span<uint8_t> out);
Result<uint64_t> SecureRandomU64();

}  // namespace modelguard
