// The gateway's own answers without a server: route matching, the built-in endpoints (/healthz, /readyz,
// /metrics) and the admin API (its key, the key store, reload).
#include "src/gateway/admin.h"  // first: Boost 1.74 needs <utility> before asio

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "modelguard/core/bytes.h"
#include "modelguard/gateway/limits.h"
#include "src/gateway/endpoints.h"

namespace modelguard::gateway {
namespace {
namespace fs = std::filesystem;

TEST(RouteMatch, ExactPathsAndStarPrefixesFirstMatchWinsQueryIgnored) {
  std::vector<Route> routes(3);
  routes[0].name = "chat", routes[0].path = "/v1/chat/completions";
  routes[1].name = "v1", routes[1].path = "/v1/*";
  routes[2].name = "all", routes[2].path = "*";
  EXPECT_EQ(MatchRoute(routes, "/v1/chat/completions")->name, "chat");
  EXPECT_EQ(MatchRoute(routes, "/v1/chat/completions?x=1")->name, "chat");
  EXPECT_EQ(MatchRoute(routes, "/v1/chat/completions/more")->name, "v1");
  EXPECT_EQ(MatchRoute(routes, "/v1/")->name, "v1");
  EXPECT_EQ(MatchRoute(routes, "/v2?/v1/x")->name, "all");
  routes.pop_back();
  EXPECT_EQ(MatchRoute(routes, "/v2?/v1/x"), nullptr);
  EXPECT_EQ(MatchRoute(routes, "/v1"), nullptr);
}

Runtime OneUpstream(bool healthy) {
  Upstream upstream;
  upstream.name = "models";
  upstream.targets = {{"127.0.0.1", "9"}};
  auto state = MakeUpstreamState(upstream);
  EXPECT_TRUE(state.ok());
  Runtime runtime;
  runtime.upstreams["models"] = *state;
  for (auto& target : (*state)->targets) target->healthy = healthy;
  return runtime;
}

TEST(BuiltinEndpoints, HealthReadinessAndMetrics) {
  Metrics metrics;
  const Runtime healthy = OneUpstream(true);
  auto health = BuiltinEndpoint("/healthz", 11, healthy, metrics, false);
  ASSERT_TRUE(health.has_value());
  EXPECT_EQ(health->result_int(), 200u);
  EXPECT_EQ(health->body(), "{\"status\":\"ok\"}");
  auto ready = BuiltinEndpoint("/readyz", 10, healthy, metrics, false);
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->result_int(), 200u);
  EXPECT_EQ(ready->version(), 10u);
  auto draining = BuiltinEndpoint("/readyz", 11, healthy, metrics, true);
  EXPECT_EQ(draining->result_int(), 503u);
  EXPECT_EQ(draining->body(), R"({"reason":"draining","status":"not ready"})");
  auto down = BuiltinEndpoint("/readyz", 11, OneUpstream(false), metrics, false);
  EXPECT_EQ(down->result_int(), 503u);
  EXPECT_EQ(nlohmann::json::parse(down->body())["reason"], "upstream 'models' has no healthy target");
  ++metrics.reloads;
  auto prometheus = BuiltinEndpoint("/metrics", 11, healthy, metrics, false);
  ASSERT_TRUE(prometheus.has_value());
  EXPECT_EQ((*prometheus)[http::field::content_type], "text/plain; version=0.0.4");
  EXPECT_NE(prometheus->body().find("modelguard_gateway"), std::string::npos);
  // Anything else, including near misses, goes on to the routes.
  EXPECT_FALSE(BuiltinEndpoint("/healthz?x", 11, healthy, metrics, false).has_value());
  EXPECT_FALSE(BuiltinEndpoint("/metrics/", 11, healthy, metrics, false).has_value());
  EXPECT_FALSE(BuiltinEndpoint("/v1/chat", 11, healthy, metrics, false).has_value());
}

class AdminApi : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (fs::temp_directory_path() / ("mg-admin-" + std::to_string(::getpid()) + ".json")).string();
    fs::remove(path_);
    auto keys = KeyStore::Open(path_);
    ASSERT_TRUE(keys.ok());
    config_.environment.keys = *keys;
    config_.admin_key_sha256 = HashKeyBytes("admin-secret");
  }
  void TearDown() override { fs::remove(path_); }

  http::response<http::string_body> Call(http::verb verb, const std::string& target, std::string body = "",
                                         const std::string& key = "admin-secret") {
    http::request<http::string_body> request{verb, target, 11};
    if (!key.empty()) request.set(http::field::authorization, "Bearer " + key);
    request.body() = std::move(body);
    request.prepare_payload();
    return HandleAdmin(request, config_, reload_);
  }

  std::string path_;
  GatewayConfig config_;
  int reloads_ = 0;
  std::string reload_problem_;
  ReloadFunction reload_ = [this] {
    ++reloads_;
    return reload_problem_;
  };
};

TEST_F(AdminApi, NeedsTheAdminKey) {
  EXPECT_EQ(Call(http::verb::get, "/admin/keys", "", "").result_int(), 401u);
  EXPECT_EQ(Call(http::verb::get, "/admin/keys", "", "admin-secreT").result_int(), 401u);
  EXPECT_EQ(Call(http::verb::post, "/admin/reload", "", "wrong").result_int(), 401u);
  EXPECT_EQ(reloads_, 0);
}

TEST_F(AdminApi, CreatesListsAndRevokesKeys) {
  const auto created = Call(http::verb::post, "/admin/keys", R"({"owner":"team a"})");
  ASSERT_EQ(created.result_int(), 201u) << created.body();
  const auto record = nlohmann::json::parse(created.body());
  const std::string id = record["id"], secret = record["key"];
  EXPECT_EQ(secret.rfind("mg-", 0), 0u);
  const auto listed = Call(http::verb::get, "/admin/keys");
  ASSERT_EQ(listed.result_int(), 200u);
  EXPECT_EQ(listed.body().find(secret), std::string::npos);  // the secret is shown once, at creation
  EXPECT_EQ(nlohmann::json::parse(listed.body())["keys"][0]["owner"], "team a");
  EXPECT_EQ(Call(http::verb::delete_, "/admin/keys/" + id).body(),
            nlohmann::json({{"id", id}, {"revoked", true}}).dump());
  EXPECT_EQ(Call(http::verb::delete_, "/admin/keys/no-such-id").result_int(), 404u);
  EXPECT_EQ(Call(http::verb::post, "/admin/keys", R"({"id":)").result_int(), 400u);
  EXPECT_EQ(Call(http::verb::put, "/admin/keys").result_int(), 404u);
}

// Before: a second key with the same id was created (two records, one id), and expires_in_seconds of
// 1e30, 2^64-1, "soon" or 1.5 were converted (overflowing the expiry) or thrown.
TEST_F(AdminApi, DuplicateIdsAreAConflictAndLifetimesAreChecked) {
  ASSERT_EQ(Call(http::verb::post, "/admin/keys", R"({"id":"team-a"})").result_int(), 201u);
  const auto again = Call(http::verb::post, "/admin/keys", R"({"id":"team-a","owner":"someone else"})");
  EXPECT_EQ(again.result_int(), 409u) << again.body();
  EXPECT_EQ(nlohmann::json::parse(again.body())["error"]["type"], "conflict");
  EXPECT_EQ(nlohmann::json::parse(Call(http::verb::get, "/admin/keys").body())["keys"].size(), 1u);
  for (const std::string ttl : {"-1", "0", "1e30", "18446744073709551615", "9223372036854775807", "3153600001", "1.5",
                                "\"3600\"", "true", "[]"}) {
    const auto refused = Call(http::verb::post, "/admin/keys", R"({"expires_in_seconds":)" + ttl + "}");
    EXPECT_EQ(refused.result_int(), 400u) << ttl << ": " << refused.body();
    EXPECT_NE(refused.body().find("expires_in_seconds must be a whole number of seconds from 1 to"), std::string::npos)
        << ttl << ": " << refused.body();
  }
  const auto year = Call(http::verb::post, "/admin/keys", R"({"expires_in_seconds":31536000})");
  ASSERT_EQ(year.result_int(), 201u) << year.body();
  const auto record = nlohmann::json::parse(year.body());
  EXPECT_EQ(record["expires"].get<int64_t>() - record["created"].get<int64_t>(), 31536000);
  EXPECT_EQ(Call(http::verb::post, "/admin/keys", R"({"expires_in_seconds":3153600000})").result_int(), 201u);
  EXPECT_EQ(Call(http::verb::post, "/admin/keys", R"({"expires_in_seconds":null})").result_int(), 201u);
  EXPECT_EQ(Call(http::verb::post, "/admin/keys", "not json").result_int(), 400u);
}

// Keys from the configuration file: DELETE revokes them (before: 404), the revocation is in the key store's
// file and survives a restart, and their ids cannot be taken by a new key.
TEST_F(AdminApi, ConfiguredKeysAreRevocableAcrossRestarts) {
  const auto hash = HashKeyBytes("mg-configured-secret");
  config_.environment.keys->SetConfiguredKeys({{"from-config", hash}});
  const FilterEnvironment env{MakeMemoryLimitStore(), config_.environment.keys, false};
  auto filter = CreateFilter("api_key", {{"keys", {{{"id", "from-config"}, {"sha256", HexEncode(hash)}}}}}, env);
  ASSERT_TRUE(filter.ok()) << filter.error().message;
  auto present = [&] {
    RequestContext request;
    request.headers["authorization"] = "Bearer mg-configured-secret";
    return (*filter)->OnRequest(request);
  };
  EXPECT_FALSE(present());
  EXPECT_FALSE(config_.environment.keys->Find(hash).has_value());  // the filter's own list decides
  EXPECT_EQ(Call(http::verb::post, "/admin/keys", R"({"id":"from-config"})").result_int(), 409u);
  const auto revoked = Call(http::verb::delete_, "/admin/keys/from-config");
  ASSERT_EQ(revoked.result_int(), 200u) << revoked.body();
  auto found = config_.environment.keys->Find(hash);
  ASSERT_TRUE(found.has_value());
  EXPECT_TRUE(found->revoked);
  EXPECT_EQ(found->id, "from-config");
  const auto refused = present();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401u);
  EXPECT_EQ(refused->message, "the API key was revoked");
  EXPECT_EQ(Call(http::verb::delete_, "/admin/keys/from-config").result_int(), 200u);  // again: still revoked
  // A restart: a new store from the same file, before the configuration is even loaded.
  auto reopened = KeyStore::Open(path_);
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  auto after = (*reopened)->Find(hash);
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(after->revoked);
  EXPECT_FALSE((*reopened)->Find(HashKeyBytes("mg-other")).has_value());
}

TEST_F(AdminApi, ReloadReportsTheProblem) {
  EXPECT_EQ(Call(http::verb::post, "/admin/reload").body(), "{\"reloaded\":true}");
  reload_problem_ = "gateway.yaml:3: unknown key 'rout'";
  const auto failed = Call(http::verb::post, "/admin/reload");
  EXPECT_EQ(failed.result_int(), 400u);
  EXPECT_EQ(nlohmann::json::parse(failed.body())["error"]["message"], reload_problem_);
  EXPECT_EQ(Call(http::verb::get, "/admin/reload").result_int(), 404u);
  EXPECT_EQ(reloads_, 2);
}

}  // namespace
}  // namespace modelguard::gateway
