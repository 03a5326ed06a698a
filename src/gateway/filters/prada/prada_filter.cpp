#include "src/gateway/filters/prada/prada_filter.h"

#include <chrono>
#include <cmath>
#include <deque>
#include <list>
#include <mutex>
#include <unordered_map>

#include "modelguard/defenses/prada.h"

namespace modelguard::gateway {
namespace {

using Clock = std::chrono::steady_clock;

enum class Action { kFlag, kThrottle, kBlock };

struct Options {
  defenses::PradaOptions prada;
  Action action = Action::kFlag;
  int throttle_per_minute = 10;
  int64_t query_budget = 0;  // samples per key; 0 = none
  std::string input_field = "inputs";
  std::string output_field = "probabilities";
  size_t max_clients = 10000;
  size_t max_rows = 1024;         // per request
  size_t max_features = 1 << 16;  // per row
};

struct Client {
  explicit Client(const defenses::PradaOptions& options) : detector(options) {}
  defenses::PradaDetector detector;
  int64_t samples = 0;
  bool alarmed = false;
  bool over_budget = false;
  std::deque<Clock::time_point> recent;  // throttle window
  std::list<std::string>::iterator lru;
};

using Rows = std::vector<std::vector<double>>;

// "inputs": one row of numbers, or a list of rows. Anything else is not a classifier query (nullopt).
std::optional<Rows> ReadRows(const nlohmann::json& json, const Options& settings) {
  if (!json.is_object()) return std::nullopt;
  auto it = json.find(settings.input_field);
  if (it == json.end() || !it->is_array() || it->empty()) return std::nullopt;
  Rows rows;
  auto read_row = [&](const nlohmann::json& row) -> bool {
    if (!row.is_array() || row.size() > settings.max_features) return false;
    std::vector<double> values;
    values.reserve(row.size());
    for (const auto& v : row) {
      if (!v.is_number()) return false;
      values.push_back(v.get<double>());
    }
    rows.push_back(std::move(values));
    return true;
  };
  if ((*it)[0].is_number()) {
    if (!read_row(*it)) return std::nullopt;
    return rows;
  }
  if (it->size() > settings.max_rows) return std::nullopt;
  for (const auto& row : *it) {
    if (!read_row(row)) return std::nullopt;
  }
  return rows;
}

// Predicted class per row from the answer: argmax of "probabilities" rows, or "labels"/"label".
std::vector<int64_t> ReadClasses(const nlohmann::json& json, const Options& settings, size_t rows) {
  std::vector<int64_t> classes;
  if (!json.is_object()) return classes;
  auto argmax = [](const nlohmann::json& row) -> int64_t {
    int64_t best = -1;
    double value = -INFINITY;
    for (size_t i = 0; i < row.size(); ++i) {
      if (row[i].is_number() && row[i].get<double>() > value)
        value = row[i].get<double>(), best = static_cast<int64_t>(i);
    }
    return best;
  };
  if (auto it = json.find(settings.output_field); it != json.end() && it->is_array() && !it->empty()) {
    if ((*it)[0].is_number() && rows == 1) return {argmax(*it)};
    for (const auto& row : *it) classes.push_back(row.is_array() ? argmax(row) : -1);
    return classes;
  }
  for (const char* name : {"labels", "label"}) {
    auto it = json.find(name);
    if (it == json.end()) continue;
    if (it->is_number_integer()) return {it->get<int64_t>()};
    if (it->is_array()) {
      for (const auto& v : *it) classes.push_back(v.is_number_integer() ? v.get<int64_t>() : -1);
    }
    return classes;
  }
  return classes;
}

class PradaFilter final : public Filter {
 public:
  explicit PradaFilter(Options settings) : settings_(std::move(settings)) {}
  const char* name() const override { return "prada"; }

  std::optional<Answer> OnRequest(RequestContext& request) override {
    const std::string subject = Subject(request);
    auto rows = ReadRows(request.json, settings_);
    std::lock_guard lock(mutex_);
    Client& client = Find(subject);
    if (client.alarmed || client.over_budget) {
      const std::string reason = client.alarmed ? "extraction_suspected" : "query_budget_exceeded";
      if (settings_.action == Action::kBlock) {
        request.verdicts["prada"] = "block:" + reason;
        return Answer{403,
                      reason,
                      client.alarmed ? "this key's queries look like a model-extraction attack"
                                     : "this key's query budget is spent",
                      {}};
      }
      if (settings_.action == Action::kThrottle) {
        const auto now = Clock::now();
        while (!client.recent.empty() && now - client.recent.front() > std::chrono::minutes(1))
          client.recent.pop_front();
        if (static_cast<int>(client.recent.size()) >= settings_.throttle_per_minute) {
          request.verdicts["prada"] = "block:" + reason;
          Answer answer{429, reason, "this key is throttled: its queries look like a model-extraction attack", {}};
          answer.headers["Retry-After"] = "60";
          return answer;
        }
        client.recent.push_back(now);
      }
      request.verdicts["prada"] = "flag:" + reason;
    }
    if (rows) request.filter_state["prada"] = std::make_shared<Rows>(std::move(*rows));
    return std::nullopt;
  }

  void OnResponse(RequestContext& request, ResponseContext& response) override {
    auto it = request.filter_state.find("prada");
    if (it == request.filter_state.end() || response.status >= 300 || response.streamed) return;
    const auto& rows = *static_cast<Rows*>(it->second.get());
    const auto json = nlohmann::json::parse(response.body, nullptr, false);
    const auto classes = ReadClasses(json, settings_, rows.size());
    if (classes.size() != rows.size()) return;  // not an answer we understand: nothing to learn
    std::lock_guard lock(mutex_);
    Client& client = Find(Subject(request));
    const bool was_alarmed = client.alarmed, was_over = client.over_budget;
    for (size_t i = 0; i < rows.size(); ++i) {
      if (client.detector.Observe(rows[i], classes[i]).alarm) client.alarmed = true;
    }
    client.samples += static_cast<int64_t>(rows.size());
    if (settings_.query_budget > 0 && client.samples > settings_.query_budget) client.over_budget = true;
    if (client.alarmed && !was_alarmed)
      request.verdicts["prada"] = "flag:extraction_suspected";
    else if (client.over_budget && !was_over)
      request.verdicts["prada"] = "flag:query_budget_exceeded";
    else if (!request.verdicts.count("prada"))
      request.verdicts["prada"] = "allow";
  }

 private:
  static std::string Subject(const RequestContext& request) {
    return request.key_id.empty() ? "route:" + request.route : "key:" + request.key_id;
  }

  // Least recently seen clients are forgotten beyond max_clients: memory stays bounded whatever the
  // number of keys.
  Client& Find(const std::string& subject) {
    auto it = clients_.find(subject);
    if (it != clients_.end()) {
      order_.splice(order_.begin(), order_, it->second.lru);
      return it->second;
    }
    if (clients_.size() >= settings_.max_clients) {
      clients_.erase(order_.back());
      order_.pop_back();
    }
    order_.push_front(subject);
    auto [inserted, ok] = clients_.emplace(subject, Client(settings_.prada));
    inserted->second.lru = order_.begin();
    return inserted->second;
  }

  const Options settings_;
  std::mutex mutex_;
  std::unordered_map<std::string, Client> clients_;
  std::list<std::string> order_;
};

Result<std::shared_ptr<Filter>> Create(const Settings& settings, const FilterEnvironment&) {
  Options s;
  s.prada.delta = settings.Number("delta");
  s.prada.min_distances = static_cast<size_t>(settings.Integer("min_queries"));
  s.prada.window = static_cast<size_t>(settings.Integer("window"));
  s.prada.max_growing_per_class = static_cast<size_t>(settings.Integer("max_remembered_per_class"));
  s.throttle_per_minute = static_cast<int>(settings.Integer("throttle_per_minute"));
  s.query_budget = settings.Integer("query_budget");
  s.input_field = settings.String("input_field");
  s.output_field = settings.String("output_field");
  s.max_clients = static_cast<size_t>(settings.Integer("max_clients"));
  const std::string action = settings.String("action");
  s.action = action == "block" ? Action::kBlock : action == "throttle" ? Action::kThrottle : Action::kFlag;
  if (!(s.prada.delta > 0 && s.prada.delta < 1)) return settings.Invalid("delta", "must lie in (0, 1)");
  if (s.prada.window < s.prada.min_distances) return settings.Invalid("window", "must be at least min_queries");
  return std::shared_ptr<Filter>(std::make_shared<PradaFilter>(std::move(s)));
}

}  // namespace

const FilterDescriptor& PradaFilterDescriptor() {
  static const FilterDescriptor descriptor{
      "prada",
      "Model-extraction detection on classifier routes (PRADA, Juuti et al. 2019) per API key, with a query "
      "budget; list it before `output_hardening`.",
      {
          {.key = "delta",
           .type = SettingType::kNumber,
           .doc = "alarm when the Shapiro-Wilk W of the minimum distances falls below it; in (0, 1)",
           .default_value = 0.95,
           .min = 0,
           .max = 1},
          {.key = "min_queries",
           .type = SettingType::kInteger,
           .doc = "distances recorded before any verdict",
           .default_value = 100,
           .min = 20,
           .max = 5000},
          {.key = "window",
           .type = SettingType::kInteger,
           .doc = "W over this many recent distances (at least min_queries)",
           .default_value = 500,
           .min = 20,
           .max = 5000},
          {.key = "max_remembered_per_class",
           .type = SettingType::kInteger,
           .doc = "queries remembered per class and key (oldest dropped)",
           .default_value = 4096,
           .min = 1},
          {.key = "action",
           .type = SettingType::kString,
           .doc = "after an alarm: verdict only, 429 beyond throttle_per_minute, or 403 for the key's requests",
           .default_value = "flag",
           .allowed = {"flag", "throttle", "block"}},
          {.key = "throttle_per_minute",
           .type = SettingType::kInteger,
           .doc = "requests per minute a throttled key keeps",
           .default_value = 10,
           .min = 0},
          {.key = "query_budget",
           .type = SettingType::kInteger,
           .doc = "samples per key before a second alarm; 0: none",
           .default_value = 0,
           .min = 0},
          {"input_field", SettingType::kString, "the request's field with one row or a list of rows", "inputs"},
          {"output_field", SettingType::kString, "the answer's scores (argmax is the class), else `labels`",
           "probabilities"},
          {.key = "max_clients",
           .type = SettingType::kInteger,
           .doc = "keys remembered (least recently seen forgotten)",
           .default_value = 10000,
           .min = 1},
      },
      Create};
  return descriptor;
}

}  // namespace modelguard::gateway
