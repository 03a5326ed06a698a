// Sealed model files: round trips at the sizes that matter, every single-bit flip, every truncation, swapped
// and foreign chunks, wrong keys, and an independent reader (python3-cryptography, reference.py).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "modelguard/core/bytes.h"
#include "modelguard/core/hash.h"
#include "modelguard/core/io.h"
#include "modelguard/seal/seal.h"
#include "test_support.h"

namespace modelguard::seal {
namespace {

constexpr uint64_t kChunk = 4096;

std::string RandomText(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(rng());
  return out;
}

// Plain writes, no fsync: the flip test writes tens of thousands of variants.
void Write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

std::string Read(const std::string& path) {
  auto text = ReadFile(path, uint64_t{1} << 32);
  EXPECT_TRUE(text) << path;
  return text ? *text : std::string();
}

struct Fixture {
  std::string dir = testing::TempDir("seal");
  KeySource key;
  SealOptions options;
  unsigned threads = 2;
  Fixture() {
    key.key_file = dir + "/k";
    EXPECT_TRUE(GenerateKeyFile(key.key_file));
    options.chunk_size = kChunk;
    options.argon2_ops = 1;  // libsodium's minimum cost: the tests check the construction, not the cost
    options.argon2_mem_kib = 8 * 1024;
  }
  // Seals `plaintext`; returns the sealed file's path.
  std::string Seal(const std::string& plaintext, const std::string& name = "m") {
    Write(dir + "/" + name, plaintext);
    auto sealed = SealFile(dir + "/" + name, dir + "/" + name + ".sealed", key, options);
    EXPECT_TRUE(sealed) << sealed.error().message;
    return dir + "/" + name + ".sealed";
  }
  Result<std::string> Unseal(const std::string& sealed, const KeySource* other = nullptr) {
    std::string out;
    MG_TRY(UnsealStream(sealed, other ? *other : key, threads, [&](std::string_view bytes) -> Status {
      out.append(bytes);
      return Ok{};
    }));
    return out;
  }
};

TEST(Seal, RoundTripsAtTheSizesThatMatter) {
  Fixture f;
  for (size_t size : {size_t{0}, size_t{1}, size_t{kChunk - 1}, size_t{kChunk}, size_t{kChunk + 1}, size_t{3 * kChunk},
                      size_t{5 * kChunk + 17}}) {
    const std::string plaintext = RandomText(size, size);
    const std::string sealed = f.Seal(plaintext);
    auto header = ReadHeader(sealed);
    ASSERT_TRUE(header) << header.error().message;
    EXPECT_EQ(header->plaintext_size, size);
    EXPECT_EQ(header->plaintext_sha256, Sha256Hex(plaintext));
    EXPECT_EQ(header->Chunks(), std::max<uint64_t>(1, (size + kChunk - 1) / kChunk));
    const auto back = f.Unseal(sealed);
    ASSERT_TRUE(back) << back.error().message << " at " << size;
    EXPECT_EQ(*back, plaintext) << size;
    // The file holds no plaintext run: a sealed 16-byte window of the input never shows up as it was.
    if (size >= 64) {
      EXPECT_EQ(Read(sealed).find(plaintext.substr(size / 2, 16)), std::string::npos);
    }
    ASSERT_TRUE(UnsealFile(sealed, f.dir + "/out", f.key));
    EXPECT_EQ(Read(f.dir + "/out"), plaintext);
  }
}

TEST(Seal, EverySingleBitFlipAndEveryTruncationFails) {
  Fixture f;
  const std::string plaintext = RandomText(kChunk + 10, 1);  // two chunks, the last one short
  const std::string path = f.Seal(plaintext);
  const std::string sealed = Read(path);
  const std::string copy = f.dir + "/flipped";
  Write(copy, sealed);
  f.threads = 1;  // tens of thousands of unseals: no thread start-up in each
  const int fd = ::open(copy.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  size_t flips = 0;
  for (size_t byte = 0; byte < sealed.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      const char flipped = static_cast<char>(sealed[byte] ^ (1 << bit));
      ASSERT_EQ(::pwrite(fd, &flipped, 1, static_cast<off_t>(byte)), 1);
      ASSERT_FALSE(f.Unseal(copy)) << "byte " << byte << " bit " << bit;
      ++flips;
    }
    ASSERT_EQ(::pwrite(fd, &sealed[byte], 1, static_cast<off_t>(byte)), 1);
  }
  ::close(fd);
  ASSERT_TRUE(f.Unseal(copy));  // restored: the refusals were the flips
  for (size_t length = 0; length < sealed.size(); ++length) {
    Write(copy, sealed.substr(0, length));
    ASSERT_FALSE(f.Unseal(copy)) << "cut at " << length;
  }
  Write(copy, sealed + "x");
  EXPECT_FALSE(f.Unseal(copy)) << "a byte appended";
  std::cout << flips << " bit flips and " << sealed.size() << " truncations refused\n";
}

TEST(Seal, SwappedChunksAndChunksOfAnotherFileFail) {
  Fixture f;
  const std::string a = f.Seal(RandomText(3 * kChunk, 2), "a");
  const std::string b = f.Seal(RandomText(3 * kChunk, 3), "b");
  const std::string sa = Read(a), sb = Read(b);
  const size_t piece = kChunk + kTagBytes, body = sa.size() - 3 * piece;
  std::string swapped = sa;
  swapped.replace(body, piece, sa.substr(body + piece, piece));
  swapped.replace(body + piece, piece, sa.substr(body, piece));
  Write(f.dir + "/x", swapped);
  EXPECT_FALSE(f.Unseal(f.dir + "/x"));
  std::string foreign = sa;  // the same key, the same position: still another file's data key
  foreign.replace(body, piece, sb.substr(sb.size() - 3 * piece, piece));
  Write(f.dir + "/x", foreign);
  EXPECT_FALSE(f.Unseal(f.dir + "/x"));
  std::string last_dropped = sa.substr(0, sa.size() - piece);  // the header's size says three chunks
  Write(f.dir + "/x", last_dropped);
  const auto refused = f.Unseal(f.dir + "/x");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("truncated"), std::string::npos) << refused.error().message;
}

TEST(Seal, WrongKeysAndWrongKindsOfKeyAreClearErrors) {
  Fixture f;
  const std::string sealed = f.Seal("weights");
  KeySource other;
  other.key_file = f.dir + "/other";
  ASSERT_TRUE(GenerateKeyFile(other.key_file));
  auto refused = f.Unseal(sealed, &other);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("wrong key"), std::string::npos) << refused.error().message;
  KeySource passphrase;
  passphrase.passphrase = "correct horse";
  refused = f.Unseal(sealed, &passphrase);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("key file"), std::string::npos) << refused.error().message;
  // A key file others can read is refused; an existing key is never replaced.
  ASSERT_EQ(::chmod(other.key_file.c_str(), 0644), 0);
  refused = f.Unseal(sealed, &other);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("chmod 600"), std::string::npos) << refused.error().message;
  EXPECT_FALSE(GenerateKeyFile(other.key_file));
  // Passphrases: the right one opens, another does not.
  f.key = passphrase;
  const std::string by_passphrase = f.Seal("weights", "p");
  EXPECT_TRUE(f.Unseal(by_passphrase));
  KeySource wrong;
  wrong.passphrase = "correct horse!";
  refused = f.Unseal(by_passphrase, &wrong);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("wrong passphrase"), std::string::npos) << refused.error().message;
}

TEST(Seal, RekeyRewrapsWithoutReencrypting) {
  Fixture f;
  const std::string plaintext = RandomText(2 * kChunk + 5, 4);
  const std::string sealed = f.Seal(plaintext);
  KeySource next;
  next.key_file = f.dir + "/next";
  ASSERT_TRUE(GenerateKeyFile(next.key_file));
  auto rekeyed = Rekey(sealed, f.dir + "/rekeyed", f.key, next, f.options);
  ASSERT_TRUE(rekeyed) << rekeyed.error().message;
  const std::string before = Read(sealed), after = Read(f.dir + "/rekeyed");
  const size_t body = 2 * (kChunk + kTagBytes) + 5 + kTagBytes;
  EXPECT_EQ(before.substr(before.size() - body), after.substr(after.size() - body));  // the same chunks
  EXPECT_EQ(*f.Unseal(f.dir + "/rekeyed", &next), plaintext);
  EXPECT_FALSE(f.Unseal(f.dir + "/rekeyed"));                             // the old key no longer opens the new file
  EXPECT_FALSE(Rekey(sealed, f.dir + "/again", next, f.key, f.options));  // nor the new one the old
}

TEST(Seal, KeyCommandsWrapAndUnwrap) {
  Fixture f;
  // A stand-in for a KMS client: wraps with openssl under a secret of its own, unwraps the same way.
  const std::string script = f.dir + "/kms.sh";
  Write(script,
        "#!/bin/sh\nif [ \"$MODELGUARD_SEAL_OPERATION\" = wrap ]; then\n"
        "  openssl enc -aes-256-cbc -pbkdf2 -pass pass:kms-secret -a -A\nelse\n"
        "  openssl enc -d -aes-256-cbc -pbkdf2 -pass pass:kms-secret -a -A\nfi\n");
  ASSERT_EQ(::chmod(script.c_str(), 0700), 0);
  f.key = KeySource{};
  f.key.key_command = script;
  const std::string plaintext = RandomText(kChunk + 1, 5);
  const std::string sealed = f.Seal(plaintext);
  EXPECT_EQ(ReadHeader(sealed)->key.kind, "command");
  auto back = f.Unseal(sealed);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, plaintext);
  KeySource failing;
  failing.key_command = "exit 3";
  auto refused = f.Unseal(sealed, &failing);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("exit 3"), std::string::npos) << refused.error().message;
  failing.key_command = "echo not-hex";
  EXPECT_FALSE(f.Unseal(sealed, &failing));
}

TEST(Seal, AnIndependentAesGcmReadsTheFormat) {
  Fixture f;
  const std::string plaintext = RandomText(3 * kChunk + 100, 6);
  const std::string sealed = f.Seal(plaintext);
  const auto read =
      testing::RunPythonReference("tests/seal/reference.py", {{"sealed", sealed}, {"key_file", f.key.key_file}});
  EXPECT_EQ(read["plaintext_sha256"], Sha256Hex(plaintext));
  EXPECT_EQ(read["plaintext_size"], plaintext.size());
  // The building blocks, known answers from the same library.
  const std::string data_key(32, '\x11'), salt(32, '\x22');
  const auto blocks = testing::RunPythonReference(
      "tests/seal/reference.py",
      {{"derive",
        {{{"data_key", HexEncode(data_key)}, {"salt", HexEncode(salt)}, {"purpose", "payload"}},
         {{"data_key", HexEncode(data_key)}, {"salt", HexEncode(salt)}, {"purpose", "header"}}}},
       {"nonces", {{0, false}, {1, true}, {4294967297ull, false}}}});
  EXPECT_EQ(blocks["keys"][0], HexEncode(DeriveKey(data_key, salt, "payload")));
  EXPECT_EQ(blocks["keys"][1], HexEncode(DeriveKey(data_key, salt, "header")));
  EXPECT_EQ(blocks["nonces"][0], HexEncode(ChunkNonce(0, false)));
  EXPECT_EQ(blocks["nonces"][1], HexEncode(ChunkNonce(1, true)));
  EXPECT_EQ(blocks["nonces"][2], HexEncode(ChunkNonce(4294967297ull, false)));
}

TEST(Seal, HeadersAreCheckedStrictly) {
  Fixture f;
  const auto header = ReadHeader(f.Seal("x"));
  ASSERT_TRUE(header);
  const std::string json = HeaderJson(*header);
  EXPECT_TRUE(ParseHeaderJson(json));
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"\"chunk_size\":4096", "\"chunk_size\":4095"},
           {"\"chunk_size\":4096", "\"chunk_size\":4096.0"},
           {"\"cipher\":\"aes-256-gcm\"", "\"cipher\":\"none\""},
           {"\"format\":\"modelguard.sealed/v1\"", "\"format\":\"modelguard.sealed/v2\""},
           {"\"manifest_sha256\":null", "\"manifest_sha256\":\"ab\""},
           {"\"kind\":\"file\"", "\"kind\":\"magic\""},
           {"{", "{ "},
           {"\"plaintext_size\":1", "\"plaintext_size\":-1"}}) {
    std::string edited = json;
    const size_t at = edited.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    edited.replace(at, from.size(), to);
    EXPECT_FALSE(ParseHeaderJson(edited)) << edited;
  }
  Write(f.dir + "/plain", "not sealed at all");
  EXPECT_FALSE(ReadHeader(f.dir + "/plain"));
  EXPECT_FALSE(ReadHeader(f.dir + "/absent"));
  EXPECT_TRUE(LooksSealed(Read(f.Seal("y", "y"))));
}

}  // namespace
}  // namespace modelguard::seal
