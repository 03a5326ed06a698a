// The green-list watermark against the authors' scheme run with torch (reference.py), the paper's z-score,
// false positives on unwatermarked sequences, robustness to substituted tokens, and locating spans.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <random>

#include "modelguard/watermark/watermark.h"
#include "test_support.h"

namespace modelguard::watermark {
namespace {

// A sequence generated with the watermark here: random logits, delta added to the green ones, sampled.
std::vector<uint64_t> Generate(GreenLists& lists, double delta, size_t length, std::mt19937_64& rng) {
  const size_t vocab = lists.scheme().vocab_size;
  std::normal_distribution<float> normal;
  std::vector<float> logits(vocab);
  std::vector<double> weights(vocab);
  std::vector<uint64_t> tokens{rng() % vocab};
  while (tokens.size() < length) {
    for (float& l : logits) l = normal(rng);
    EXPECT_TRUE(BiasLogits(lists, tokens.back(), delta, logits));
    for (size_t t = 0; t < vocab; ++t) weights[t] = std::exp(static_cast<double>(logits[t]));
    tokens.push_back(std::discrete_distribution<uint64_t>(weights.begin(), weights.end())(rng));
  }
  return tokens;
}

std::vector<uint64_t> Uniform(size_t vocab, size_t length, std::mt19937_64& rng) {
  std::vector<uint64_t> tokens(length);
  for (auto& t : tokens) t = rng() % vocab;
  return tokens;
}

TEST(Watermark, GreenListsAreTheReferenceImplementationsOnTorch) {
  struct Case {
    uint64_t vocab_size;
    double gamma;
    uint64_t key;
    uint64_t previous;
  };
  // Small and GPT-2-sized vocabularies; keys whose product with the token passes 2^32 (torch keeps the low
  // 32 bits for its Mersenne Twister); gammas whose product with the size is not whole.
  const std::vector<Case> cases = {{1, 0.9, kReferenceHashKey, 0},
                                   {10, 0.5, kReferenceHashKey, 7},
                                   {1000, 0.25, kReferenceHashKey, 0},
                                   {1000, 0.25, kReferenceHashKey, 999},
                                   {1001, 0.33, 7, 5},
                                   {50257, 0.25, kReferenceHashKey, 50256},
                                   {50257, 0.5, kReferenceHashKey, 198},
                                   {32000, 0.1, 1234567891, 31999}};
  nlohmann::json request{
      {"green_lists", nlohmann::json::array()},
      {"generate",
       {{"seed", 1}, {"sequences", 0}, {"length", 0}, {"vocab_size", 1}, {"gamma", 0.5}, {"delta", 0}, {"key", 1}}}};
  for (const Case& c : cases)
    request["green_lists"].push_back(
        {{"vocab_size", c.vocab_size}, {"gamma", c.gamma}, {"key", c.key}, {"previous", c.previous}});
  const auto reference = testing::RunPythonReference("tests/watermark/reference.py", request);
  ASSERT_EQ(reference["green_lists"].size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const Scheme scheme{cases[i].vocab_size, cases[i].gamma, cases[i].key};
    const auto expected = reference["green_lists"][i].get<std::vector<uint32_t>>();
    EXPECT_EQ(GreenList(scheme, cases[i].previous), expected) << "case " << i;
    EXPECT_EQ(GreenListSize(scheme), expected.size());
    GreenLists lists(scheme);
    std::vector<bool> green(scheme.vocab_size);
    for (uint32_t t : expected) green[t] = true;
    for (uint64_t t = 0; t < scheme.vocab_size; ++t) ASSERT_EQ(lists.IsGreen(cases[i].previous, t), green[t]);
  }
}

TEST(Watermark, FollowingOneTokenAgreesWithTheWholeSplit) {
  // The first question about a previous token follows the token through the shuffle; later ones read the
  // kept split. Both must say the same for every token.
  for (const Scheme scheme : {Scheme{1000, 0.25, kReferenceHashKey}, Scheme{257, 0.5, 3}, Scheme{2, 0.5, 1}}) {
    for (uint64_t previous : {0u, 1u, 77u}) {
      std::vector<bool> green(scheme.vocab_size);
      for (uint32_t t : GreenList(scheme, previous)) green[t] = true;
      for (uint64_t t = 0; t < scheme.vocab_size; ++t) {
        GreenLists fresh(scheme);
        ASSERT_EQ(fresh.IsGreen(previous, t), green[t]) << scheme.vocab_size << " " << previous << " " << t;
      }
    }
  }
}

TEST(Watermark, TextsWatermarkedByTheReferenceSchemeAreDetected) {
  const Scheme scheme{1000, 0.25, kReferenceHashKey};
  const nlohmann::json request{{"green_lists", nlohmann::json::array()},
                               {"generate",
                                {{"seed", 2023},
                                 {"sequences", 6},
                                 {"length", 101},
                                 {"vocab_size", scheme.vocab_size},
                                 {"gamma", scheme.gamma},
                                 {"delta", 2.0},
                                 {"key", scheme.hash_key}}}};
  const auto reference = testing::RunPythonReference("tests/watermark/reference.py", request);
  ASSERT_EQ(reference["generated"].size(), 6u);
  GreenLists lists(scheme);
  for (const auto& sequence : reference["generated"]) {
    const auto tokens = sequence["tokens"].get<std::vector<uint64_t>>();
    const auto detection = Detect(lists, tokens, {});
    ASSERT_TRUE(detection) << detection.error().message;
    EXPECT_EQ(detection->scored, 100u);  // T >= 100 scored tokens
    EXPECT_EQ(detection->green, sequence["green"].get<uint64_t>());
    EXPECT_NEAR(detection->z, sequence["z"].get<double>(), 1e-12);
    EXPECT_GT(detection->z, 4.0);
    EXPECT_TRUE(detection->watermarked);
  }
}

TEST(Watermark, ZScoreOfThePaper) {
  // gamma 0.25, T = 200 scored tokens, 100 of them green: z = 50 / sqrt(37.5) = 8.1650.
  EXPECT_NEAR(ZScore(100, 200, 0.25), 8.1650, 5e-5);
  EXPECT_NEAR(PValue(8.1650), 1.6e-16, 0.1e-16);  // scipy.stats.norm.sf(8.165) = 1.6052e-16
  EXPECT_NEAR(PValue(0), 0.5, 1e-15);
  EXPECT_EQ(ZScore(0, 0, 0.25), 0.0);
}

TEST(Watermark, UnwatermarkedSequencesStayBelowTheThresholdAtTheExpectedRate) {
  // 10,000 sequences of 200 uniformly random tokens: z should be standard normal, and z > 4 has
  // probability 3.2e-5 (0.32 expected); more than 3 happens with probability 4e-4.
  GreenLists lists(Scheme{1000, 0.25, kReferenceHashKey});
  std::mt19937_64 rng(41);
  constexpr int kTrials = 10000;
  int above = 0;
  double sum = 0, squares = 0;
  for (int i = 0; i < kTrials; ++i) {
    const auto detection = Detect(lists, Uniform(1000, 201, rng), {.window = 0});
    ASSERT_TRUE(detection);
    above += detection->watermarked ? 1 : 0;
    sum += detection->z;
    squares += detection->z * detection->z;
  }
  const double mean = sum / kTrials, sd = std::sqrt(squares / kTrials - mean * mean);
  std::cout << "unwatermarked: " << above << " of " << kTrials << " above z 4; z mean " << mean << ", sd " << sd
            << "\n";
  EXPECT_LE(above, 3);
  EXPECT_LT(std::fabs(mean), 0.05);  // standard error 0.01
  EXPECT_NEAR(sd, 1.0, 0.05);
}

TEST(Watermark, SubstitutedTokensLowerButDoNotEraseDetection) {
  // Paraphrase-like damage: a share of the tokens replaced by random ones. Each replacement unscores its own
  // position and the next (whose green list it seeds), so 20 % replaced changes about 36 % of the scores.
  const Scheme scheme{1000, 0.25, kReferenceHashKey};
  GreenLists lists(scheme);
  std::mt19937_64 rng(7);
  std::vector<std::vector<uint64_t>> texts;
  for (int i = 0; i < 60; ++i) texts.push_back(Generate(lists, 2.0, 201, rng));
  double previous_mean = INFINITY;
  for (double share : {0.0, 0.1, 0.2, 0.3, 0.5}) {
    double z_sum = 0;
    int detected = 0;
    for (const auto& text : texts) {
      auto damaged = text;
      for (auto& t : damaged)
        if (std::uniform_real_distribution<double>(0, 1)(rng) < share) t = rng() % scheme.vocab_size;
      const auto detection = Detect(lists, damaged, {});
      ASSERT_TRUE(detection);
      z_sum += detection->z;
      detected += detection->watermarked ? 1 : 0;
    }
    const double mean = z_sum / static_cast<double>(texts.size());
    std::cout << "substituted " << share * 100 << " %: mean z " << mean << ", detected " << detected << " of "
              << texts.size() << "\n";
    EXPECT_LT(mean, previous_mean);
    previous_mean = mean;
    if (share <= 0.2) {
      EXPECT_GE(detected, 57) << share;  // 95 %
    }
  }
}

TEST(Watermark, WindowsLocateTheWatermarkedSpanInMixedText) {
  const Scheme scheme{1000, 0.25, kReferenceHashKey};
  GreenLists lists(scheme);
  std::mt19937_64 rng(11);
  auto text = Uniform(1000, 150, rng);
  const auto marked = Generate(lists, 3.0, 200, rng);
  text.insert(text.end(), marked.begin(), marked.end());
  const auto tail = Uniform(1000, 150, rng);
  text.insert(text.end(), tail.begin(), tail.end());
  const auto detection = Detect(lists, text, {.window = 50});
  ASSERT_TRUE(detection);
  ASSERT_EQ(detection->spans.size(), 1u);
  const Span& span = detection->spans.front();
  std::cout << "span " << span.begin << " to " << span.end << ", z " << span.z << "\n";
  EXPECT_NEAR(static_cast<double>(span.begin), 150.0, 40.0);
  EXPECT_NEAR(static_cast<double>(span.end), 350.0, 40.0);
  EXPECT_GT(span.z, detection->z);
  // Windows: the last one ends at the last token.
  EXPECT_EQ(detection->windows.back().end, text.size());
}

TEST(Watermark, BadSchemesTokensAndLogitsAreErrors) {
  EXPECT_FALSE(Check(Scheme{0, 0.25, 1}));
  EXPECT_FALSE(Check(Scheme{kMaxVocabulary + 1, 0.25, 1}));
  EXPECT_FALSE(Check(Scheme{100, 0, 1}));
  EXPECT_FALSE(Check(Scheme{100, 1, 1}));
  EXPECT_FALSE(Check(Scheme{100, NAN, 1}));
  EXPECT_FALSE(Check(Scheme{3, 0.25, 1}));  // no token green
  EXPECT_FALSE(Check(Scheme{100, 0.25, 0}));
  GreenLists lists(Scheme{100, 0.25, kReferenceHashKey});
  std::vector<float> logits(99);
  EXPECT_FALSE(BiasLogits(lists, 1, 2.0, logits));
  logits.resize(100);
  EXPECT_FALSE(BiasLogits(lists, 1, INFINITY, logits));
  const std::vector<uint64_t> outside = {1, 2, 100};
  const auto refused = Detect(lists, outside, {});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("token 2 is 100"), std::string::npos) << refused.error().message;
  // Nothing to score: one token or none.
  const std::vector<uint64_t> one = {5};
  const auto single = Detect(lists, one, {});
  ASSERT_TRUE(single);
  EXPECT_EQ(single->scored, 0u);
  EXPECT_FALSE(single->watermarked);
}

TEST(Watermark, RepeatedBigramsCanBeScoredOnce) {
  GreenLists lists(Scheme{1000, 0.25, kReferenceHashKey});
  std::vector<uint64_t> tokens;
  for (int i = 0; i < 100; ++i) tokens.insert(tokens.end(), {3, 4});
  const auto all = Detect(lists, tokens, {});
  const auto once = Detect(lists, tokens, {.ignore_repeated_bigrams = true});
  ASSERT_TRUE(all && once);
  EXPECT_EQ(all->scored, 199u);
  EXPECT_EQ(once->scored, 2u);  // (3, 4) and (4, 3)
}

TEST(WatermarkTokens, JsonJsonLinesAndPlainNumbers) {
  auto one = ParseTokenSequences(" [1, 2,3]\n");
  ASSERT_TRUE(one);
  EXPECT_EQ(*one, (std::vector<std::vector<uint64_t>>{{1, 2, 3}}));
  auto lines = ParseTokenSequences("[1]\n[]\n\n[4294967295, 0]\n");
  ASSERT_TRUE(lines);
  EXPECT_EQ(*lines, (std::vector<std::vector<uint64_t>>{{1}, {}, {4294967295u, 0}}));
  auto plain = ParseTokenSequences("7 8,9\n10");
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, (std::vector<std::vector<uint64_t>>{{7, 8, 9, 10}}));
  for (const char* bad : {"", "  \n", "[1, 2", "[1,]", "[1] [2]", "[4294967296]", "[01]", "[-1]", "[1.5]", "1 2 x",
                          "[\"1\"]", "1e3", "[1]\n2"}) {
    const auto parsed = ParseTokenSequences(bad);
    EXPECT_FALSE(parsed) << "'" << bad << "'";
  }
}

}  // namespace
}  // namespace modelguard::watermark
