// Configuration loading: YAML, TOML or JSON text -> one JSON document with a map from key paths to line
// numbers (core/config_document.h) -> checked settings. Every error names the file, the line when known, and the key.
// Filter settings are checked by the shared settings reader against each filter's schema (settings.h).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "modelguard/core/config_document.h"
#include "modelguard/core/host_port.h"
#include "modelguard/core/io.h"
#include "modelguard/core/json_fields.h"
#include "modelguard/gateway/approvals.h"
#include "modelguard/gateway/gateway.h"
#include "src/gateway/http_head.h"
#include "src/gateway/signals.h"

namespace modelguard::gateway {
namespace {

struct ConfigError : std::runtime_error {
  ConfigError(std::string key_path, const std::string& message)
      : std::runtime_error(message), key(std::move(key_path)) {}
  std::string key;
};

// Errors from the settings reader and the filters start with the key path inside the filter's settings
// ("jwt.keys[0].alg: ..."): point at that key when the file configures the filter, else at `fallback`.
ConfigError FilterError(const std::string& name, const std::string& message, const nlohmann::json& filters,
                        const std::string& fallback) {
  const auto colon = message.find(": ");
  const bool keyed = colon != std::string::npos && message.compare(0, name.size(), name) == 0 &&
                     (colon == name.size() || message[name.size()] == '.' || message[name.size()] == '[');
  if (keyed && filters.contains(name))
    return ConfigError("filters." + message.substr(0, colon), message.substr(colon + 2));
  return ConfigError(fallback, message);
}

constexpr uint64_t kMaxConfigBytes = 16 << 20;  // a configuration is a few KiB; this is room, not a target

// ", got number": what a field of the wrong type holds, for the error naming it.
std::string Got(const nlohmann::json& value) { return std::string(", got ") + JsonTypeName(value); }
// The same where a whole number is expected: 1.5 is a number too, but a fraction.
std::string GotInteger(const nlohmann::json& value) {
  return value.is_number_float() ? std::string(", got a fraction") : Got(value);
}

// A member's path: "key" at the top, "parent.key" below.
std::string Join(const std::string& path, const char* key) { return path.empty() ? key : path + "." + key; }

// `enabled: false` is the one way to switch a configured filter off (no limit of 0 or empty setting does):
// the settings without that key, and whether the filter runs.
nlohmann::json WithoutEnabled(const std::string& name, const nlohmann::json& settings, bool& enabled) {
  enabled = true;
  if (!settings.is_object() || !settings.contains("enabled")) return settings;
  if (!settings["enabled"].is_boolean())
    throw ConfigError("filters." + name + ".enabled", "true or false is expected" + Got(settings["enabled"]));
  enabled = settings["enabled"].get<bool>();
  nlohmann::json out = settings;
  out.erase("enabled");
  return out;
}

void OnlyKeys(const nlohmann::json& object, const std::string& path, std::initializer_list<const char*> allowed) {
  if (!object.is_object())
    throw ConfigError(path.empty() ? "the document" : path, "a mapping is expected" + Got(object));
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (const char* a : allowed) known = known || key == a;
    if (!known) {
      std::string list;
      for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
      throw ConfigError(path.empty() ? key : path + "." + key, "unknown key (expected one of: " + list + ")");
    }
  }
}

std::string String(const nlohmann::json& object, const char* key, const std::string& path,
                   const std::string& fallback = "") {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_string()) throw ConfigError(Join(path, key), "a string is expected" + Got(*it));
  return it->get<std::string>();
}

int64_t Integer(const nlohmann::json& object, const char* key, const std::string& path, int64_t fallback, int64_t min,
                int64_t max) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_number_integer()) throw ConfigError(Join(path, key), "a whole number is expected" + GotInteger(*it));
  const int64_t v = it->get<int64_t>();
  if (v < min || v > max) {
    throw ConfigError(path.empty() ? key : path + "." + key,
                      "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return v;
}

bool Bool(const nlohmann::json& object, const char* key, const std::string& path, bool fallback) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) throw ConfigError(Join(path, key), "true or false is expected" + Got(*it));
  return it->get<bool>();
}

// "host:port" with both parts present; port 0-65535; "[::1]:80" for IPv6.
void SplitHostPort(const std::string& text, const std::string& path, std::string& host, std::string& port) {
  const auto parsed = ParseHostPort(text);
  if (!parsed) throw ConfigError(path, "expected host:port with a port up to 65535, got '" + text + "'");
  host = parsed->host;
  port = std::to_string(parsed->port);
}

std::array<unsigned char, 32> HexDigest(const std::string& hex, const std::string& path) {
  auto digest = ParseKeyHash(hex);
  if (!digest) throw ConfigError(path, "64 lower-case hex digits expected (modelguard gateway hash-key)");
  return *digest;
}

Upstream ParseUpstream(const std::string& name, const nlohmann::json& value, const std::string& path) {
  Upstream up;
  up.name = name;
  auto add_target = [&](const nlohmann::json& t, const std::string& where) {
    if (!t.is_string()) throw ConfigError(where, "expected \"host:port\"" + Got(t));
    UpstreamTarget target;
    SplitHostPort(t.get<std::string>(), where, target.host, target.port);
    up.targets.push_back(std::move(target));
  };
  if (value.is_string()) {
    add_target(value, path);
    return up;
  }
  OnlyKeys(value, path, {"targets", "tls", "health_check", "headers", "api_key_env"});
  if (!value.contains("targets") || !value["targets"].is_array() || value["targets"].empty()) {
    throw ConfigError(path + ".targets", "a list of at least one \"host:port\" is needed" +
                                             (value.contains("targets") ? Got(value["targets"]) : std::string()));
  }
  for (size_t i = 0; i < value["targets"].size(); ++i)
    add_target(value["targets"][i], path + ".targets[" + std::to_string(i) + "]");
  if (auto tls = value.find("tls"); tls != value.end()) {
    if (tls->is_boolean()) {
      up.tls = tls->get<bool>();
    } else {
      OnlyKeys(*tls, path + ".tls", {"ca_file", "verify", "server_name"});
      up.tls = true;
      up.tls_ca_file = String(*tls, "ca_file", path + ".tls");
      up.tls_verify = Bool(*tls, "verify", path + ".tls", true);
      up.tls_server_name = String(*tls, "server_name", path + ".tls");
    }
  }
  if (auto health = value.find("health_check"); health != value.end()) {
    const std::string where = path + ".health_check";
    OnlyKeys(*health, where, {"path", "interval_ms", "timeout_ms", "unhealthy_after"});
    up.health_path = String(*health, "path", where);
    if (up.health_path.empty() || up.health_path[0] != '/')
      throw ConfigError(where + ".path", "an absolute path such as /healthz is expected");
    up.health_interval = std::chrono::milliseconds(Integer(*health, "interval_ms", where, 5000, 50, 3600000));
    up.health_timeout = std::chrono::milliseconds(Integer(*health, "timeout_ms", where, 2000, 10, 600000));
    up.unhealthy_after = static_cast<unsigned>(Integer(*health, "unhealthy_after", where, 2, 1, 100));
  }
  std::set<std::string> names;  // lower-case
  auto add_header = [&](const std::string& field, const std::string& text, const std::string& where) {
    const bool token = !field.empty() && std::all_of(field.begin(), field.end(), [](unsigned char c) {
      return std::isalnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
    });
    if (!token) throw ConfigError(where, "not a valid header field name");
    // Framing and connection fields are the gateway's to set for each hop.
    const http::field known = http::string_to_field(field);
    if (HopByHop(known) || known == http::field::host || known == http::field::content_length ||
        known == http::field::expect)
      throw ConfigError(where, "'" + field + "' is set by the gateway for each hop");
    if (text.find_first_of(std::string("\r\n\0", 3)) != std::string::npos)
      throw ConfigError(where, "a header value must not hold CR, LF or NUL");
    std::string lower = field;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (!names.insert(lower).second) throw ConfigError(where, "the header '" + field + "' is given twice");
    up.headers.emplace_back(field, text);
  };
  if (auto headers = value.find("headers"); headers != value.end()) {
    if (!headers->is_object())
      throw ConfigError(path + ".headers", "a mapping of header names to values is expected" + Got(*headers));
    for (const auto& [field, text] : headers->items()) {
      if (!text.is_string()) throw ConfigError(path + ".headers." + field, "a string is expected" + Got(text));
      add_header(field, text.get<std::string>(), path + ".headers." + field);
    }
  }
  if (auto env = value.find("api_key_env"); env != value.end()) {
    if (!env->is_string() || env->get<std::string>().empty())
      throw ConfigError(path + ".api_key_env",
                        "the name of an environment variable is expected" + (env->is_string() ? "" : Got(*env)));
    const char* key = std::getenv(env->get<std::string>().c_str());
    // An unset variable would send requests upstream without their credential: refuse to start instead.
    if (!key || !*key)
      throw ConfigError(path + ".api_key_env", "the environment variable " + env->get<std::string>() + " is not set");
    add_header("Authorization", std::string("Bearer ") + key, path + ".api_key_env");
  }
  return up;
}

}  // namespace

Result<GatewayConfig> ConfigLoader::Load(const std::string& file) {
  // Capped like every document read (an alias bomb is stopped later, a huge file here); a directory is an
  // error naming it, where an ifstream read it as an empty document.
  auto read = ReadFile(file, kMaxConfigBytes);
  if (!read) return MakeError(read.error().code, "cannot read gateway configuration: " + read.error().message);
  auto parsed = ParseConfigDocument(*read, file);
  if (!parsed) return parsed.error();
  const nlohmann::json& doc = parsed->doc;
  auto where = [&](const std::string& key) { return parsed->Where(key); };
  GatewayConfig config;
  config.source = file;
  std::vector<std::pair<std::string, std::array<unsigned char, 32>>> configured;  // api_key's own keys
  try {
    OnlyKeys(doc, "",
             {"listen", "tls", "threads", "admin", "keys", "state", "upstreams", "filters", "routes", "audit", "limits",
              "logs"});
    std::string port;
    SplitHostPort(String(doc, "listen", "", "127.0.0.1:8080"), "listen", config.listen_host, port);
    config.listen_port = static_cast<uint16_t>(std::stoul(port));
    config.threads = static_cast<unsigned>(Integer(doc, "threads", "", 0, 0, 256));
    if (auto tls = doc.find("tls"); tls != doc.end()) {
      OnlyKeys(*tls, "tls", {"certificate", "private_key"});
      config.tls_certificate = String(*tls, "certificate", "tls");
      config.tls_private_key = String(*tls, "private_key", "tls");
      if (config.tls_certificate.empty() || config.tls_private_key.empty())
        throw ConfigError("tls", "both certificate and private_key are needed");
    }
    if (auto admin = doc.find("admin"); admin != doc.end()) {
      OnlyKeys(*admin, "admin", {"listen", "key_sha256"});
      std::string admin_port;
      SplitHostPort(String(*admin, "listen", "admin", "127.0.0.1:8081"), "admin.listen", config.admin_host, admin_port);
      config.admin_port = static_cast<uint16_t>(std::stoul(admin_port));
      config.admin_key_sha256 = HexDigest(String(*admin, "key_sha256", "admin"), "admin.key_sha256");
    }

    // Shared state first: filters are created against it.
    int64_t redis_timeout = 200;
    std::string redis;
    if (auto state = doc.find("state"); state != doc.end()) {
      OnlyKeys(*state, "state", {"redis", "timeout_ms", "on_error"});
      redis = String(*state, "redis", "state");
      redis_timeout = Integer(*state, "timeout_ms", "state", 200, 1, 60000);
      const std::string on_error = String(*state, "on_error", "state", "closed");
      if (on_error != "closed" && on_error != "open") throw ConfigError("state.on_error", "closed or open expected");
      config.environment.limits_fail_open = on_error == "open";
    }
    const std::string store_key = redis.empty() ? "memory" : redis + "#" + std::to_string(redis_timeout);
    auto& limits = limit_stores_[store_key];
    if (!limits) {
      if (redis.empty()) {
        limits = MakeMemoryLimitStore();
      } else {
        auto store = MakeRedisLimitStore(redis, static_cast<int>(redis_timeout));
        if (!store) throw ConfigError("state.redis", store.error().message);
        limits = *store;
      }
    }
    config.environment.limits = limits;
    if (!approvals_) approvals_ = std::make_shared<ApprovalBoard>();
    config.environment.approvals = approvals_;
    if (auto keys = doc.find("keys"); keys != doc.end()) {
      OnlyKeys(*keys, "keys", {"file"});
      const std::string path = String(*keys, "file", "keys");
      if (path.empty()) throw ConfigError("keys.file", "a file path is needed");
      auto& store = key_stores_[path];
      if (!store) {
        auto opened = KeyStore::Open(path);
        if (!opened) throw ConfigError("keys.file", opened.error().message);
        store = *opened;
      }
      config.environment.keys = store;
    }
    if (config.admin_port && !config.environment.keys)
      throw ConfigError("admin", "the admin API manages keys: set keys.file too");

    const auto upstreams = doc.value("upstreams", nlohmann::json::object());
    if (!upstreams.is_object())
      throw ConfigError("upstreams", "a mapping of names to upstreams is expected" + Got(upstreams));
    for (const auto& [name, value] : upstreams.items())
      config.upstreams[name] = ParseUpstream(name, value, "upstreams." + name);
    const auto filters = doc.value("filters", nlohmann::json::object());
    if (!filters.is_object())
      throw ConfigError("filters", "a mapping of filter names to settings is expected" + Got(filters));
    // Every configured filter is checked, used by a route or not: a misspelt name or key is an error, never
    // a silent default.
    for (const auto& [name, settings] : filters.items()) {
      bool enabled = true;
      auto checked = ReadFilterSettings(name, WithoutEnabled(name, settings, enabled));
      if (!checked) throw FilterError(name, checked.error().message, filters, "filters." + name);
    }
    // The api_key filter's own keys, so the admin API can revoke them and does not hand their ids out again.
    if (config.environment.keys) {
      if (auto api_key = filters.find("api_key"); api_key != filters.end()) {
        bool enabled = true;
        auto settings = ReadFilterSettings("api_key", WithoutEnabled("api_key", *api_key, enabled));
        for (const auto& key : settings->Objects("keys")) {
          if (auto hash = ParseKeyHash(key.String("sha256"))) configured.emplace_back(key.String("id"), *hash);
        }
        if (settings->Has("keys_file")) {
          configured.clear();  // the file replaces the inline list, as in the filter
          std::ifstream keys_in(settings->String("keys_file"));
          const auto keys_doc = nlohmann::json::parse(keys_in, nullptr, false);
          if (keys_doc.is_object() && keys_doc.contains("keys") && keys_doc["keys"].is_array()) {
            for (const auto& entry : keys_doc["keys"]) {
              if (auto record = ParseApiKeyRecord(entry, "keys_file"))
                configured.emplace_back(record->id, record->sha256);
            }
          }
        }
      }
    }
    if (doc.contains("routes") && !doc["routes"].is_array())
      throw ConfigError("routes", "a list of routes is expected" + Got(doc["routes"]));
    if (!doc.contains("routes") || doc["routes"].empty()) throw ConfigError("routes", "at least one route is needed");
    std::map<std::string, std::shared_ptr<Filter>> kept;
    std::set<std::string> route_names;
    for (size_t i = 0; i < doc["routes"].size(); ++i) {
      const auto& r = doc["routes"][i];
      const std::string path = "routes[" + std::to_string(i) + "]";
      OnlyKeys(r, path, {"name", "path", "type", "upstream", "filters", "signals"});
      Route route;
      route.path = String(r, "path", path);
      if (route.path.empty() || route.path[0] != '/')
        throw ConfigError(path + ".path", "an absolute path is needed (e.g. /v1/chat/completions)");
      {
        // Requests are routed by their normalised path (NormalizeTarget): a route spelt otherwise would
        // never match, or would match less than it says.
        const bool prefix = route.path.back() == '*';
        const std::string probe = prefix ? route.path.substr(0, route.path.size() - 1) + "x" : route.path;
        std::string normalized, why;
        if (probe.find('?') != std::string::npos || !NormalizeTarget(probe, normalized, why) || normalized != probe)
          throw ConfigError(path + ".path",
                            "write the path in normal form: no '//', '.' or '..' segments, escapes, query or "
                            "trailing '/' (requests are matched after they are normalised)" +
                                (why.empty() ? std::string() : ": " + why));
      }
      route.name = String(r, "name", path, route.path);
      if (!route_names.insert(route.name).second)
        throw ConfigError(path + ".name", "two routes are named '" + route.name + "'");
      const std::string type = String(r, "type", path, route.path.rfind("/v1/", 0) == 0 ? "openai" : "json");
      if (type == "openai")
        route.type = RouteType::kOpenAi;
      else if (type == "json")
        route.type = RouteType::kJson;
      else if (type == "raw")
        route.type = RouteType::kRaw;
      else
        throw ConfigError(path + ".type", "openai, json or raw expected");
      route.upstream = String(r, "upstream", path);
      if (!config.upstreams.count(route.upstream))
        throw ConfigError(path + ".upstream", "no upstream named '" + route.upstream + "'");
      if (auto signals = r.find("signals"); signals != r.end()) {
        auto signal_settings = ReadSignalSettings(*signals, path + ".signals");
        if (!signal_settings) {
          // "routes[0].signals.features: message": the key, for its line, and the message.
          const std::string& message = signal_settings.error().message;
          const auto colon = message.find(": ");
          if (colon == std::string::npos) throw ConfigError(path + ".signals", message);
          throw ConfigError(message.substr(0, colon), message.substr(colon + 2));
        }
        route.signals = std::move(*signal_settings);
      }
      const auto names = r.value("filters", nlohmann::json::array());
      if (!names.is_array()) throw ConfigError(path + ".filters", "a list of filter names is expected" + Got(names));
      for (size_t f = 0; f < names.size(); ++f) {
        if (!names[f].is_string())
          throw ConfigError(path + ".filters[" + std::to_string(f) + "]", "a filter name is expected" + Got(names[f]));
        const std::string name = names[f].get<std::string>();
        bool enabled = true;
        const auto settings = WithoutEnabled(name, filters.value(name, nlohmann::json::object()), enabled);
        if (!enabled) continue;
        // Same route, filter and settings as the last load: keep the instance and with it its state.
        const std::string identity = route.name + "\n" + name + "\n" + settings.dump() + "\n" + store_key;
        auto cached = filters_.find(identity);
        std::shared_ptr<Filter> filter;
        if (cached != filters_.end()) {
          filter = cached->second;
        } else {
          auto created = CreateFilter(name, settings, config.environment);
          if (!created)
            throw FilterError(name, created.error().message, filters, path + ".filters[" + std::to_string(f) + "]");
          filter = *created;
        }
        kept[identity] = filter;
        route.filters.push_back(std::move(filter));
      }
      config.routes.push_back(std::move(route));
    }
    filters_ = std::move(kept);

    if (auto audit = doc.find("audit"); audit != doc.end()) {
      OnlyKeys(*audit, "audit", {"jsonl", "log"});
      config.audit_jsonl = String(*audit, "jsonl", "audit");
      config.audit_log = String(*audit, "log", "audit");
    }
    if (auto limits_doc = doc.find("limits"); limits_doc != doc.end()) {
      const std::string p = "limits";
      OnlyKeys(*limits_doc, p,
               {"max_request_bytes", "max_response_bytes", "max_stream_event_bytes", "header_timeout_ms",
                "idle_timeout_ms", "upstream_timeout_ms", "drain_timeout_ms"});
      constexpr int64_t kDay = 86400000;
      config.max_request_bytes =
          static_cast<uint64_t>(Integer(*limits_doc, "max_request_bytes", p, 4 << 20, 1, int64_t{1} << 34));
      config.max_response_bytes =
          static_cast<uint64_t>(Integer(*limits_doc, "max_response_bytes", p, 64 << 20, 1, int64_t{1} << 40));
      config.max_stream_event_bytes =
          static_cast<uint64_t>(Integer(*limits_doc, "max_stream_event_bytes", p, 1 << 20, 64, int64_t{1} << 30));
      config.header_timeout = std::chrono::milliseconds(Integer(*limits_doc, "header_timeout_ms", p, 10000, 1, kDay));
      config.idle_timeout = std::chrono::milliseconds(Integer(*limits_doc, "idle_timeout_ms", p, 60000, 1, kDay));
      config.upstream_timeout =
          std::chrono::milliseconds(Integer(*limits_doc, "upstream_timeout_ms", p, 120000, 1, kDay));
      config.drain_timeout = std::chrono::milliseconds(Integer(*limits_doc, "drain_timeout_ms", p, 30000, 0, kDay));
    }
    if (auto logs = doc.find("logs"); logs != doc.end()) {
      OnlyKeys(*logs, "logs", {"access"});
      config.access_log = Bool(*logs, "access", "logs", false);
    }
  } catch (const ConfigError& e) {
    return MakeError(ErrorCode::kInvalidArgument, where(e.key) + e.what());
  } catch (const nlohmann::json::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, file + ": " + e.what());
  }
  // Only a configuration that loaded whole changes the key store's view of the configured keys.
  if (config.environment.keys) config.environment.keys->SetConfiguredKeys(std::move(configured));
  return config;
}

Result<GatewayConfig> LoadGatewayConfig(const std::string& path) { return ConfigLoader().Load(path); }

}  // namespace modelguard::gateway
