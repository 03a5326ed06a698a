// Filter settings schemas and the shared settings reader: misspelt keys are errors with file:line and key path
// in YAML, TOML and JSON; every filter refuses unknown keys, wrong types and values it does not allow; defaults
// are applied; the filter reference in docs/gateway.md is the one the schemas generate.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "modelguard/core/bytes.h"
#include "modelguard/gateway/filter.h"
#include "modelguard/gateway/gateway.h"
#include "modelguard/gateway/limits.h"

namespace modelguard::gateway {
namespace {
namespace fs = std::filesystem;

const std::string kSecret = "0123456789abcdef0123456789abcdef";

FilterEnvironment Env() { return FilterEnvironment{MakeMemoryLimitStore(), nullptr, false}; }

std::string ErrorOf(const std::string& name, const nlohmann::json& settings) {
  auto created = CreateFilter(name, settings, Env());
  return created.ok() ? std::string("(accepted)") : created.error().message;
}

class ConfigText : public ::testing::Test {
 protected:
  Result<GatewayConfig> Load(const std::string& text, const std::string& extension) {
    path_ = (fs::temp_directory_path() / ("mg-filter-settings-" + std::to_string(::getpid()) + extension)).string();
    std::ofstream(path_) << text;
    return ConfigLoader().Load(path_);
  }
  // The message must start with the file and the line, then name the key path.
  void ExpectError(const Result<GatewayConfig>& loaded, int line, const std::string& rest) {
    ASSERT_FALSE(loaded.ok()) << "accepted; expected " << rest;
    const std::string expected = path_ + ":" + std::to_string(line) + ": " + rest;
    EXPECT_EQ(loaded.error().message.rfind(expected, 0), 0u) << loaded.error().message << "\nexpected: " << expected;
  }
  void TearDown() override { fs::remove(path_); }
  std::string path_;
};

TEST_F(ConfigText, MisspeltFilterKeyNamesFileLineAndKeyPathInYamlTomlAndJson) {
  ExpectError(Load("upstreams: {a: 127.0.0.1:1}\n"
                   "filters:\n"
                   "  jwt:\n"
                   "    keys: [{alg: HS256, secret: " +
                       kSecret +
                       "}]\n"
                       "    requre_exp: false\n"
                       "routes: [{path: /x, upstream: a, filters: [jwt]}]\n",
                   ".yaml"),
              5,
              "filters.jwt.requre_exp: unknown key (expected one of: keys, issuer, audience, leeway_seconds, "
              "require_exp)");
  ExpectError(Load("upstreams = {a = \"127.0.0.1:1\"}\n"
                   "routes = [{path = \"/x\", upstream = \"a\", filters = [\"jwt\"]}]\n"
                   "\n"
                   "[filters.jwt]\n"
                   "keys = [{alg = \"HS256\", secret = \"" +
                       kSecret +
                       "\"}]\n"
                       "requre_exp = false\n",
                   ".toml"),
              6, "filters.jwt.requre_exp: unknown key");
  ExpectError(Load("{\n"
                   "  \"upstreams\": {\"a\": \"127.0.0.1:1\"},\n"
                   "  \"filters\": {\n"
                   "    \"jwt\": {\n"
                   "      \"keys\": [{\"alg\": \"HS256\", \"secret\": \"" +
                       kSecret +
                       "\"}],\n"
                       "      \"requre_exp\": false\n"
                       "    }\n"
                       "  },\n"
                       "  \"routes\": [{\"path\": \"/x\", \"upstream\": \"a\", \"filters\": [\"jwt\"]}]\n"
                       "}\n",
                   ".json"),
              6, "filters.jwt.requre_exp: unknown key");
}

TEST_F(ConfigText, NestedKeysTypesAndValuesPointAtTheirLineInEveryFormat) {
  // A misspelt key inside a list item.
  ExpectError(Load("upstreams: {a: 127.0.0.1:1}\n"
                   "filters:\n"
                   "  jwt:\n"
                   "    keys:\n"
                   "      - alg: HS256\n"
                   "        secert: " +
                       kSecret +
                       "\n"
                       "routes: [{path: /x, upstream: a, filters: [jwt]}]\n",
                   ".yaml"),
              6, "filters.jwt.keys[0].secert: unknown key");
  ExpectError(Load("upstreams = {a = \"127.0.0.1:1\"}\n"
                   "routes = [{path = \"/x\", upstream = \"a\", filters = [\"jwt\"]}]\n"
                   "[[filters.jwt.keys]]\n"
                   "alg = \"HS256\"\n"
                   "secert = \"" +
                       kSecret + "\"\n",
                   ".toml"),
              5, "filters.jwt.keys[0].secert: unknown key");
  // A wrong type and a value that is not allowed, in JSON (which had no line numbers before).
  ExpectError(Load("{\"upstreams\": {\"a\": \"127.0.0.1:1\"},\n"
                   " \"filters\": {\"rate_limit\": {\n"
                   "   \"requests_per_second\": \"fast\"}},\n"
                   " \"routes\": [{\"path\": \"/x\", \"upstream\": \"a\", \"filters\": [\"rate_limit\"]}]}\n",
                   ".json"),
              3, "filters.rate_limit.requests_per_second: a number is expected");
  ExpectError(Load("{\"upstreams\": {\"a\": \"127.0.0.1:1\"},\n"
                   " \"filters\": {\"rate_limit\": {\"requests_per_second\": 5,\n"
                   "   \"per\": \"user\"}},\n"
                   " \"routes\": [{\"path\": \"/x\", \"upstream\": \"a\", \"filters\": [\"rate_limit\"]}]}\n",
                   ".json"),
              3, "filters.rate_limit.per: 'user' is not one of: key, route");
  // Errors outside the filters get JSON lines too; a key given twice is refused as in YAML.
  ExpectError(Load("{\"upstreams\": {\"a\": \"127.0.0.1:1\"},\n"
                   " \"routes\": [\n"
                   "   {\"path\": \"/x\",\n"
                   "    \"upstream\": \"b\"}]}\n",
                   ".json"),
              4, "routes[0].upstream: no upstream named 'b'");
  ExpectError(Load("{\"upstreams\": {\"a\": \"127.0.0.1:1\"},\n"
                   " \"threads\": 1,\n"
                   " \"threads\": 2,\n"
                   " \"routes\": [{\"path\": \"/x\", \"upstream\": \"a\"}]}\n",
                   ".json"),
              3, "threads: the key appears twice");
}

TEST_F(ConfigText, EveryConfiguredFilterIsCheckedEvenWhenNoRouteUsesIt) {
  // A misspelt filter name, and a misspelt key of a filter no route lists yet.
  ExpectError(Load("upstreams: {a: 127.0.0.1:1}\n"
                   "filters:\n"
                   "  rate_limt: {requests_per_second: 5}\n"
                   "routes: [{path: /x, upstream: a}]\n",
                   ".yaml"),
              3, "filters.rate_limt: unknown filter (known: ");
  ExpectError(Load("upstreams: {a: 127.0.0.1:1}\n"
                   "filters:\n"
                   "  token_budget:\n"
                   "    tokens: 100\n"
                   "    window_secs: 60\n"
                   "routes: [{path: /x, upstream: a}]\n",
                   ".yaml"),
              5, "filters.token_budget.window_secs: unknown key");
  // A filter a route lists without settings: its required keys are named at the route's entry.
  ExpectError(Load("upstreams: {a: 127.0.0.1:1}\n"
                   "routes:\n"
                   "  - path: /x\n"
                   "    upstream: a\n"
                   "    filters: [token_budget]\n",
                   ".yaml"),
              5, "routes[0].filters[0]: token_budget.tokens: is required");
}

TEST(FilterSettings, TheRegistryListsEveryFilterFolder) {
  // Each folder under src/gateway/filters/ must be in the registry (and nothing else is).
  std::set<std::string> folders, registered;
  for (const auto& entry : fs::directory_iterator(fs::path(MODELGUARD_SOURCE_DIR) / "src/gateway/filters")) {
    if (entry.is_directory()) folders.insert(entry.path().filename().string());
  }
  for (const auto& name : FilterNames()) registered.insert(name);
  EXPECT_EQ(registered, folders);
  EXPECT_EQ(registered.size(), 9u);
}

TEST(FilterSettings, EachFilterRejectsAnUnknownKey) {
  for (const auto* d : FilterDescriptors()) {
    EXPECT_FALSE(d->summary.empty()) << d->name;
    EXPECT_FALSE(d->settings.empty()) << d->name;
    const std::string message = ErrorOf(d->name, {{"no_such_key", 1}});
    EXPECT_EQ(message.rfind(d->name + ".no_such_key: unknown key (expected one of: ", 0), 0u) << message;
  }
  // Nested objects are checked too.
  EXPECT_EQ(ErrorOf("api_key", {{"keys", {{{"id", "a"}, {"sha256", std::string(64, 'a')}, {"scope", "x"}}}}})
                .rfind("api_key.keys[0].scope: unknown key", 0),
            0u);
  EXPECT_EQ(ErrorOf("guard", {{"thresholds", {{"user", {{"flag", 0.5}, {"blok", 0.9}}}}}})
                .rfind("guard.thresholds.user.blok: unknown key", 0),
            0u);
}

TEST(FilterSettings, WrongTypesAreErrors) {
  const std::pair<std::string, nlohmann::json> cases[] = {
      {"rate_limit", {{"requests_per_second", "fast"}}},
      {"rate_limit", {{"requests_per_second", 5}, {"default_max_tokens", 1.5}}},
      {"token_budget", {{"tokens", "100"}}},
      {"token_budget", {{"tokens", 18446744073709551615ull}}},
      {"jwt", {{"keys", "k"}}},
      {"jwt", {{"keys", {{{"alg", "HS256"}, {"secret", kSecret}}}}, {"require_exp", "yes"}}},
      {"api_key", {{"keys", {{{"id", "a"}, {"sha256", std::string(64, 'a')}, {"expires", "soon"}}}}}},
      {"guard", {{"roles", "user"}}},
      {"guard", {{"allow", {{"EMAIL", "a@b.c"}}}}},
      {"prada", {{"input_field", 3}}},
      {"output_hardening", {{"max_top_logprobs", "5"}}},
  };
  const std::string expectations[] = {
      "rate_limit.requests_per_second: a number is expected, got string",
      "rate_limit.default_max_tokens: a whole number is expected, got a fraction",
      "token_budget.tokens: a whole number is expected, got string",
      "token_budget.tokens: a whole number is expected",
      "jwt.keys: a list of mappings is expected, got string",
      "jwt.require_exp: true or false is expected, got string",
      "api_key.keys[0].expires: a whole number is expected, got string",
      "guard.roles: a list of strings is expected, got string",
      "guard.allow.EMAIL: a list of strings is expected, got string",
      "prada.input_field: a string is expected, got number",
      "output_hardening.max_top_logprobs: a whole number is expected, got string",
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    EXPECT_EQ(ErrorOf(cases[i].first, cases[i].second), expectations[i]) << cases[i].second.dump();
  }
}

TEST(FilterSettings, ValuesOutsideTheAllowedOnesAreErrors) {
  const std::pair<std::string, nlohmann::json> cases[] = {
      {"rate_limit", {{"requests_per_second", 5}, {"per", "user"}}},
      {"rate_limit", {{"requests_per_second", -1}}},
      {"guard", {{"pii", "maybe"}}},
      {"guard", {{"injection", "redact"}}},
      {"guard", {{"thresholds", {{"robot", {{"flag", 0.5}}}}}}},
      {"guard", {{"prompt_leak_overlap", 1.5}}},
      {"jwt", {{"keys", {{{"alg", "none"}}}}}},
      {"jwt", {{"keys", nlohmann::json::array()}}},
      {"prada", {{"action", "explode"}}},
      {"prada", {{"min_queries", 5}}},
      {"token_budget", {{"tokens", 100}, {"window_seconds", 0}}},
  };
  const std::string expectations[] = {
      "rate_limit.per: 'user' is not one of: key, route",
      "rate_limit.requests_per_second: must be at least 0",
      "guard.pii: 'maybe' is not one of: off, flag, redact, block",
      "guard.injection: 'redact' is not one of: off, flag, block",
      "guard.thresholds.robot: 'robot' is not one of: system, user, assistant, tool, document, developer, function",
      "guard.prompt_leak_overlap: must be between 0 and 1",
      "jwt.keys[0].alg: 'none' is not one of: HS256, RS256, ES256",
      "jwt.keys: needs at least 1 item",
      "prada.action: 'explode' is not one of: flag, throttle, block",
      "prada.min_queries: must be between 20 and 5000",
      "token_budget.window_seconds: must be at least 1",
  };
  for (size_t i = 0; i < std::size(cases); ++i) {
    EXPECT_EQ(ErrorOf(cases[i].first, cases[i].second), expectations[i]) << cases[i].second.dump();
  }
  // Checks between keys stay with the filter, and name the key.
  EXPECT_EQ(ErrorOf("prada", {{"min_queries", 200}, {"window", 100}}), "prada.window: must be at least min_queries");
  EXPECT_EQ(ErrorOf("jwt", {{"keys", {{{"alg", "RS256"}, {"secret", kSecret}}}}}),
            "jwt.keys[0].secret: RS256 keys take a public_key");
  EXPECT_EQ(ErrorOf("rate_limit", nlohmann::json::object()),
            "rate_limit: requests_per_second and/or tokens_per_minute must be positive");
}

TEST(FilterSettings, DefaultsAreApplied) {
  // Every declared default is what the reader hands out when the key is absent.
  const std::map<std::string, nlohmann::json> minimal = {
      {"jwt", {{"keys", {{{"alg", "HS256"}, {"secret", kSecret}}}}}},
      {"token_budget", {{"tokens", 10}}},
      {"watermark", {{"tokenizer", "tokenizer.json"}}},
  };
  size_t defaults = 0;
  for (const auto* d : FilterDescriptors()) {
    auto it = minimal.find(d->name);
    auto read = ReadFilterSettings(d->name, it == minimal.end() ? nlohmann::json::object() : it->second);
    ASSERT_TRUE(read.ok()) << read.error().message;
    for (const auto& s : d->settings) {
      if (s.default_value.is_null()) continue;
      EXPECT_FALSE(read->Has(s.key)) << d->name << "." << s.key;
      EXPECT_EQ(read->Json().at(s.key), s.default_value) << d->name << "." << s.key;
      ++defaults;
    }
  }
  EXPECT_GT(defaults, 30u);
  auto jwt = ReadFilterSettings("jwt", minimal.at("jwt"));
  ASSERT_TRUE(jwt.ok());
  EXPECT_TRUE(jwt->Bool("require_exp"));
  EXPECT_EQ(jwt->Integer("leeway_seconds"), 30);
  EXPECT_EQ(jwt->Objects("keys")[0].String("kid"), "");
  auto guard = ReadFilterSettings("guard", nlohmann::json::object());
  ASSERT_TRUE(guard.ok());
  EXPECT_EQ(guard->String("pii"), "flag");
  EXPECT_EQ(guard->Strings("roles").size(), 5u);
  EXPECT_EQ(guard->Number("prompt_leak_overlap"), 0.5);
  // An empty YAML value (null) is the same as leaving the key out.
  auto budget = ReadFilterSettings("token_budget", {{"tokens", 10}, {"window_seconds", nullptr}});
  ASSERT_TRUE(budget.ok());
  EXPECT_EQ(budget->Integer("window_seconds"), 3600);
}

std::string B64Url(const std::string& bytes) { return Base64Encode(bytes, Base64Alphabet::kUrl, false); }

std::string Hs256(const nlohmann::json& claims) {
  const std::string input = B64Url(nlohmann::json{{"alg", "HS256"}}.dump()) + "." + B64Url(claims.dump());
  unsigned char mac[32];
  unsigned int size = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &size);
  return input + "." + B64Url(std::string(reinterpret_cast<char*>(mac), size));
}

TEST(FilterSettings, DefaultsDecideBehaviour) {
  // require_exp defaults to true: a token without exp is refused unless the setting (spelt right) says otherwise.
  auto strict = CreateFilter("jwt", {{"keys", {{{"alg", "HS256"}, {"secret", kSecret}}}}}, Env());
  auto lenient =
      CreateFilter("jwt", {{"keys", {{{"alg", "HS256"}, {"secret", kSecret}}}}, {"require_exp", false}}, Env());
  ASSERT_TRUE(strict.ok() && lenient.ok());
  RequestContext request;
  request.headers["authorization"] = "Bearer " + Hs256({{"sub", "a"}});
  auto refused = (*strict)->OnRequest(request);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->message, "the token has no valid exp claim");
  EXPECT_FALSE((*lenient)->OnRequest(request).has_value());
  // burst defaults to max(1, requests_per_second): a slow rate admits one request, then refuses.
  auto limiter = CreateFilter("rate_limit", {{"requests_per_second", 0.001}}, Env());
  ASSERT_TRUE(limiter.ok());
  RequestContext first, second;
  first.route = second.route = "r";
  EXPECT_FALSE((*limiter)->OnRequest(first).has_value());
  auto limited = (*limiter)->OnRequest(second);
  ASSERT_TRUE(limited.has_value());
  EXPECT_EQ(limited->status, 429u);
}

TEST(SettingsReader, ReadsNestedObjectsMapsAndRequiredKeys) {
  static const SettingsSchema schema = {
      {.key = "name", .type = SettingType::kString, .doc = "required name", .required = true},
      {.key = "items",
       .type = SettingType::kObjectList,
       .doc = "items",
       .default_value = nlohmann::json::array(),
       .max = 2,
       .fields =
           {{.key = "size", .type = SettingType::kInteger, .doc = "size", .default_value = 1, .min = 0, .max = 10}}},
      {"tags", SettingType::kStringListMap, "tags", nlohmann::json::object()},
  };
  auto read = Settings::Read(schema, {{"name", "n"}, {"items", {{{"size", 3}}, nlohmann::json::object()}}}, "t");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_TRUE(read->Has("name"));
  EXPECT_FALSE(read->Has("tags"));
  const auto items = read->Objects("items");
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0].Integer("size"), 3);
  EXPECT_EQ(items[1].Integer("size"), 1);  // the nested default
  EXPECT_EQ(items[1].Path(), "t.items[1]");
  EXPECT_EQ(Settings::Read(schema, nlohmann::json::object(), "t").error().message, "t.name: is required");
  EXPECT_EQ(Settings::Read(schema, {{"name", "n"}, {"items", {{{"size", 11}}}}}, "t").error().message,
            "t.items[0].size: must be between 0 and 10");
  EXPECT_EQ(Settings::Read(schema, {{"name", "n"}, {"items", {{{"size", 1}}, {{"size", 1}}, {{"size", 1}}}}}, "t")
                .error()
                .message,
            "t.items: takes at most 2 items");
  EXPECT_EQ(Settings::Read(schema, "text", "t").error().message, "t: a mapping of settings is expected, got string");
  EXPECT_EQ(Settings::Read(schema, {{"name", "n"}, {"tags", {{"a", {"x", 1}}}}}, "t").error().message,
            "t.tags.a[1]: a string is expected, got number");
  EXPECT_EQ(read->Invalid("name", "bad").message, "t.name: bad");
}

// docs/gateway.md holds the generated reference between these markers; scripts/gen-gateway-doc rewrites it
// (by running this test with MODELGUARD_UPDATE_DOCS=1).
constexpr char kBegin[] = "<!-- filter-reference:begin (generated by scripts/gen-gateway-doc; do not edit) -->\n";
constexpr char kEnd[] = "<!-- filter-reference:end -->\n";

TEST(FilterReference, DocsGatewayMdIsGeneratedFromTheSchemas) {
  const fs::path path = fs::path(MODELGUARD_SOURCE_DIR) / "docs/gateway.md";
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  std::string doc = text.str();
  const auto begin = doc.find(kBegin);
  const auto end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << "docs/gateway.md has no filter-reference:begin marker";
  ASSERT_NE(end, std::string::npos) << "docs/gateway.md has no filter-reference:end marker";
  ASSERT_LT(begin, end);
  const size_t body = begin + std::strlen(kBegin);
  const std::string expected = FilterReferenceMarkdown();
  if (const char* update = std::getenv("MODELGUARD_UPDATE_DOCS"); update && std::string(update) == "1") {
    doc.replace(body, end - body, expected);
    std::ofstream(path) << doc;
    return;
  }
  EXPECT_EQ(doc.substr(body, end - body), expected) << "docs/gateway.md is stale: run scripts/gen-gateway-doc";
  // Every filter and every key is in it.
  for (const auto* d : FilterDescriptors()) {
    EXPECT_NE(expected.find("#### `" + d->name + "`"), std::string::npos) << d->name;
    for (const auto& s : d->settings) EXPECT_NE(expected.find("| `" + s.key + "` |"), std::string::npos) << s.key;
  }
}

// docs/extending.md, "Adding a gateway filter", followed with a filter that exists only in this test: its
// folder would hold this class and descriptor, and its registry entry is the ScopedTestFilter below.
class TagFilter final : public Filter {
 public:
  TagFilter(std::string header, std::string value) : header_(std::move(header)), value_(std::move(value)) {}
  const char* name() const override { return "tag"; }
  std::optional<Answer> OnRequest(RequestContext& request) override {
    request.headers[header_] = value_;
    return std::nullopt;
  }

 private:
  std::string header_, value_;
};

Result<std::shared_ptr<Filter>> CreateTag(const Settings& settings, const FilterEnvironment&) {
  return std::shared_ptr<Filter>(std::make_shared<TagFilter>(settings.String("header"), settings.String("value")));
}

const FilterDescriptor kTagFilter{
    "tag",
    "Adds a header to every request (a test-only filter).",
    {
        {.key = "header", .type = SettingType::kString, .doc = "the header's name", .required = true},
        {.key = "value",
         .type = SettingType::kString,
         .doc = "its value",
         .default_value = "on",
         .allowed = {"on", "off"}},
    },
    CreateTag};

TEST_F(ConfigText, TheExtendingChecklistWorksForANewFilter) {
  ScopedTestFilter registered(&kTagFilter);
  auto loaded = Load(
      "upstreams: {a: 127.0.0.1:1}\nfilters:\n  tag: {header: x-tag}\nroutes: [{path: /x, upstream: a, filters: "
      "[tag]}]\n",
      ".yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  RequestContext request;
  ASSERT_FALSE(loaded->routes[0].filters[0]->OnRequest(request).has_value());
  EXPECT_EQ(request.headers["x-tag"], "on");  // the schema's default reached the filter
  // The shared reader checks its settings like every other filter's.
  ExpectError(Load("upstreams: {a: 127.0.0.1:1}\nfilters:\n  tag:\n    header: x-tag\n    valeu: off\nroutes: [{path: "
                   "/x, upstream: a, filters: [tag]}]\n",
                   ".yaml"),
              5, "filters.tag.valeu: unknown key (expected one of: header, value)");
  // And it appears in the generated reference, with its schema.
  const std::string reference = FilterReferenceMarkdown();
  EXPECT_NE(reference.find("#### `tag`\n\nAdds a header to every request (a test-only filter).\n"), std::string::npos);
  EXPECT_NE(reference.find("| `header` | string | required |  | the header's name |"), std::string::npos) << reference;
  EXPECT_NE(reference.find("| `value` | string | `on` | `on`, `off` | its value |"), std::string::npos) << reference;
}

TEST(FilterReference, TestFiltersLeaveTheRegistryWithTheirScope) {
  { ScopedTestFilter registered(&kTagFilter); }
  EXPECT_EQ(FindFilter("tag"), nullptr);
  EXPECT_EQ(FilterReferenceMarkdown().find("`tag`"), std::string::npos);
}

}  // namespace
}  // namespace modelguard::gateway
