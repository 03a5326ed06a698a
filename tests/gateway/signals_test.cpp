// The audit event's signals: the multilingual refusal detector (each language, case and apostrophe
// variants, and look-alikes that are no refusal), answer scanning for whole and streamed answers (tokens,
// characters, tool calls, finish reason), classifier answers and features, and the `signals:` settings.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "modelguard/gateway/gateway.h"
#include "src/gateway/audit_event.h"
#include "src/gateway/openai.h"
#include "src/gateway/signals.h"

namespace modelguard::gateway {
namespace {

TEST(RefusalDetector, FindsRefusalsInEveryListedLanguage) {
  for (const char* refusal : {
           "I'm sorry, but I can't help with that.",                                // English
           "I\xE2\x80\x99m sorry, but I CAN\xE2\x80\x99T help with that request.",  // typographic apostrophes
           "As an AI language model, I cannot   write that.",                       // runs of spaces
           "Je suis d\xC3\xA9sol\xC3\xA9, mais je ne peux pas r\xC3\xA9pondre.",    // French
           "JE NE PEUX PAS VOUS AIDER avec cela.",                                  // French, capitals
           "Es tut mir leid, aber ich kann dabei nicht helfen.",                    // German
           "Lo siento, pero no puedo ayudarte con eso.",                            // Spanish
           "Mi dispiace, ma non posso aiutarti con questa richiesta.",              // Italian
           "Desculpe, mas n\xC3\xA3o posso ajudar com isso.",                       // Portuguese
           "N\xC3\x83O POSSO AJUDAR com isso.",                                     // Portuguese, Ã folded
           "Het spijt me, maar ik kan je daar niet mee helpen.",                    // Dutch
           "\xE6\x8A\xB1\xE6\xAD\x89\xEF\xBC\x8C\xE6\x88\x91\xE6\x97\xA0\xE6\xB3\x95\xE5\xB8\xAE\xE5\x8A\xA9"
           "\xE4\xBD\xA0\xE3\x80\x82",  // Chinese: 抱歉，我无法帮助你。
           "\xE7\x94\xB3\xE3\x81\x97\xE8\xA8\xB3\xE3\x81\x82\xE3\x82\x8A\xE3\x81\xBE\xE3\x81\x9B\xE3\x82\x93"
           "\xE3\x81\x8C\xE3\x80\x81\xE3\x81\x8A\xE6\x89\x8B\xE4\xBC\x9D\xE3\x81\x84\xE3\x81\xA7\xE3\x81\x8D"
           "\xE3\x81\xBE\xE3\x81\x9B\xE3\x82\x93\xE3\x80\x82",  // Japanese: 申し訳ありませんが、お手伝いできません。
           "\xD0\x98\xD0\x97\xD0\x92\xD0\x98\xD0\x9D\xD0\x98\xD0\xA2\xD0\x95, \xD0\x9D\xD0\x9E \xD0\xAF "
           "\xD0\x9D\xD0\x95 \xD0\x9C\xD0\x9E\xD0\x93\xD0\xA3 \xD0\xBF\xD0\xBE\xD0\xBC\xD0\xBE\xD1\x87\xD1\x8C",
           // Russian, capitals: ИЗВИНИТЕ, НО Я НЕ МОГУ помочь
       }) {
    EXPECT_TRUE(LooksLikeRefusal(refusal)) << refusal;
  }
}

TEST(RefusalDetector, HelpfulAnswersAreNoRefusals) {
  for (
      const char* answer : {
          "I can help with that! Here is the code.",
          "I can't wait to see what you build.",
          "You cannot help but admire the view.",
          "Sure. The capital of France is Paris.",
          "Je peux vous aider avec plaisir.",
          "Ich kann dir dabei helfen.",
          "Puedo ayudarte con eso.",
          "Posso aiutarti.",
          "Posso ajudar com isso.",
          "Ik kan je daarmee helpen.",
          "\xE6\x88\x91\xE5\x8F\xAF\xE4\xBB\xA5\xE5\xB8\xAE\xE5\x8A\xA9\xE4\xBD\xA0",  // 我可以帮助你
          "\xE3\x81\x8A\xE6\x89\x8B\xE4\xBC\x9D\xE3\x81\x84\xE3\x81\xA7\xE3\x81\x8D\xE3\x81\xBE\xE3\x81\x99",  // お手伝いできます
          "\xD0\xAF \xD0\xBC\xD0\xBE\xD0\xB3\xD1\x83 \xD0\xBF\xD0\xBE\xD0\xBC\xD0\xBE\xD1\x87\xD1\x8C",  // Я могу
                                                                                                         // помочь
          "",
      }) {
    EXPECT_FALSE(LooksLikeRefusal(answer)) << answer;
  }
}

TEST(RefusalDetector, LooksOnlyAtTheAnswersHead) {
  const std::string late = std::string(kRefusalWindow, 'x') + " I can't help with that.";
  EXPECT_FALSE(LooksLikeRefusal(late));
  const std::string early = "I can't help with that." + std::string(1 << 20, 'x');
  EXPECT_TRUE(LooksLikeRefusal(early));
}

TEST(RefusalDetector, PhraseListIsEmbeddedAndFolded) {
  const auto& phrases = RefusalPhrases();
  EXPECT_GT(phrases.size(), 150u);
  for (const auto& phrase : phrases) {
    EXPECT_FALSE(phrase.empty());
    EXPECT_NE(phrase.front(), '#');
    EXPECT_EQ(FoldForRefusal(phrase), phrase) << phrase;  // folding twice changes nothing
  }
  EXPECT_EQ(FoldForRefusal("\xC3\x89T\xC3\x89 \xC3\x97 \xD0\x81\xD0\x96\xD0\xAF"),
            "\xC3\xA9t\xC3\xA9 \xC3\x97 \xD1\x91\xD0\xB6\xD1\x8F");
  EXPECT_EQ(FoldForRefusal("a \t\n b\xE2\x80\x99s\xEF\xBC\x8C"), "a b's,");
  EXPECT_EQ(FoldForRefusal("\xD0"), "\xD0");  // a truncated sequence is kept as it is
}

TEST(AnswerText, CountsCharactersAndKeepsABoundedHead) {
  AnswerText text;
  text.Add("caf\xC3\xA9 ");
  text.Add("\xF0\x9F\x98\x80");
  EXPECT_EQ(text.chars(), 6);
  EXPECT_EQ(text.bytes(), 10u);
  AnswerText longer;
  longer.Add(std::string(5000, 'a'));
  longer.Add("I can't help with that.");  // past the window
  EXPECT_EQ(longer.chars(), 5023);
  EXPECT_FALSE(longer.LooksLikeRefusal());
  AnswerText split;  // a phrase split across stream deltas
  split.Add("I'm sorry, but I ca");
  split.Add("n't do that.");
  EXPECT_TRUE(split.LooksLikeRefusal());
}

TEST(AnswerScan, ReadsUsageTextToolCallsAndFinishReason) {
  const std::string body =
      R"({"id":"x","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant",
    "content":"Checking the weather.","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},
    {"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]}}],
    "usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}})";
  AnswerSignals signals;
  EXPECT_EQ(ScanAnswerBody(body, signals), ScanUsageTotalTokens(body));
  EXPECT_EQ(ScanAnswerBody(body, signals = {}), 18);
  EXPECT_TRUE(signals.seen);
  EXPECT_EQ(signals.prompt_tokens, 11);
  EXPECT_EQ(signals.completion_tokens, 7);
  EXPECT_EQ(signals.tool_calls, 2);
  EXPECT_EQ(signals.finish_reason, "tool_calls");
  EXPECT_EQ(signals.text.chars(), 21);
  EXPECT_FALSE(signals.text.LooksLikeRefusal());

  AnswerSignals refused;
  EXPECT_EQ(
      ScanAnswerBody(R"({"choices":[{"message":{"content":null,"refusal":"no"},"finish_reason":"stop"}]})", refused),
      std::nullopt);
  EXPECT_TRUE(refused.refusal_field);
  EXPECT_EQ(refused.text.chars(), 0);
  AnswerSignals completions;  // legacy completions text, and a hostile finish reason capped
  ScanAnswerBody(R"({"choices":[{"text":"Lo siento, no puedo.","finish_reason":")" + std::string(500, 'z') + "\"}]}",
                 completions);
  EXPECT_EQ(completions.finish_reason, std::string(kMaxCategoryBytes, 'z'));
  EXPECT_TRUE(completions.text.LooksLikeRefusal());
  AnswerSignals broken;
  EXPECT_EQ(ScanAnswerBody("{not json", broken), std::nullopt);
}

TEST(AnswerScan, StreamedEventsCountEachToolCallOnce) {
  AnswerSignals signals;
  const char* events[] = {
      R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"f","arguments":""}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","function":{"name":"g","arguments":""}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"content":"Ich kann dabei "}}]})",
      R"({"choices":[{"index":0,"delta":{"content":"nicht helfen."}}]})",
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
      R"({"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}})",
      R"("not an object")",
  };
  for (const char* event : events) ObserveStreamEvent(nlohmann::json::parse(event), signals);
  EXPECT_EQ(signals.tool_calls, 2);
  EXPECT_EQ(signals.finish_reason, "tool_calls");
  EXPECT_EQ(signals.prompt_tokens, 3);
  EXPECT_EQ(signals.completion_tokens, 4);
  EXPECT_EQ(signals.text.chars(), 28);
  EXPECT_TRUE(signals.text.LooksLikeRefusal());
}

SignalSettings Configured(const nlohmann::json& value) {
  auto settings = ReadSignalSettings(value, "routes[0].signals");
  EXPECT_TRUE(settings.ok()) << settings.error().message;
  return settings.ok() ? *settings : SignalSettings{};
}

TEST(ClassifierSignals, TopProbabilityMarginAndClassPerRow) {
  const SignalSettings settings;
  ClassifierSignals one;
  ASSERT_TRUE(ReadClassifierAnswer(R"({"label":1,"probabilities":[0.25,0.75]})", settings, one));
  EXPECT_FALSE(one.batch);
  EXPECT_EQ(one.rows, 1u);
  EXPECT_EQ(one.predicted_class, std::vector<int64_t>{1});
  EXPECT_EQ(one.top_probability[0], 0.75);
  EXPECT_EQ(one.margin[0], 0.5);

  ClassifierSignals many;
  ASSERT_TRUE(ReadClassifierAnswer(R"({"probabilities":[[0.1,0.2,0.7],[0.6,0.4,0.0],[0.9],"x"]})", settings, many));
  EXPECT_TRUE(many.batch);
  EXPECT_EQ(many.rows, 4u);
  EXPECT_EQ(many.predicted_class, (std::vector<int64_t>{2, 0, 0, -1}));
  EXPECT_DOUBLE_EQ(*many.margin[0], 0.5);
  EXPECT_DOUBLE_EQ(*many.margin[1], 0.2);
  EXPECT_EQ(many.top_probability[2], 0.9);
  EXPECT_EQ(many.margin[2], std::nullopt);  // one class: no margin
  EXPECT_EQ(many.top_probability[3], std::nullopt);

  ClassifierSignals labels;
  ASSERT_TRUE(ReadClassifierAnswer(R"({"labels":[3,1]})", settings, labels));
  EXPECT_EQ(labels.predicted_class, (std::vector<int64_t>{3, 1}));
  EXPECT_EQ(labels.top_probability[0], std::nullopt);

  ClassifierSignals capped;
  nlohmann::json rows = nlohmann::json::array();
  for (int i = 0; i < 1000; ++i) rows.push_back({0.5, 0.5});
  ASSERT_TRUE(ReadClassifierAnswer(nlohmann::json{{"probabilities", rows}}.dump(), settings, capped));
  EXPECT_EQ(capped.rows, 1000u);
  EXPECT_EQ(capped.predicted_class.size(), kMaxSignalRows);

  ClassifierSignals other;
  EXPECT_FALSE(ReadClassifierAnswer(R"({"answer":"text"})", settings, other));
  EXPECT_FALSE(ReadClassifierAnswer("[1,2]", settings, other));
  ClassifierSignals named;  // the configured output field
  ASSERT_TRUE(ReadClassifierAnswer(R"({"scores":[0.9,0.1]})", Configured({{"output_field", "scores"}}), named));
  EXPECT_EQ(named.predicted_class, std::vector<int64_t>{0});
}

// The answer as a document, the way the rules read: the reference the event reader must agree with.
ClassifierSignals ReferenceAnswer(const nlohmann::json& json, const std::string& field, bool& read) {
  ClassifierSignals out;
  read = false;
  if (!json.is_object()) return out;
  const auto argmax = [&](const nlohmann::json& row) {
    int64_t best = -1;
    double top = -INFINITY, second = -INFINITY;
    size_t numbers = 0;
    for (size_t i = 0; row.is_array() && i < row.size(); ++i) {
      if (!row[i].is_number()) continue;
      ++numbers;
      const double v = row[i].get<double>();
      if (v > top) {
        second = top;
        top = v;
        best = static_cast<int64_t>(i);
      } else if (v > second) {
        second = v;
      }
    }
    out.predicted_class.push_back(best);
    out.top_probability.push_back(numbers ? std::optional<double>(top) : std::nullopt);
    out.margin.push_back(numbers >= 2 ? std::optional<double>(top - second) : std::nullopt);
  };
  read = true;
  if (auto it = json.find(field); it != json.end() && it->is_array() && !it->empty()) {
    const bool single = (*it)[0].is_number();
    out.batch = !single;
    out.rows = single ? 1 : it->size();
    if (single) {
      argmax(*it);
    } else {
      for (size_t r = 0; r < it->size() && r < kMaxSignalRows; ++r) argmax((*it)[r]);
    }
    return out;
  }
  for (const char* name : {"labels", "label"}) {
    auto it = json.find(name);
    if (it == json.end()) continue;
    const auto label = [](const nlohmann::json& v) { return v.is_number_integer() ? v.get<int64_t>() : -1; };
    out.batch = it->is_array();
    out.rows = out.batch ? it->size() : 1;
    if (out.batch) {
      for (size_t r = 0; r < it->size() && r < kMaxSignalRows; ++r) out.predicted_class.push_back(label((*it)[r]));
    } else {
      out.predicted_class.push_back(label(*it));
    }
    out.top_probability.assign(out.predicted_class.size(), std::nullopt);
    out.margin.assign(out.predicted_class.size(), std::nullopt);
    return out;
  }
  read = false;
  return ClassifierSignals{};
}

TEST(ClassifierSignals, EventReaderAgreesWithTheDocument) {
  std::string many_rows = "{\"probabilities\":[";
  for (int i = 0; i < 100; ++i)
    many_rows += std::string(i ? "," : "") + "[" + std::to_string(i % 7) + ",3,{\"x\":[9]}]";
  many_rows += "]}";
  for (const std::string& body : std::vector<std::string>{
           R"({"probabilities":[0.1,[0.9],0.3,"a",0.2]})",
           R"({"probabilities":[[0.1,[0.9],0.3],{"a":1},null,[],[1,1]]})",
           R"({"probabilities":[0.1,0.9],"probabilities":[[0.3,0.7]]})",  // the last duplicate counts
           R"({"probabilities":[],"labels":[1,"x",2.5,-4]})",
           R"({"probabilities":"none","label":7,"labels":null})",
           R"({"label":7})",
           R"({"label":18446744073709551615})",
           R"({"labels":[3],"labels":5})",
           R"({"other":[0.5,0.5],"nested":{"probabilities":[1,2]}})",
           R"([{"probabilities":[1,2]}])",
           R"({"probabilities":[1,2]} trailing)",
           R"({"probabilities":[1e308,-1e308,0]})",
           many_rows,
       }) {
    const auto document = nlohmann::json::parse(body, nullptr, false);
    bool expected_read = false;
    const ClassifierSignals expected = ReferenceAnswer(document, "probabilities", expected_read);
    ClassifierSignals got;
    EXPECT_EQ(ReadClassifierAnswer(body, SignalSettings{}, got), expected_read) << body;
    EXPECT_EQ(got.rows, expected.rows) << body;
    EXPECT_EQ(got.batch, expected.batch) << body;
    EXPECT_EQ(got.predicted_class, expected.predicted_class) << body;
    EXPECT_EQ(got.top_probability, expected.top_probability) << body;
    EXPECT_EQ(got.margin, expected.margin) << body;
  }
}

TEST(ClassifierSignals, FeaturesOnlyWhenConfigured) {
  const std::string body = R"({"inputs":[1.5,-2,"text",4]})";
  ClassifierSignals none;
  ReadClassifierFeatures(nullptr, body, SignalSettings{}, none);
  EXPECT_TRUE(none.features.empty());

  ClassifierSignals picked;
  ReadClassifierFeatures(nullptr, body, Configured({{"features", {0, "2", 9}}}), picked);
  ASSERT_EQ(picked.features.size(), 1u);
  EXPECT_FALSE(picked.features_batch);
  using Row = std::vector<std::pair<std::string, std::optional<double>>>;
  EXPECT_EQ(picked.features[0], (Row{{"0", 1.5}, {"2", std::nullopt}, {"9", std::nullopt}}));  // text: null

  ClassifierSignals all;
  ReadClassifierFeatures(nlohmann::json::parse(R"({"inputs":[[1,2,3],[4,5,6]]})"), "",
                         Configured({{"features", {"all"}}, {"max_features", 2}}), all);
  EXPECT_TRUE(all.features_batch);
  EXPECT_EQ(all.features, (std::vector<Row>{{{"0", 1}, {"1", 2}}, {{"0", 4}, {"1", 5}}}));

  ClassifierSignals named;
  ReadClassifierFeatures(nullptr, R"({"rows":{"age":41,"income":1e5}})",
                         Configured({{"features", {"income", "height"}}, {"input_field", "rows"}}), named);
  EXPECT_EQ(named.features[0], (Row{{"income", 1e5}, {"height", std::nullopt}}));
}

TEST(SignalSettingsReader, DefaultsAndRefusals) {
  const SignalSettings defaults = Configured(nullptr);
  EXPECT_TRUE(defaults.enabled);
  EXPECT_TRUE(defaults.features.empty());
  EXPECT_FALSE(defaults.all_features);
  EXPECT_EQ(defaults.max_features, 64u);
  EXPECT_FALSE(Configured({{"enabled", false}}).enabled);
  for (const auto& [value, message] : std::vector<std::pair<nlohmann::json, std::string>>{
           {{{"enable", true}}, "routes[0].signals.enable: unknown key"},
           {{{"enabled", "yes"}}, "routes[0].signals.enabled:"},
           {{{"features", {"all", "a"}}}, "routes[0].signals.features: `all`"},
           {{{"features", {-1}}}, "routes[0].signals.features"},
           {{{"features", {"a", "b", "c"}}, {"max_features", 2}}, "more features than max_features"},
           {{{"max_features", 100000}}, "routes[0].signals.max_features"},
           {"on", "routes[0].signals: a mapping"},
       }) {
    auto read = ReadSignalSettings(value, "routes[0].signals");
    ASSERT_FALSE(read.ok()) << value.dump();
    EXPECT_NE(read.error().message.find(message), std::string::npos) << read.error().message;
  }
}

TEST(SignalSettingsReader, ConfigurationNamesTheLineOfABadKey) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("mg-signals-" + std::to_string(::getpid()) + ".yaml")).string();
  {
    std::ofstream out(path);
    out << "upstreams: {model: \"127.0.0.1:9\"}\nroutes:\n  - path: /predict\n    upstream: model\n    signals:\n"
           "      features: [0, 3]\n      sample: 1\n";
  }
  auto config = LoadGatewayConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.error().message.find(":7: routes[0].signals.sample: unknown key"), std::string::npos)
      << config.error().message;
  {
    std::ofstream out(path);
    out << "upstreams: {model: \"127.0.0.1:9\"}\nroutes:\n  - path: /predict\n    upstream: model\n    signals:\n"
           "      features: [0, 3]\n  - path: /v1/chat/completions\n    upstream: model\n";
  }
  config = LoadGatewayConfig(path);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->routes[0].signals.features, (std::vector<std::string>{"0", "3"}));
  EXPECT_TRUE(config->routes[1].signals.enabled);
  EXPECT_TRUE(config->routes[1].signals.features.empty());
  std::filesystem::remove(path);
}

// docs/gateway.md shows the settings table the schema generates, between these markers.
TEST(SignalSettingsReader, DocsShowTheSchemasTable) {
  std::stringstream text;
  text << std::ifstream(std::filesystem::path(MODELGUARD_SOURCE_DIR) / "docs/gateway.md").rdbuf();
  const std::string doc = text.str();
  const std::string begin = "<!-- signals-settings:begin";
  const auto at = doc.find(begin);
  ASSERT_NE(at, std::string::npos);
  const auto body = doc.find('\n', at) + 1;
  const auto end = doc.find("<!-- signals-settings:end -->", body);
  ASSERT_NE(end, std::string::npos);
  const std::string expected = SettingsTableMarkdown(SignalSettingsSchema());
  if (const char* update = std::getenv("MODELGUARD_UPDATE_DOCS"); update && std::string(update) == "1") {
    std::string updated = doc;
    updated.replace(body, end - body, expected);
    std::ofstream(std::filesystem::path(MODELGUARD_SOURCE_DIR) / "docs/gateway.md") << updated;
    return;
  }
  EXPECT_EQ(doc.substr(body, end - body), expected) << "run this test with MODELGUARD_UPDATE_DOCS=1";
}

}  // namespace
}  // namespace modelguard::gateway
