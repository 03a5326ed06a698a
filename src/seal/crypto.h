#pragma once
// The seal module's primitives (crypto.cpp): AES-256-GCM with a 16-byte tag appended, HKDF and HMAC with
// SHA-256, and the three ways to hold a key-encryption key.
#include <cstdint>
#include <string>
#include <string_view>

#include "modelguard/core/result.h"
#include "modelguard/seal/seal.h"

namespace modelguard::seal {

inline constexpr int kKeyCommandSeconds = 60;
inline constexpr size_t kMaxWrappedBytes = 4096;

// `out` receives plaintext.size() + kTagBytes bytes; false when OpenSSL failed.
bool AesGcmSeal(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view plaintext,
                char* out);
// `out` receives sealed.size() - kTagBytes bytes; false when the tag does not verify.
bool AesGcmOpen(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view sealed, char* out);
std::string HmacSha256(std::string_view key, std::string_view data);
bool SameBytes(std::string_view a, std::string_view b);  // in constant time for equal sizes

Result<std::string> ReadKeyFile(const std::string& path);  // the 32-byte key
std::string KeyId(std::string_view key);                   // 16 hex digits, from an HMAC of the key
Result<std::string> PassphraseKey(std::string_view passphrase, std::string_view salt, uint64_t ops, uint64_t mem_kib);
// Runs `command` with MODELGUARD_SEAL_OPERATION=`operation`, `input` on its standard input; its standard
// output, trimmed (at most kMaxWrappedBytes; kKeyCommandSeconds to answer).
Result<std::string> RunKeyCommand(const std::string& command, const std::string& operation, std::string_view input);

}  // namespace modelguard::seal
