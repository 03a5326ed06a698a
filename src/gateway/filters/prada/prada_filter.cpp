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

struct Settings {
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
std::optional<Rows> ReadRows(const nlohmann::json& json, const Settings& settings) {
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
std::vector<int64_t> ReadClasses(const nlohmann::json& json, const Settings& settings, size_t rows) {
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
  explicit PradaFilter(Settings settings) : settings_(std::move(settings)) {}
  const char* name() const override { return "prada"; }

  std::optional<Answer> OnRequest(RequestContext& request) override {
    const std::string subject = Subject(request);
    auto rows = ReadRows(request.json, settings_);
    std::lock_guard lock(mutex_);
    Client& client = Find(subject);
    if (client.alarmed || client.over_budget) {
      const std::string reason = client.alarmed ? "extraction_suspected" : "query_budget_exceeded";
      if (settings_.action == Action::kBlock) {
        request.verdicts["prada"] = FilterVerdict::Block(reason);
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
          request.verdicts["prada"] = FilterVerdict::Block(reason);
          Answer answer{429, reason, "this key is throttled: its queries look like a model-extraction attack", {}};
          answer.headers["Retry-After"] = "60";
          return answer;
        }
        client.recent.push_back(now);
      }
      request.verdicts["prada"] = FilterVerdict::Flag(reason);
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
      request.verdicts["prada"] = FilterVerdict::Flag("extraction_suspected");
    else if (client.over_budget && !was_over)
      request.verdicts["prada"] = FilterVerdict::Flag("query_budget_exceeded");
    else if (!request.verdicts.count("prada"))
      request.verdicts["prada"] = FilterVerdict::Allow();
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

  const Settings settings_;
  std::mutex mutex_;
  std::unordered_map<std::string, Client> clients_;
  std::list<std::string> order_;
};

}  // namespace

Result<std::shared_ptr<Filter>> CreatePradaFilter(const nlohmann::json& settings, const FilterEnvironment&) {
  Settings s;
  s.prada.delta = settings.value("delta", s.prada.delta);
  s.prada.min_distances = settings.value("min_queries", s.prada.min_distances);
  s.prada.window = settings.value("window", s.prada.window);
  s.prada.max_growing_per_class = settings.value("max_remembered_per_class", s.prada.max_growing_per_class);
  s.throttle_per_minute = settings.value("throttle_per_minute", s.throttle_per_minute);
  s.query_budget = settings.value("query_budget", s.query_budget);
  s.input_field = settings.value("input_field", s.input_field);
  s.output_field = settings.value("output_field", s.output_field);
  s.max_clients = settings.value("max_clients", s.max_clients);
  const std::string action = settings.value("action", "flag");
  if (action == "flag")
    s.action = Action::kFlag;
  else if (action == "throttle")
    s.action = Action::kThrottle;
  else if (action == "block")
    s.action = Action::kBlock;
  else
    return MakeError(ErrorCode::kInvalidArgument, "prada.action must be flag, throttle or block");
  if (!(s.prada.delta > 0 && s.prada.delta < 1))
    return MakeError(ErrorCode::kInvalidArgument, "prada.delta must lie in (0, 1)");
  if (s.prada.min_distances < 20 || s.prada.window < s.prada.min_distances || s.prada.window > 5000) {
    return MakeError(ErrorCode::kInvalidArgument, "prada: need 20 <= min_queries <= window <= 5000");
  }
  if (s.max_clients < 1 || s.throttle_per_minute < 0 || s.query_budget < 0)
    return MakeError(ErrorCode::kInvalidArgument, "prada: limits must be positive");
  return std::shared_ptr<Filter>(std::make_shared<PradaFilter>(std::move(s)));
}

}  // namespace modelguard::gateway
