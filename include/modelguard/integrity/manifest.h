#pragma once
// The OpenSSF model-signing manifest (sigstore/model-transparency, model_signing v1): every file of a model
// (or every fixed-size shard of every file) named by its POSIX path relative to the model root ("." for a
// single-file model), with its digest; the manifest's root digest is SHA-256 over the resource digests in
// path order. Used to hash, sign and verify models.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::integrity {

enum class ManifestMethod { kFiles, kShards };
enum class DigestAlgorithm { kSha256, kBlake2b };

// Reads sealed model files (modelguard seal) as their plaintext, for hash, sign and verify given the seal
// key: a signature covers a model's plaintext, so a sealed copy verifies without being unsealed to disk.
// Function hooks, so that integrity does not depend on the seal module (which depends on integrity).
struct SealedReader {
  // Whether the file's first bytes (up to 8) are a sealed file's.
  std::function<bool(std::string_view prefix)> is_sealed;
  // The plaintext's size, from the file's header.
  std::function<Result<uint64_t>(const std::string& path)> plaintext_size;
  // Streams the plaintext in order, each piece only once it authenticated; an error means the file was
  // altered or the key is wrong, and what `consume` received must be discarded.
  std::function<Status(const std::string& path, const std::function<Status(std::string_view)>& consume)> read;
};

// The name a sealed file's plaintext has in a manifest: its own without a ".sealed" suffix ("." stays ".").
std::string PlaintextName(const std::string& sealed_name);

struct ManifestOptions {
  ManifestMethod method = ManifestMethod::kFiles;
  uint64_t shard_size = uint64_t{1} << 30;  // upstream's default shard size
  DigestAlgorithm algorithm = DigestAlgorithm::kSha256;
  std::vector<std::string> ignore_paths;  // relative to the model root (or absolute under it)
  bool ignore_git = true;                 // .git, .gitattributes, .github, .gitignore
  bool allow_symlinks = false;
  unsigned jobs = 0;  // 0: all cores
  // Appended to the error for a refused symbolic link: what the caller's user can do about it, in the
  // caller's terms (each command has its own options; the library names none).
  std::string symlink_advice;
  // Set: sealed files are hashed as their plaintext and named by PlaintextName; unset: as the bytes they are.
  std::optional<SealedReader> sealed;
};

struct ResourceDigest {
  std::string name;    // POSIX relative path, "." for a single-file model
  uint64_t start = 0;  // shard bounds (whole file for the files method)
  uint64_t end = 0;
  std::vector<uint8_t> digest;
};

struct Manifest {
  ManifestMethod method = ManifestMethod::kFiles;
  DigestAlgorithm algorithm = DigestAlgorithm::kSha256;
  uint64_t shard_size = 0;
  std::vector<ResourceDigest> resources;  // in upstream order: path components, then shard start
  std::vector<uint8_t> root_digest;       // SHA-256 over the resource digests in that order
  uint64_t bytes_hashed = 0;
};

Result<Manifest> BuildManifest(const std::string& model_path, const ManifestOptions& options);

const char* ToString(DigestAlgorithm algorithm);
// How upstream names a resource in statements: "name" (files) or "name:start:end" (shards).
std::string ResourceName(const Manifest& manifest, const ResourceDigest& resource);
// Upstream's golden-file line for a resource: "name:digest" (files) or "name:start:end:digest" (shards).
std::string ManifestLine(const Manifest& manifest, const ResourceDigest& resource);

}  // namespace modelguard::integrity
