// Gateway parts in isolation: the SSE event splitter, JWT verification (HS256/ES256, algorithm confusion,
// expiry, scopes), the key
// store behind the admin API, and configuration errors that point at the line.
#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "modelguard/core/bytes.h"
#include "modelguard/core/hash.h"
#include "modelguard/gateway/gateway.h"
#include "modelguard/gateway/keys.h"
#include "modelguard/gateway/limits.h"
#include "src/gateway/filters/jwt/jwt_filter.h"
#include "src/gateway/openai.h"
#include "src/gateway/sse.h"

namespace modelguard::gateway {
namespace {
namespace fs = std::filesystem;

TEST(SseSplitter, CutsWholeEventsWhateverTheReadBoundaries) {
  const std::string stream =
      "data: {\"a\":1}\n\n: keep-alive\n\ndata: line one\r\ndata: line two\r\n\r\ndata: [DONE]\n\n";
  // Every way of cutting the stream in two reads gives the same four events.
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    SseSplitter splitter(1024);
    std::vector<std::string> events;
    ASSERT_TRUE(splitter.Feed(std::string_view(stream).substr(0, cut), events).ok());
    ASSERT_TRUE(splitter.Feed(std::string_view(stream).substr(cut), events).ok());
    ASSERT_EQ(events.size(), 4u) << "cut at " << cut;
    EXPECT_EQ(events[0], "data: {\"a\":1}\n\n");
    EXPECT_TRUE(splitter.pending().empty());
  }
  bool has_data = false;
  EXPECT_EQ(SseData("data: line one\r\ndata: line two\r\n\r\n", has_data), "line one\nline two");
  EXPECT_TRUE(has_data);
  SseData(": keep-alive\n\n", has_data);
  EXPECT_FALSE(has_data);
  EXPECT_EQ(SseData("data:x\ndatabase: y\n\n", has_data), "x");
  EXPECT_EQ(SseEvent("a\nb"), "data: a\ndata: b\n\n");
}

// The document-free scanners must say what the parsed document says, on the inputs where a shortcut
// would go wrong: duplicates, values of the wrong type, nesting, arrays, invalid JSON and UTF-8.
TEST(BodyScanners, AgreeWithTheParsedDocument) {
  const std::vector<std::string> bodies = {
      R"({"model":"gpt","stream":true,"messages":[{"role":"user","content":"hi"}]})",
      R"({"model":"a","model":"b"})",
      R"({"model":"a","model":7})",
      R"({"stream":true,"stream":"yes"})",
      R"({"stream":false})",
      R"({"x":{"model":"inner","stream":true}})",
      R"([{"model":"in an array"}])",
      R"("model")",
      R"(42)",
      R"({"model":"unterminated)",
      "{\"model\":\"\xff\xfe\"}",
      "{\"model\":\"\xc3\xa9t\xc3\xa9\"}",
      R"({"model":"a"} trailing)",
      R"({"usage":{"total_tokens":12}})",
      R"({"usage":{"total_tokens":12},"usage":{"prompt_tokens":3}})",
      R"({"usage":{"total_tokens":12.5}})",
      R"({"usage":{"total_tokens":18446744073709551615}})",
      R"({"usage":7,"response":{"usage":{"total_tokens":9}}})",
      R"({"response":{"usage":{"total_tokens":9}}})",
      R"({"response":{"usage":{"total_tokens":9},"usage":null}})",
      R"({"usage":{"nested":{"total_tokens":5}}})",
      R"({"choices":[{"usage":{"total_tokens":5}}]})",
      std::string(200, '[') + std::string(200, ']'),
      "",
      "\xef\xbb\xbf{\"model\":\"after a byte-order mark\"}",
      " \xef\xbb\xbf{}",
      R"({"model":"\ud83d\ude00 paired","x":"\ud83d alone"})",
      R"({"model":"\ud83d\ude00 paired"})",
      R"({"n":[1e400]})",
      R"({"n":[1e-400, -0, 0.5E+2, -9223372036854775808, 18446744073709551616]})",
      R"({"n":01})",
      R"({"n":1.})",
      R"({"a":1,})",
      "{\"model\":\"tab\tinside\"}",
      // The prompt estimate and output cap (EstimatePromptTokens, RequestedMaxTokens), read by the scan.
      R"({"messages":[{"role":"user","content":"hello there"},{"role":"system","content":"be brief"}]})",
      R"({"messages":[{"role":"user"},{"content":null},"not a message",[{"content":"nested"}],{"content":7}]})",
      R"({"messages":[{"content":[{"type":"text","text":"part one"},{"text":"two"},"loose",{"text":5}]}]})",
      R"({"messages":[{"content":[{"text":"first"}],"content":"second wins"}]})",
      R"({"messages":[{"content":[{"text":"a","text":"bbbb"}]}]})",
      R"({"messages":[{"content":"dropped"}],"messages":[{"content":"kept"}]})",
      R"({"messages":{"[]":{"content":"an object named like an array item"}}})",
      R"({"messages":[{"content":{"[]":{"text":"content is an object"}}}]})",
      R"({"prompt":"complete this","input":["a","bb",{"x":"ccc","y":["dddd",1]},7],"instructions":"hi"})",
      R"({"input":{"not":"an array"},"prompt":["x"],"prompt":"last prompt"})",
      R"({"max_tokens":0,"max_completion_tokens":12,"max_output_tokens":99})",
      R"({"max_tokens":5,"max_tokens":"five"})",
      R"({"max_tokens":1.5,"max_output_tokens":18446744073709551615})",
      R"({"max_tokens":-3,"max_output_tokens":9223372036854775807})",
      R"({"max_tokens":{"max_tokens":4}})",
  };
  for (const auto& body : bodies) {
    const auto document = nlohmann::json::parse(body, nullptr, false);
    const auto facts = ScanRequestBody(body);
    EXPECT_EQ(facts.valid, !document.is_discarded()) << body;
    EXPECT_EQ(facts.object, document.is_object()) << body;
    if (document.is_object()) {
      const auto model = document.find("model");
      EXPECT_EQ(facts.model, model != document.end() && model->is_string() ? model->get<std::string>() : "") << body;
      const auto stream = document.find("stream");
      EXPECT_EQ(facts.stream, stream != document.end() && stream->is_boolean() && stream->get<bool>()) << body;
      EXPECT_EQ(facts.prompt_tokens, EstimatePromptTokens(document)) << body;
      EXPECT_EQ(facts.max_tokens, RequestedMaxTokens(document)) << body;
    }
    EXPECT_EQ(ScanUsageTotalTokens(body), UsageTotalTokens(document)) << body;
  }
  // nlohmann reads a NUL byte as the end of the text and would accept what precedes it; a request
  // that hides more after a NUL is refused (the upstream's parser would not stop there).
  const char smuggled_text[] = "{\"model\":\"a\"}\0{\"model\":\"b\"}";
  const std::string smuggled(smuggled_text, sizeof smuggled_text - 1);
  EXPECT_FALSE(nlohmann::json::parse(smuggled, nullptr, false).is_discarded());
  EXPECT_FALSE(ScanRequestBody(smuggled).valid);
  EXPECT_EQ(ScanRequestBody(bodies[1]).model, "b");
  EXPECT_EQ(ScanRequestBody(bodies[27]).model, "\xf0\x9f\x98\x80 paired");
  EXPECT_EQ(ScanUsageTotalTokens(bodies[0]), std::nullopt);
  EXPECT_EQ(ScanUsageTotalTokens(bodies[13]), 12);
  EXPECT_EQ(ScanUsageTotalTokens(bodies[17]), 9);
  // A few by hand, so the definition itself cannot drift unnoticed: "hello there" + 4 and "be brief" + 4
  // bytes are 27, 7 tokens; parts "part one" and "two" (+4) 15 bytes, 4 tokens; the input array counts
  // the strings within its items: 13 + 1 + 2 + 7 + 2 = 25 bytes, 7 tokens.
  auto scan = [&](size_t i) { return ScanRequestBody(bodies[i]); };
  const size_t first = bodies.size() - 15;
  EXPECT_EQ(scan(first).prompt_tokens, 7);
  EXPECT_EQ(scan(first + 2).prompt_tokens, 4);
  EXPECT_EQ(scan(first + 5).prompt_tokens, 2);  // "kept" + 4
  EXPECT_EQ(scan(first + 6).prompt_tokens, 0);  // messages is not an array
  EXPECT_EQ(scan(first + 8).prompt_tokens, 7);
  EXPECT_EQ(scan(first + 10).max_tokens, 12);
  EXPECT_EQ(scan(first + 11).max_tokens, std::nullopt);
  EXPECT_EQ(scan(first + 13).max_tokens, 9223372036854775807);
}

TEST(SseSplitter, RefusesAnEventLargerThanTheLimit) {
  SseSplitter splitter(100);
  std::vector<std::string> events;
  EXPECT_TRUE(splitter.Feed(std::string(90, 'x'), events).ok());
  auto fed = splitter.Feed(std::string(20, 'x'), events);
  ASSERT_FALSE(fed.ok());
  EXPECT_NE(fed.error().message.find("100 bytes"), std::string::npos);
}

std::string B64Url(const std::string& bytes) { return Base64Encode(bytes, Base64Alphabet::kUrl, false); }

// A signature by `key` over `input` with SHA-256, as OpenSSL produces it (DER for ECDSA, PKCS#1 v1.5 for RSA).
std::string SignSha256(EVP_PKEY* key, const std::string& input) {
  EVP_MD_CTX* md = EVP_MD_CTX_new();
  size_t size = 0;
  EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(md, nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()), input.size());
  std::string signature(size, '\0');
  EVP_DigestSign(md, reinterpret_cast<unsigned char*>(signature.data()), &size,
                 reinterpret_cast<const unsigned char*>(input.data()), input.size());
  EVP_MD_CTX_free(md);
  signature.resize(size);
  return signature;
}

std::string Hs256(const nlohmann::json& header, const nlohmann::json& claims, const std::string& secret) {
  const std::string input = B64Url(header.dump()) + "." + B64Url(claims.dump());
  unsigned char mac[32];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size);
  return input + "." + B64Url(std::string(reinterpret_cast<char*>(mac), size));
}

class JwtFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr);
    ASSERT_EQ(EVP_PKEY_keygen_init(ctx), 1);
    ASSERT_EQ(EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1), 1);
    ASSERT_EQ(EVP_PKEY_keygen(ctx, &key_), 1);
    EVP_PKEY_CTX_free(ctx);
    public_pem_ = (fs::temp_directory_path() / ("mg-jwt-" + std::to_string(::getpid()) + ".pem")).string();
    FILE* f = std::fopen(public_pem_.c_str(), "w");
    PEM_write_PUBKEY(f, key_);
    std::fclose(f);
    auto filter = CreateFilter("jwt",
                               {{"issuer", "https://idp.example"},
                                {"audience", "modelguard"},
                                {"keys",
                                 {{{"alg", "HS256"}, {"kid", "h"}, {"secret", secret_}},
                                  {{"alg", "ES256"}, {"kid", "e"}, {"public_key", public_pem_}}}}},
                               FilterEnvironment{MakeMemoryLimitStore(), nullptr, false});
    ASSERT_TRUE(filter.ok()) << filter.error().message;
    filter_ = *filter;
  }
  void TearDown() override {
    EVP_PKEY_free(key_);
    fs::remove(public_pem_);
  }
  std::string Es256(const nlohmann::json& claims) {
    const std::string input =
        B64Url(nlohmann::json{{"alg", "ES256"}, {"kid", "e"}}.dump()) + "." + B64Url(claims.dump());
    const std::string der = SignSha256(key_, input);
    const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
    ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
    unsigned char raw[64];
    BN_bn2binpad(ECDSA_SIG_get0_r(sig), raw, 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(sig), raw + 32, 32);
    ECDSA_SIG_free(sig);
    return input + "." + B64Url(std::string(reinterpret_cast<char*>(raw), 64));
  }
  std::optional<Answer> Check(const std::string& token, const std::string& route = "chat",
                              const std::string& model = "m") {
    RequestContext r;
    r.route = route;
    r.model = model;
    r.headers["authorization"] = "Bearer " + token;
    last_ = r;
    auto answer = filter_->OnRequest(r);
    last_ = r;
    return answer;
  }
  nlohmann::json Claims(int64_t exp_offset = 600) {
    return {{"sub", "alice"},
            {"iss", "https://idp.example"},
            {"aud", "modelguard"},
            {"exp", std::time(nullptr) + exp_offset}};
  }
  const std::string secret_ = "0123456789abcdef0123456789abcdef";
  EVP_PKEY* key_ = nullptr;
  std::string public_pem_;
  std::shared_ptr<Filter> filter_;
  RequestContext last_;
};

TEST_F(JwtFilterTest, AcceptsValidHs256AndEs256Tokens) {
  EXPECT_FALSE(Check(Hs256({{"alg", "HS256"}, {"kid", "h"}}, Claims(), secret_)).has_value());
  EXPECT_EQ(last_.key_id, "jwt:alice");
  EXPECT_FALSE(Check(Es256(Claims())).has_value());
}

TEST_F(JwtFilterTest, RefusesForgedExpiredMisaddressedAndConfusedTokens) {
  EXPECT_EQ(Check(Hs256({{"alg", "HS256"}}, Claims(), "another secret that is 32 bytes!!"))->error_type,
            "invalid_token");
  EXPECT_EQ(Check(Hs256({{"alg", "HS256"}}, Claims(-3600), secret_))->message, "the token has expired");
  auto wrong_audience = Claims();
  wrong_audience["aud"] = "other";
  EXPECT_EQ(Check(Hs256({{"alg", "HS256"}}, wrong_audience, secret_))->status, 401u);
  auto no_exp = Claims();
  no_exp.erase("exp");
  EXPECT_EQ(Check(Hs256({{"alg", "HS256"}}, no_exp, secret_))->status, 401u);
  // "none" and an HS256 token "signed" with the ES256 public key's PEM text are both refused.
  const std::string unsigned_token = B64Url(R"({"alg":"none"})") + "." + B64Url(Claims().dump()) + ".";
  EXPECT_EQ(Check(unsigned_token)->status, 401u);
  std::ifstream pem(public_pem_);
  const std::string pem_text((std::istreambuf_iterator<char>(pem)), {});
  EXPECT_EQ(Check(Hs256({{"alg", "HS256"}, {"kid", "e"}}, Claims(), pem_text))->status, 401u);
  // A tampered payload breaks the ES256 signature.
  std::string token = Es256(Claims());
  auto tampered = Claims();
  tampered["sub"] = "mallory";
  token = token.substr(0, token.find('.')) + "." + B64Url(tampered.dump()) + token.substr(token.rfind('.'));
  EXPECT_EQ(Check(token)->status, 401u);
  EXPECT_EQ(Check("not.a.jwt!")->error_type, "invalid_token");
  EXPECT_EQ(Check("")->status, 401u);
}

TEST_F(JwtFilterTest, RouteAndModelClaimsAreScopes) {
  auto claims = Claims();
  claims["routes"] = {"predict"};
  claims["models"] = {"small"};
  EXPECT_EQ(Check(Hs256({{"alg", "HS256"}}, claims, secret_), "chat", "small")->status, 403u);
  EXPECT_EQ(Check(Hs256({{"alg", "HS256"}}, claims, secret_), "predict", "large")->status, 403u);
  EXPECT_FALSE(Check(Hs256({{"alg", "HS256"}}, claims, secret_), "predict", "small").has_value());
}

TEST(JwtFilter, VerifiesRs256AndRefusesAnEcKeyForIt) {
  EVP_PKEY* rsa = EVP_RSA_gen(2048);
  ASSERT_NE(rsa, nullptr);
  const std::string pem_path =
      (fs::temp_directory_path() / ("mg-jwt-rsa-" + std::to_string(::getpid()) + ".pem")).string();
  FILE* f = std::fopen(pem_path.c_str(), "w");
  PEM_write_PUBKEY(f, rsa);
  std::fclose(f);
  const FilterEnvironment env{MakeMemoryLimitStore(), nullptr, false};
  auto filter = CreateFilter("jwt", {{"keys", {{{"alg", "RS256"}, {"public_key", pem_path}}}}}, env);
  ASSERT_TRUE(filter.ok()) << filter.error().message;
  EXPECT_FALSE(CreateFilter("jwt", {{"keys", {{{"alg", "ES256"}, {"public_key", pem_path}}}}}, env).ok());
  const std::string input = B64Url(R"({"alg":"RS256"})") + "." +
                            B64Url(nlohmann::json{{"sub", "r"}, {"exp", std::time(nullptr) + 60}}.dump());
  std::string signature = SignSha256(rsa, input);
  RequestContext good;
  good.headers["authorization"] = "Bearer " + input + "." + B64Url(signature);
  EXPECT_FALSE((*filter)->OnRequest(good).has_value());
  EXPECT_EQ(good.key_id, "jwt:r");
  signature[10] = static_cast<char>(signature[10] ^ 1);
  RequestContext bad;
  bad.headers["authorization"] = "Bearer " + input + "." + B64Url(signature);
  EXPECT_EQ((*filter)->OnRequest(bad)->status, 401u);
  EVP_PKEY_free(rsa);
  fs::remove(pem_path);
}

TEST(JwtFilter, ShortSecretsAndUnknownAlgorithmsAreConfigurationErrors) {
  const FilterEnvironment env{MakeMemoryLimitStore(), nullptr, false};
  auto short_secret = CreateFilter("jwt", {{"keys", {{{"alg", "HS256"}, {"secret", "short"}}}}}, env);
  ASSERT_FALSE(short_secret.ok());
  EXPECT_NE(short_secret.error().message.find("jwt.keys[0].secret"), std::string::npos);
  EXPECT_FALSE(CreateFilter("jwt", {{"keys", {{{"alg", "none"}}}}}, env).ok());
  // Parts are base64url without padding (core Base64Decode): a lone trailing character or '=' is refused.
  EXPECT_FALSE(SplitJwt("eyJhbGciOiJIUzI1NiJ9.e30.a").has_value());
  EXPECT_FALSE(SplitJwt("eyJhbGciOiJIUzI1NiJ9.e30.ab=").has_value());
  EXPECT_EQ(SplitJwt("eyJhbGciOiJIUzI1NiJ9.e30.aGk")->signature, "hi");
}

TEST(KeyStore, CreatedKeysWorkOncePersistAndCanBeRevoked) {
  const std::string path = (fs::temp_directory_path() / ("mg-keys-" + std::to_string(::getpid()) + ".json")).string();
  fs::remove(path);
  auto store = KeyStore::Open(path);
  ASSERT_TRUE(store.ok());
  auto created = (*store)->Create({{"owner", "team a"}, {"routes", {"chat"}}, {"expires_in_seconds", 3600}});
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->secret.rfind("mg-", 0), 0u);
  EXPECT_EQ(created->secret.size(), 3u + 43u);
  ASSERT_TRUE((*store)->Find(HashKeyBytes(created->secret)).has_value());
  // The file holds the hash only.
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(text.find(created->secret), std::string::npos);
  EXPECT_NE(text.find("team a"), std::string::npos);
  ASSERT_TRUE((*store)->Revoke(created->record.id).ok());
  EXPECT_FALSE((*store)->Revoke("no-such-id").ok());
  auto reopened = KeyStore::Open(path);
  ASSERT_TRUE(reopened.ok());
  auto found = (*reopened)->Find(HashKeyBytes(created->secret));
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->revoked);
  EXPECT_EQ(found->routes, std::vector<std::string>{"chat"});
  EXPECT_FALSE((*store)->Create({{"id", created->record.id}}).ok());  // ids are unique
  fs::remove(path);
}

class ConfigFile : public ::testing::Test {
 protected:
  Result<GatewayConfig> Load(const std::string& text, const std::string& extension = ".yaml") {
    path_ = (fs::temp_directory_path() / ("mg-gateway-" + std::to_string(::getpid()) + extension)).string();
    std::ofstream(path_) << text;
    return loader_.Load(path_);
  }
  void TearDown() override { fs::remove(path_); }
  std::string path_;
  ConfigLoader loader_;
};

TEST_F(ConfigFile, YamlWithEverySection) {
  auto config = Load(R"(listen: 127.0.0.1:0
upstreams:
  pool:
    targets: ["127.0.0.1:9001", "127.0.0.1:9002"]
    health_check: {path: /healthz, interval_ms: 500}
  secure:
    targets: ["api.example.com:443"]
    tls: {server_name: api.example.com}
filters:
  rate_limit: {requests_per_second: 5, tokens_per_minute: 6000}
routes:
  - {name: chat, path: /v1/chat/completions, upstream: pool, filters: [rate_limit]}
  - {name: predict, path: /predict, upstream: secure}
limits: {upstream_timeout_ms: 5000}
logs: {access: true}
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->upstreams.at("pool").targets.size(), 2u);
  EXPECT_EQ(config->upstreams.at("pool").health_path, "/healthz");
  EXPECT_TRUE(config->upstreams.at("secure").tls);
  EXPECT_EQ(config->routes[0].type, RouteType::kOpenAi);
  EXPECT_EQ(config->routes[1].type, RouteType::kJson);
  EXPECT_EQ(config->upstream_timeout, std::chrono::milliseconds(5000));
  EXPECT_TRUE(config->access_log);
}

TEST(ExampleConfig, TheDocumentedExampleLoads) {
  // Relative paths in the example (the demo JWT key) are relative to the repository root.
  const fs::path root = MODELGUARD_SOURCE_DIR;
  const auto previous = fs::current_path();
  fs::current_path(root);
  auto config = LoadGatewayConfig("examples/gateway/gateway.yaml");
  fs::current_path(previous);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->routes.size(), 5u);
  EXPECT_EQ(config->upstreams.at("llm").targets.size(), 2u);
  EXPECT_EQ(config->admin_port, 8081);
}

TEST(ExampleConfig, TheTomlExampleSaysWhatTheYamlExampleSays) {
  const fs::path root = MODELGUARD_SOURCE_DIR;
  const auto previous = fs::current_path();
  fs::current_path(root);
  ConfigLoader loader;
  auto yaml = loader.Load("examples/gateway/gateway.yaml");
  auto toml = loader.Load("examples/gateway/gateway.toml");
  fs::current_path(previous);
  ASSERT_TRUE(yaml.ok()) << yaml.error().message;
  ASSERT_TRUE(toml.ok()) << toml.error().message;
  // The loader keeps a filter instance only when route, name and settings are identical, so shared
  // instances prove that every filter's settings came out of both files the same.
  ASSERT_EQ(toml->routes.size(), yaml->routes.size());
  for (size_t i = 0; i < yaml->routes.size(); ++i) {
    EXPECT_EQ(toml->routes[i].name, yaml->routes[i].name);
    EXPECT_EQ(toml->routes[i].path, yaml->routes[i].path);
    EXPECT_EQ(toml->routes[i].type, yaml->routes[i].type);
    EXPECT_EQ(toml->routes[i].upstream, yaml->routes[i].upstream);
    ASSERT_EQ(toml->routes[i].filters.size(), yaml->routes[i].filters.size());
    for (size_t f = 0; f < yaml->routes[i].filters.size(); ++f)
      EXPECT_EQ(toml->routes[i].filters[f].get(), yaml->routes[i].filters[f].get());
  }
  for (const auto& [name, upstream] : yaml->upstreams) {
    ASSERT_TRUE(toml->upstreams.count(name)) << name;
    EXPECT_EQ(toml->upstreams.at(name).targets.size(), upstream.targets.size());
    EXPECT_EQ(toml->upstreams.at(name).tls, upstream.tls);
    EXPECT_EQ(toml->upstreams.at(name).health_path, upstream.health_path);
  }
  EXPECT_EQ(toml->admin_port, yaml->admin_port);
  EXPECT_EQ(toml->admin_key_sha256, yaml->admin_key_sha256);
  EXPECT_EQ(toml->audit_jsonl, yaml->audit_jsonl);
  EXPECT_EQ(toml->max_response_bytes, yaml->max_response_bytes);
  EXPECT_EQ(toml->drain_timeout, yaml->drain_timeout);
}

TEST_F(ConfigFile, TomlErrorsNameTheLineAndTheKey) {
  const std::pair<std::string, std::string> cases[] = {
      {"[upstreams]\na = \"127.0.0.1:1\"\n\n[[routes]]\npath = \"/x\"\nupstream = \"b\"\n",
       ".toml:6: routes[0].upstream: no upstream named 'b'"},
      {"upstreams = {a = \"127.0.0.1:1\"}\nroutes = [{path = \"/x\", upstream = \"a\"}]\n[limts]\n",
       ":3: limts: unknown key"},
      {"threads = \"two\"\nupstreams = {a = \"127.0.0.1:1\"}\nroutes = [{path = \"/x\", upstream = \"a\"}]\n",
       ":1: threads: a whole number is expected"},
      {"listen = \"127.0.0.1:1\"\nroutes = [\n", ".toml:"},                  // syntax: line and column
      {"listen = \"127.0.0.1:1\"\nlisten = \"127.0.0.1:2\"\n", ".toml:2:"},  // a key given twice
      {"upstreams = {a = \"127.0.0.1:1\"}\nroutes = [{path = \"/x\", upstream = "
       "\"a\"}]\n[filters.guard]\nprompt_leak_overlap = inf\n",
       ":4: filters.guard.prompt_leak_overlap: a finite number is expected"},
  };
  for (const auto& [text, expected] : cases) {
    auto loaded = Load(text, ".toml");
    ASSERT_FALSE(loaded.ok()) << text;
    EXPECT_NE(loaded.error().message.find(expected), std::string::npos) << loaded.error().message;
  }
}

TEST_F(ConfigFile, ErrorsNameTheLineAndTheKey) {
  auto unknown_upstream = Load("upstreams:\n  a: 127.0.0.1:1\nroutes:\n  - path: /x\n    upstream: b\n");
  ASSERT_FALSE(unknown_upstream.ok());
  EXPECT_NE(unknown_upstream.error().message.find(".yaml:5: routes[0].upstream: no upstream named 'b'"),
            std::string::npos)
      << unknown_upstream.error().message;
  auto typo = Load("upstreams: {a: 127.0.0.1:1}\nroutes: [{path: /x, upstream: a}]\nlimts: {}\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find(":3: limts: unknown key"), std::string::npos) << typo.error().message;
  auto bad_filter = Load(
      "upstreams: {a: 127.0.0.1:1}\nfilters:\n  rate_limit:\n    requests_per_second: -1\nroutes: [{path: /x, "
      "upstream: a, filters: [rate_limit]}]\n");
  ASSERT_FALSE(bad_filter.ok());
  EXPECT_NE(bad_filter.error().message.find(":4: filters.rate_limit.requests_per_second: must be at least 0"),
            std::string::npos)
      << bad_filter.error().message;
  auto syntax = Load("routes: [\n");
  ASSERT_FALSE(syntax.ok());
  EXPECT_NE(syntax.error().message.find(".yaml:"), std::string::npos);
  // A billion-laughs document stops at the node cap instead of eating memory.
  std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (char c = 'b'; c <= 'i'; ++c) {
    laughs += std::string(1, c) + ": &" + c + " [";
    for (int i = 0; i < 10; ++i) laughs += std::string(i ? ", " : "") + "*" + static_cast<char>(c - 1);
    laughs += "]\n";
  }
  auto expanded = Load(laughs);
  ASSERT_FALSE(expanded.ok());
  EXPECT_NE(expanded.error().message.find("more than"), std::string::npos) << expanded.error().message;
}

// A field of the wrong type is named by its path, with the type it holds. Before, a top-level string or
// boolean was reported as ".listen" and no message said what the field held.
TEST_F(ConfigFile, AFieldOfTheWrongTypeIsNamedByItsPathAndType) {
  const std::string route = R"("routes": [{"path": "/x", "upstream": "a"}])";
  const std::string upstream = R"("upstreams": {"a": "127.0.0.1:1"})";
  const std::pair<std::string, std::string> cases[] = {
      {"{" + upstream + ", " + route + R"(, "listen": 8080})", "listen: a string is expected, got number"},
      {"{" + upstream + ", " + route + R"(, "threads": "4"})", "threads: a whole number is expected, got string"},
      {"{" + upstream + ", " + route + R"(, "logs": {"access": "yes"}})",
       "logs.access: true or false is expected, got string"},
      {"{" + upstream + ", " + route + R"(, "limits": {"idle_timeout_ms": 1.5}})",
       "limits.idle_timeout_ms: a whole number is expected, got a fraction"},
      {"{" + upstream + ", " + route + R"(, "audit": []})", "audit: a mapping is expected, got array"},
      {"{" + upstream + R"(, "routes": {"path": "/x"}})", "routes: a list of routes is expected, got object"},
      {"{" + upstream + R"(, "routes": [7]})", "routes[0]: a mapping is expected, got number"},
      {"{" + upstream + R"(, "routes": [{"path": "/x", "upstream": "a", "filters": [1]}]})",
       "routes[0].filters[0]: a filter name is expected, got number"},
      {R"({"upstreams": {"a": {"targets": [80]}}, )" + route + "}",
       "upstreams.a.targets[0]: expected \"host:port\", got number"},
      {R"({"upstreams": {"a": {"targets": ["h:1"], "tls": {"verify": "no"}}}, )" + route + "}",
       "upstreams.a.tls.verify: true or false is expected, got string"},
      {"{" + upstream + ", " + route + R"(, "filters": {"rate_limit": {"requests_per_second": [5]}}})",
       "filters.rate_limit.requests_per_second: a number is expected, got array"},
      {"{" + upstream + ", " + route + R"(, "filters": {"guard": {"enabled": 1}}})",
       "filters.guard.enabled: true or false is expected, got number"},
      {"[1]", "the document: a mapping is expected, got array"},
  };
  auto directory = loader_.Load(fs::temp_directory_path().string());  // before: read as an empty document
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message.find("is a directory"), std::string::npos) << directory.error().message;
  for (const auto& [text, message] : cases) {
    auto loaded = Load(text, ".json");
    ASSERT_FALSE(loaded.ok()) << text;
    EXPECT_NE(loaded.error().message.find(message), std::string::npos) << text << " -> " << loaded.error().message;
  }
}

// The upstream's own credential: `headers:` or `api_key_env:` (Authorization: Bearer), checked at load.
TEST_F(ConfigFile, UpstreamCredentialsAreCheckedAtLoad) {
  ::setenv("MG_TEST_UPSTREAM_KEY", "sk-upstream", 1);
  ::unsetenv("MG_TEST_NO_SUCH_KEY");
  auto config = Load(R"(upstreams:
  a: {targets: ["127.0.0.1:1"], headers: {Authorization: Bearer sk-a, OpenAI-Organization: org-1}}
  b: {targets: ["127.0.0.1:2"], api_key_env: MG_TEST_UPSTREAM_KEY}
routes: [{path: /x, upstream: a}, {path: /y, upstream: b}]
)");
  ASSERT_TRUE(config.ok()) << config.error().message;
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(config->upstreams.at("a").headers,
            (Headers{{"Authorization", "Bearer sk-a"}, {"OpenAI-Organization", "org-1"}}));
  EXPECT_EQ(config->upstreams.at("b").headers, (Headers{{"Authorization", "Bearer sk-upstream"}}));
  const std::pair<std::string, std::string> cases[] = {
      {"api_key_env: MG_TEST_NO_SUCH_KEY", ":1: upstreams.a.api_key_env: the environment variable MG_TEST_NO_SUCH_KEY"},
      {"headers: {Host: evil}", "upstreams.a.headers.Host: 'Host' is set by the gateway"},
      {"headers: {Transfer-Encoding: chunked}", "is set by the gateway"},
      {"headers: {\"Bad Name\": x}", "not a valid header field name"},
      {"headers: {X-Key: \"a\\r\\nX-Injected: 1\"}", "must not hold CR, LF or NUL"},
      {"headers: {Authorization: x}, api_key_env: MG_TEST_UPSTREAM_KEY", "given twice"},
      {"headers: {X-Key: 1}", "a string is expected"},
      {"headers: [x]", "a mapping of header names"},
  };
  for (const auto& [upstream, expected] : cases) {
    auto bad =
        Load("upstreams: {a: {targets: [\"127.0.0.1:1\"], " + upstream + "}}\nroutes: [{path: /x, upstream: a}]\n");
    ASSERT_FALSE(bad.ok()) << upstream;
    EXPECT_NE(bad.error().message.find(expected), std::string::npos) << bad.error().message;
  }
  ::unsetenv("MG_TEST_UPSTREAM_KEY");
}

// Turning a control off takes `enabled: false`; a limit of 0 is an error, not "no limit". Before, a guard
// with max_input_bytes 0 or a rate of 0 loaded (the rate as "no limit").
TEST_F(ConfigFile, OnlyEnabledFalseTurnsAFilterOff) {
  auto off = Load(
      "upstreams: {a: 127.0.0.1:1}\nfilters: {rate_limit: {enabled: false, requests_per_second: 5}, token_budget: "
      "{enabled: true, tokens: 10}}\nroutes: [{path: /x, upstream: a, filters: [rate_limit, token_budget]}]\n");
  ASSERT_TRUE(off.ok()) << off.error().message;
  ASSERT_EQ(off->routes[0].filters.size(), 1u);
  EXPECT_STREQ(off->routes[0].filters[0]->name(), "token_budget");
  const std::pair<std::string, std::string> cases[] = {
      {"guard: {max_input_bytes: 0}", ":3: filters.guard.max_input_bytes: must be at least 1"},
      {"guard: {max_input_bytes: -5}", ":3: filters.guard.max_input_bytes: must be at least 1"},
      {"rate_limit: {requests_per_second: 0, tokens_per_minute: 60}",
       ":3: filters.rate_limit.requests_per_second: must be positive"},
      {"rate_limit: {requests_per_second: 1, tokens_per_minute: 0}",
       ":3: filters.rate_limit.tokens_per_minute: must be positive"},
      {"rate_limit: {}", "requests_per_second and/or tokens_per_minute must be positive"},
      {"token_budget: {tokens: 0}", ":3: filters.token_budget.tokens: must be at least 1"},
      {"token_budget: {tokens: 10, window_seconds: 0}", ":3: filters.token_budget.window_seconds: must be at least 1"},
      {"token_budget: {tokens: 10, enabled: no}", ":3: filters.token_budget.enabled: true or false is expected"},
  };
  for (const auto& [filter, expected] : cases) {
    const std::string name = filter.substr(0, filter.find(':'));
    auto bad = Load("upstreams: {a: 127.0.0.1:1}\nfilters:\n  " + filter +
                    "\nroutes: [{path: /x, upstream: a, filters: [" + name + "]}]\n");
    ASSERT_FALSE(bad.ok()) << filter;
    EXPECT_NE(bad.error().message.find(expected), std::string::npos) << bad.error().message;
  }
}

// Requests are matched in normal form, so a route must be written in it.
TEST_F(ConfigFile, RoutePathsMustBeInNormalForm) {
  for (const std::string path :
       {"/v1/chat/", "//v1/chat", "/v1/./chat", "/v1/../chat", "/v1/%63hat", "/v1?x", "/v1/%2Fchat", "/v1//*"}) {
    auto bad = Load("upstreams: {a: 127.0.0.1:1}\nroutes:\n  - {path: \"" + path + "\", upstream: a}\n");
    ASSERT_FALSE(bad.ok()) << path;
    EXPECT_NE(bad.error().message.find(":3: routes[0].path: write the path in normal form"), std::string::npos)
        << bad.error().message;
  }
  for (const std::string path : {"/", "/*", "/v1/*", "/v1*", "/v1/chat/completions", "/files/a%20b"}) {
    auto good = Load("upstreams: {a: 127.0.0.1:1}\nroutes:\n  - {path: \"" + path + "\", upstream: a}\n");
    EXPECT_TRUE(good.ok()) << path << ": " << good.error().message;
  }
}

// The api_key filter's own keys reach the key store at load, so DELETE /admin/keys/{id} can revoke them.
TEST_F(ConfigFile, ConfiguredKeysReachTheKeyStore) {
  const std::string keys = (fs::temp_directory_path() / ("mg-store-" + std::to_string(::getpid()) + ".json")).string();
  fs::remove(keys);
  auto config =
      Load("keys: {file: " + keys +
           "}\nupstreams: {a: 127.0.0.1:1}\nfilters:\n  api_key:\n    keys: [{id: cfg, sha256: " + Sha256Hex("mg-cfg") +
           "}]\nroutes: [{path: /x, upstream: a, filters: [api_key]}]\n");
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_FALSE(config->environment.keys->Revoke("other").ok());
  ASSERT_TRUE(config->environment.keys->Revoke("cfg").ok());
  EXPECT_TRUE(config->environment.keys->Find(HashKeyBytes("mg-cfg"))->revoked);
  fs::remove(keys);
}

TEST_F(ConfigFile, ReloadKeepsTheStateOfUnchangedFilters) {
  const std::string text =
      "upstreams: {a: 127.0.0.1:1}\nfilters: {token_budget: {tokens: 10}}\nroutes: [{name: r, path: /x, upstream: a, "
      "filters: [token_budget]}]\n";
  auto first = Load(text);
  ASSERT_TRUE(first.ok());
  auto again = Load(text);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->routes[0].filters[0].get(), again->routes[0].filters[0].get());
  auto changed = Load(
      "upstreams: {a: 127.0.0.1:1}\nfilters: {token_budget: {tokens: 20}}\nroutes: [{name: r, path: /x, upstream: a, "
      "filters: [token_budget]}]\n");
  ASSERT_TRUE(changed.ok());
  EXPECT_NE(first->routes[0].filters[0].get(), changed->routes[0].filters[0].get());
}

}  // namespace
}  // namespace modelguard::gateway
