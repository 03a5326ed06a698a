// The seal module's primitives over OpenSSL (AES-256-GCM, HKDF-SHA256, HMAC-SHA256) and libsodium
// (Argon2id), and the key-encryption keys they make: a key file, a passphrase, an external command.
#include "src/seal/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>

#include "modelguard/core/bytes.h"
#include "modelguard/core/io.h"

extern char** environ;

namespace modelguard::seal {
namespace {

struct CipherContextFree {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

}  // namespace

bool AesGcmSeal(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view plaintext,
                char* out) {
  CipherContext context(EVP_CIPHER_CTX_new());
  int length = 0;
  const auto* k = reinterpret_cast<const unsigned char*>(key.data());
  const auto* n = reinterpret_cast<const unsigned char*>(nonce.data());
  auto* o = reinterpret_cast<unsigned char*>(out);
  if (!context || key.size() != 32 || nonce.size() != 12 ||
      EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, k, n) != 1)
    return false;
  if (!aad.empty() &&
      EVP_EncryptUpdate(context.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1)
    return false;
  if (!plaintext.empty() &&
      EVP_EncryptUpdate(context.get(), o, &length, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        static_cast<int>(plaintext.size())) != 1)
    return false;
  int final_length = 0;
  if (EVP_EncryptFinal_ex(context.get(), o + plaintext.size(), &final_length) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes), o + plaintext.size()) ==
         1;
}

bool AesGcmOpen(std::string_view key, std::string_view nonce, std::string_view aad, std::string_view sealed,
                char* out) {
  if (sealed.size() < kTagBytes) return false;
  const size_t size = sealed.size() - kTagBytes;
  CipherContext context(EVP_CIPHER_CTX_new());
  int length = 0;
  auto* o = reinterpret_cast<unsigned char*>(out);
  if (!context || key.size() != 32 || nonce.size() != 12 ||
      EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                         reinterpret_cast<const unsigned char*>(nonce.data())) != 1)
    return false;
  if (!aad.empty() &&
      EVP_DecryptUpdate(context.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) != 1)
    return false;
  if (size > 0 && EVP_DecryptUpdate(context.get(), o, &length, reinterpret_cast<const unsigned char*>(sealed.data()),
                                    static_cast<int>(size)) != 1)
    return false;
  std::string tag(sealed.substr(size));
  if (EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes), tag.data()) != 1)
    return false;
  int final_length = 0;
  return EVP_DecryptFinal_ex(context.get(), o + size, &final_length) == 1;
}

std::string DeriveKey(std::string_view data_key, std::string_view salt, std::string_view purpose) {
  std::string out(32, '\0');
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr),
                                                                      &EVP_PKEY_CTX_free);
  size_t length = out.size();
  const std::string info = "modelguard-seal/v1 " + std::string(purpose);
  if (!context || EVP_PKEY_derive_init(context.get()) != 1 ||
      EVP_PKEY_CTX_set_hkdf_md(context.get(), EVP_sha256()) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_salt(context.get(), reinterpret_cast<const unsigned char*>(salt.data()),
                                  static_cast<int>(salt.size())) != 1 ||
      EVP_PKEY_CTX_set1_hkdf_key(context.get(), reinterpret_cast<const unsigned char*>(data_key.data()),
                                 static_cast<int>(data_key.size())) != 1 ||
      EVP_PKEY_CTX_add1_hkdf_info(context.get(), reinterpret_cast<const unsigned char*>(info.data()),
                                  static_cast<int>(info.size())) != 1 ||
      EVP_PKEY_derive(context.get(), reinterpret_cast<unsigned char*>(out.data()), &length) != 1 || length != 32)
    return {};
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  std::string out(32, '\0');
  unsigned length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
            data.size(), reinterpret_cast<unsigned char*>(out.data()), &length) ||
      length != 32)
    return {};
  return out;
}

bool SameBytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<std::string> ReadKeyFile(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return MakeError(ErrorCode::kIo, "cannot read the key file '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(info.st_mode))
    return MakeError(ErrorCode::kInvalidArgument, "the key file '" + path + "' is not a file");
  if ((info.st_mode & 077) != 0)
    return MakeError(ErrorCode::kInvalidArgument,
                     "the key file '" + path + "' can be read by others than its owner: chmod 600 it");
  MG_ASSIGN_OR_RETURN(std::string text, ReadFile(path, 4096));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto key = HexDecode(text);
  if (!key || key->size() != 32)
    return MakeError(ErrorCode::kParse,
                     "the key file '" + path + "' must hold 64 hex digits (modelguard seal --new-key)");
  return *key;
}

std::string KeyId(std::string_view key) { return HexEncode(HmacSha256(key, "modelguard-seal/v1 key id").substr(0, 8)); }

Result<std::string> PassphraseKey(std::string_view passphrase, std::string_view salt, uint64_t ops, uint64_t mem_kib) {
  if (sodium_init() < 0) return MakeError(ErrorCode::kUnsupported, "libsodium could not start");
  if (passphrase.empty()) return MakeError(ErrorCode::kInvalidArgument, "the passphrase is empty");
  if (salt.size() != crypto_pwhash_SALTBYTES)
    return MakeError(ErrorCode::kParse, "the passphrase salt has the wrong size");
  if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > 64 || mem_kib < 8 || mem_kib > (uint64_t{4} << 20))
    return MakeError(ErrorCode::kLimit, "Argon2id cost out of bounds (passes 1 to 64, memory 8 KiB to 4 GiB)");
  std::string key(32, '\0');
  if (crypto_pwhash(reinterpret_cast<unsigned char*>(key.data()), key.size(), passphrase.data(), passphrase.size(),
                    reinterpret_cast<const unsigned char*>(salt.data()), ops, static_cast<size_t>(mem_kib) * 1024,
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    return MakeError(ErrorCode::kLimit, "Argon2id ran out of memory");
  return key;
}

Result<std::string> RunKeyCommand(const std::string& command, const std::string& operation, std::string_view input) {
  int to_child[2], from_child[2];
  if (::pipe(to_child) != 0) return MakeError(ErrorCode::kIo, "cannot start the key command: no pipe");
  if (::pipe(from_child) != 0) {
    ::close(to_child[0]);
    ::close(to_child[1]);
    return MakeError(ErrorCode::kIo, "cannot start the key command: no pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
  posix_spawn_file_actions_addclose(&actions, to_child[1]);
  posix_spawn_file_actions_addclose(&actions, from_child[0]);
  std::vector<std::string> environment;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "MODELGUARD_SEAL_OPERATION=", 26) != 0) environment.emplace_back(*e);
  environment.push_back("MODELGUARD_SEAL_OPERATION=" + operation);
  std::vector<char*> envp;
  for (auto& e : environment) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string shell = "/bin/sh", flag = "-c", script = command;
  char* argv[] = {shell.data(), flag.data(), script.data(), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  if (spawned != 0) {
    ::close(to_child[1]);
    ::close(from_child[0]);
    return MakeError(ErrorCode::kIo, std::string("cannot start the key command: ") + std::strerror(spawned));
  }
  // The input is small (a key or a wrapped key): written whole, then the pipe closed so the command sees EOF.
  // A command that exits without reading it would raise SIGPIPE: blocked for this thread only while writing
  // (the process's own disposition is not ours to change), and a pending one taken back afterwards.
  sigset_t pipe_signal, previous;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, &previous);
  bool broken = false;
  std::string_view rest = input;
  while (!rest.empty()) {
    const ssize_t n = ::write(to_child[1], rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      broken = n < 0 && errno == EPIPE;
      break;
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  ::close(to_child[1]);
  if (broken) {
    const timespec now{0, 0};
    while (sigtimedwait(&pipe_signal, nullptr, &now) < 0 && errno == EINTR) {
    }
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  std::string output;
  bool timed_out = false, too_long = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kKeyCommandSeconds);
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd wait{from_child[0], POLLIN, 0};
    const int ready = ::poll(&wait, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    char buffer[4096];
    const ssize_t n = ::read(from_child[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<size_t>(n));
    if (output.size() > kMaxWrappedBytes) {
      too_long = true;
      break;
    }
  }
  ::close(from_child[0]);
  if (timed_out || too_long) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out)
    return MakeError(ErrorCode::kIo,
                     "the key command gave no answer within " + std::to_string(kKeyCommandSeconds) + " s");
  if (too_long) return MakeError(ErrorCode::kLimit, "the key command wrote more than 4096 bytes");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return MakeError(ErrorCode::kIo, "the key command failed (" +
                                         (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                                            : std::string("killed by a signal")) +
                                         ") for '" + operation + "'");
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r' || output.back() == ' ')) output.pop_back();
  return output;
}

}  // namespace modelguard::seal
