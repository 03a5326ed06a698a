// The classifier-route defences in isolation: output_hardening rewriting answers and refusing
// logit_bias+logprobs, and prada alarming on a synthetic query stream for one key but not another.
#include <gtest/gtest.h>

#include <random>

#include "modelguard/gateway/filter.h"
#include "modelguard/gateway/limits.h"

namespace modelguard::gateway {
namespace {

RequestContext Request(const std::string& body, const std::string& key = "") {
  RequestContext r;
  r.route = "predict";
  r.body = body;
  r.json = nlohmann::json::parse(body, nullptr, false);
  r.key_id = key;
  return r;
}

std::shared_ptr<Filter> Make(const std::string& name, const nlohmann::json& settings) {
  auto filter = CreateFilter(name, settings, FilterEnvironment{MakeMemoryLimitStore(), nullptr, false});
  EXPECT_TRUE(filter.ok()) << (filter.ok() ? "" : filter.error().message);
  return filter.ok() ? *filter : nullptr;
}

ResponseContext Answer200(const nlohmann::json& body) {
  ResponseContext r;
  r.status = 200;
  r.body = body.dump();
  return r;
}

TEST(OutputHardeningFilter, RewritesProbabilitiesPerMode) {
  const nlohmann::json answer{{"probabilities", {{0.1, 0.7, 0.2}, {0.5, 0.2, 0.3}}}, {"model", "m"}};
  {
    auto filter = Make("output_hardening", {{"mode", "label"}});
    auto request = Request("{}");
    auto response = Answer200(answer);
    filter->OnResponse(request, response);
    const auto out = nlohmann::json::parse(response.body);
    EXPECT_FALSE(out.contains("probabilities"));
    EXPECT_EQ(out["labels"], nlohmann::json({1, 0}));
    EXPECT_EQ(out["model"], "m");
    EXPECT_EQ(request.verdicts["output_hardening"], "modify:label");
  }
  {
    auto filter = Make("output_hardening", {{"mode", "top-1"}});
    auto request = Request("{}");
    auto response = Answer200(answer);
    filter->OnResponse(request, response);
    EXPECT_EQ(nlohmann::json::parse(response.body)["probabilities"],
              nlohmann::json({{0.0, 0.7, 0.0}, {0.5, 0.0, 0.0}}));
  }
  {
    auto filter = Make("output_hardening", {{"mode", "round-1"}});
    auto request = Request("{}");
    auto response = Answer200(nlohmann::json{{"probabilities", {0.123, 0.877}}});
    filter->OnResponse(request, response);
    EXPECT_EQ(nlohmann::json::parse(response.body)["probabilities"], nlohmann::json({0.1, 0.9}));
  }
  {
    // Errors and answers without scores pass untouched.
    auto filter = Make("output_hardening", {{"mode", "label"}});
    auto request = Request("{}");
    ResponseContext error;
    error.status = 500;
    error.body = R"({"probabilities":[[0.2,0.8]]})";
    filter->OnResponse(request, error);
    EXPECT_EQ(error.body, R"({"probabilities":[[0.2,0.8]]})");
    auto text = Answer200(nlohmann::json{{"probabilities", "none"}});
    const std::string before = text.body;
    filter->OnResponse(request, text);
    EXPECT_EQ(text.body, before);
  }
  EXPECT_FALSE(
      CreateFilter("output_hardening", {{"mode", "top-0"}}, FilterEnvironment{MakeMemoryLimitStore(), nullptr, false})
          .ok());
}

TEST(OutputHardeningFilter, RefusesLogitBiasWithLogprobsAndCapsTopLogprobs) {
  auto filter = Make("output_hardening", {{"max_top_logprobs", 2}});
  auto both = Request(R"({"model":"m","logprobs":true,"top_logprobs":1,"logit_bias":{"123":100}})");
  auto refused = filter->OnRequest(both);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 400u);
  EXPECT_EQ(refused->error_type, "logit_bias_with_logprobs");
  auto bias_only = Request(R"({"model":"m","logit_bias":{"123":5}})");
  EXPECT_FALSE(filter->OnRequest(bias_only).has_value());
  auto many = Request(R"({"model":"m","logprobs":true,"top_logprobs":20})");
  EXPECT_FALSE(filter->OnRequest(many).has_value());
  EXPECT_TRUE(many.body_changed);
  EXPECT_EQ(nlohmann::json::parse(many.body)["top_logprobs"], 2);
}

TEST(PradaFilter, AlarmsOnSyntheticStreamPerKeyAndBlocksAfterwards) {
  auto filter = Make("prada", {{"action", "block"}, {"min_queries", 50}});
  std::mt19937_64 random(9);
  std::normal_distribution<double> noise(0, 1);
  auto query = [&](const std::string& key, const std::vector<double>& x, int cls) {
    auto request = Request(nlohmann::json{{"inputs", {x}}}.dump(), key);
    auto refused = filter->OnRequest(request);
    if (refused) return std::optional<unsigned>(refused->status);
    std::vector<double> p(4, 0.1);
    p[static_cast<size_t>(cls)] = 0.7;
    auto response = Answer200(nlohmann::json{{"probabilities", {p}}});
    filter->OnResponse(request, response);
    return std::optional<unsigned>();
  };
  // Natural queries for key "benign": scattered around four class centres.
  std::vector<std::vector<double>> centres(4, std::vector<double>(8));
  for (auto& c : centres)
    for (double& v : c) v = 4 * noise(random);
  for (int i = 0; i < 300; ++i) {
    std::vector<double> x(8);
    for (size_t d = 0; d < x.size(); ++d) x[d] = centres[static_cast<size_t>(i % 4)][d] + noise(random);
    EXPECT_FALSE(query("benign", x, i % 4).has_value()) << "benign key refused at query " << i;
  }
  // Synthetic steps from earlier queries for key "attacker".
  std::vector<std::vector<double>> seen{centres[0], centres[1], centres[2], centres[3]};
  int refused_at = -1;
  for (int i = 0; i < 400 && refused_at < 0; ++i) {
    auto x = seen[std::uniform_int_distribution<size_t>(0, seen.size() - 1)(random)];
    for (double& v : x) v += noise(random) > 0 ? 0.05 : -0.05;
    seen.push_back(x);
    if (auto status = query("attacker", x, i % 4)) {
      EXPECT_EQ(*status, 403u);
      refused_at = i;
    }
  }
  EXPECT_GT(refused_at, 0);
  EXPECT_LT(refused_at, 300);
  // The benign key is unaffected by the other key's alarm.
  std::vector<double> x(8);
  for (size_t d = 0; d < x.size(); ++d) x[d] = centres[0][d] + noise(random);
  EXPECT_FALSE(query("benign", x, 0).has_value());
}

TEST(PradaFilter, QueryBudgetAndBadSettings) {
  auto filter = Make("prada", {{"action", "block"}, {"query_budget", 3}});
  for (int i = 0; i < 4; ++i) {
    auto request = Request(R"({"inputs":[[1,2],[3,4]]})", "k");
    auto refused = filter->OnRequest(request);
    if (i < 2) {
      ASSERT_FALSE(refused.has_value()) << i;
      auto response = Answer200(nlohmann::json{{"labels", {0, 1}}});
      filter->OnResponse(request, response);
    } else {
      ASSERT_TRUE(refused.has_value()) << i;
      EXPECT_EQ(refused->error_type, "query_budget_exceeded");
    }
  }
  // Malformed inputs are not classifier queries: passed on, nothing recorded.
  auto odd = Request(R"({"inputs":"text"})", "k2");
  EXPECT_FALSE(filter->OnRequest(odd).has_value());
  EXPECT_EQ(odd.filter_state.count("prada"), 0u);
  const FilterEnvironment env{MakeMemoryLimitStore(), nullptr, false};
  EXPECT_FALSE(CreateFilter("prada", {{"action", "explode"}}, env).ok());
  EXPECT_FALSE(CreateFilter("prada", {{"delta", 1.5}}, env).ok());
  EXPECT_FALSE(CreateFilter("prada", {{"min_queries", 5}}, env).ok());
}

}  // namespace
}  // namespace modelguard::gateway
