// PII and credential recognisers: positives with their validators, and the look-alikes they must reject.
#include <gtest/gtest.h>

#include "modelguard/guard/pattern_set.h"
#include "src/guard/entities/entity_scanner.h"

namespace modelguard::guard {
namespace {

enum class Rules { kPii, kSecrets };

// One compiled scanner per rule table and test process (compiling is the slow part under ASan).
const EntityScanner& Scanner(Rules rules) {
  static const auto compile = [](std::vector<EntityRule> table) {
    auto scanner = EntityScanner::Create(std::move(table));
    EXPECT_TRUE(scanner.ok()) << (scanner.ok() ? "" : scanner.error().message);
    return *scanner;
  };
  if (rules == Rules::kPii) {
    static const auto pii = compile(PiiRules());
    return *pii;
  }
  static const auto secrets = compile(SecretRules());
  return *secrets;
}

std::vector<std::string> Found(Rules rules, const std::string& text, double min_confidence = 0.5) {
  std::vector<std::string> out;
  for (const auto& e : Scanner(rules).Scan(text, min_confidence))
    out.push_back(e.rule->entity + "=" + text.substr(e.begin, e.end - e.begin));
  return out;
}

using V = std::vector<std::string>;

TEST(GuardPii, EmailsPhonesAndAddresses) {
  EXPECT_EQ(Found(Rules::kPii, "write to jane.doe+news@example.co.uk today"), V{"EMAIL=jane.doe+news@example.co.uk"});
  EXPECT_EQ(Found(Rules::kPii, "call +44 20 7946 0958 or (555) 123-4567"),
            (V{"PHONE=+44 20 7946 0958", "PHONE=(555) 123-4567"}));
  EXPECT_EQ(Found(Rules::kPii, "She lives at 221 Baker Street, London"), V{"ADDRESS=221 Baker Street"});
}

TEST(GuardPii, CreditCardsNeedLuhn) {
  EXPECT_EQ(Found(Rules::kPii, "card 4111 1111 1111 1111 exp 12/29"), V{"CREDIT_CARD=4111 1111 1111 1111"});
  EXPECT_EQ(Found(Rules::kPii, "amex 3782-822463-10005"), V{"CREDIT_CARD=3782-822463-10005"});
  EXPECT_TRUE(Found(Rules::kPii, "order 4111 1111 1111 1112 shipped").empty());  // Luhn fails
  EXPECT_TRUE(Found(Rules::kPii, "tracking 1234567890123456").empty());          // not an issuer range + Luhn
}

TEST(GuardPii, IbanNeedsMod97AndCountryLength) {
  EXPECT_EQ(Found(Rules::kPii, "IBAN: DE89 3704 0044 0532 0130 00 thanks"), V{"IBAN=DE89 3704 0044 0532 0130 00"});
  EXPECT_EQ(Found(Rules::kPii, "pay GB82WEST12345698765432"), V{"IBAN=GB82WEST12345698765432"});
  EXPECT_TRUE(Found(Rules::kPii, "pay GB82WEST12345698765433").empty());  // check digits wrong
}

TEST(GuardPii, SsnRulesAndContext) {
  EXPECT_EQ(Found(Rules::kPii, "SSN 123-45-6789"), V{"US_SSN=123-45-6789"});
  EXPECT_TRUE(Found(Rules::kPii, "id 666-45-6789 and 900-12-3456 and 123-00-4567").empty());  // never issued
  EXPECT_EQ(Found(Rules::kPii, "my social security number is 123456789"), V{"US_SSN=123456789"});
  EXPECT_TRUE(Found(Rules::kPii, "invoice number 123456789").empty());  // bare 9 digits need context
}

TEST(GuardPii, IpAddressesAndDatesOfBirth) {
  EXPECT_EQ(Found(Rules::kPii, "server at 192.168.1.100 and 2001:db8::8a2e:370:7334"),
            (V{"IP_ADDRESS=192.168.1.100", "IP_ADDRESS=2001:db8::8a2e:370:7334"}));
  EXPECT_TRUE(Found(Rules::kPii, "version 1.2.3.4.5 and 999.1.1.1 at 12:30:45").empty());
  EXPECT_EQ(Found(Rules::kPii, "born on 14/07/1989 in Lyon"), V{"DATE_OF_BIRTH=14/07/1989"});
  EXPECT_EQ(Found(Rules::kPii, "Date of birth: March 3, 1975"), V{"DATE_OF_BIRTH=March 3, 1975"});
  EXPECT_TRUE(Found(Rules::kPii, "the meeting moved to 14/07/2024").empty());  // a date without birth context
}

TEST(GuardSecrets, DocumentedPrefixFormats) {
  // Synthetic values in each issuer's documented shape (none of them is a live credential).
  EXPECT_EQ(Found(Rules::kSecrets, "aws_access_key_id = AKIAIOSFODNN7EXAMPLE"),
            V{"AWS_ACCESS_KEY=AKIAIOSFODNN7EXAMPLE"});
  EXPECT_EQ(Found(Rules::kSecrets, "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            V{"AWS_SECRET_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"});
  EXPECT_EQ(Found(Rules::kSecrets, "token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"),
            V{"GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"});
  EXPECT_EQ(Found(Rules::kSecrets, "glpat-Ab3dEf6hIj9kLm2nOp5q"), V{"GITLAB_TOKEN=glpat-Ab3dEf6hIj9kLm2nOp5q"});
  EXPECT_EQ(Found(Rules::kSecrets, "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx").size(), 1u);
  EXPECT_EQ(Found(Rules::kSecrets, "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
            V{"STRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc"});
  EXPECT_EQ(Found(Rules::kSecrets, "key=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"),
            V{"GOOGLE_API_KEY=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"});
  EXPECT_EQ(Found(Rules::kSecrets, "OPENAI_API_KEY=sk-proj-Ab12Cd34Ef56Gh78Ij90KlT3BlbkFJMn12Op34Qr56St78Uv90").size(),
            1u);
  EXPECT_EQ(Found(Rules::kSecrets, "HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"),
            V{"HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"});
  EXPECT_EQ(Found(Rules::kSecrets, "gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOp"),
            V{"GROQ_KEY=gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOp"});
  // A name made of words is not a token.
  EXPECT_TRUE(Found(Rules::kSecrets, "from huggingface_hub import hf_hub_download").empty());
  EXPECT_EQ(Found(Rules::kSecrets, "postgres://app:S3cr3tPa55@db.internal:5432/prod"),
            V{"CONNECTION_PASSWORD=S3cr3tPa55"});
}

TEST(GuardSecrets, PrivateKeyBlockIsCoveredToItsEnd) {
  const std::string pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234\nabcd\n-----END RSA PRIVATE KEY-----";
  const auto found = Found(Rules::kSecrets, "key:\n" + pem + "\nbye");
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0], "PRIVATE_KEY=" + pem);
}

TEST(GuardSecrets, JwtNeedsAJsonHeader) {
  const std::string jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
  EXPECT_EQ(Found(Rules::kSecrets, "Authorization: Bearer " + jwt), V{"JWT=" + jwt});
  EXPECT_TRUE(Found(Rules::kSecrets, "eyJub3Rqc29uIGF0IGFsbA.eyJzdWIiOiIxMjM0NTY3ODkwIn0.abcdefghijkl").empty());
}

TEST(GuardSecrets, GenericAssignmentsNeedEntropy) {
  EXPECT_EQ(Found(Rules::kSecrets, "api_key: \"q8Zx2LmN4vB7tR1wK9pE3sD6\""), V{"SECRET=q8Zx2LmN4vB7tR1wK9pE3sD6"});
  EXPECT_TRUE(Found(Rules::kSecrets, "password = aaaaaaaaaaaaaaaaaaaa").empty());
  EXPECT_TRUE(Found(Rules::kSecrets, "the token expired yesterday; please reset your password").empty());
  EXPECT_TRUE(Found(Rules::kSecrets, "postgres://user:${DB_PASSWORD}@db/prod").empty());
}

TEST(GuardEntities, HostileInputStaysBounded) {
  std::string many;
  for (int i = 0; i < 20000; ++i) many += "a@b.cc ";
  EXPECT_LE(Found(Rules::kPii, many).size(), kMaxMatchesPerScan);
  EXPECT_NO_FATAL_FAILURE(Found(Rules::kPii, std::string("\xFF\xFE\x00\x80 4111 1111 1111 1111", 25)));
}

}  // namespace
}  // namespace modelguard::guard

namespace modelguard::guard {
namespace {

TEST(GuardPatternSet, LeftmostLongestNonOverlappingWithExactStarts) {
  auto set = PatternSet::Compile({{"ab+", false}, {"b", false}}, false, true);
  ASSERT_TRUE(set.ok()) << set.error().message;
  const auto matches = (*set)->Scan("xabbb ab");
  ASSERT_EQ(matches.size(), 6u);  // "abbb" and "ab" for pattern 0; each b for pattern 1
  EXPECT_EQ(matches[0].pattern, 0u);
  EXPECT_EQ(matches[0].begin, 1u);
  EXPECT_EQ(matches[0].end, 5u);
}

TEST(GuardPatternSet, TooLargeForExactStartsIsAnErrorNotAGuess) {
  const std::vector<PatternSpec> heavy = {{"\\bmachiavellian\\b.{0,80}\\b(unfiltered|amoral)\\b", false}};
  auto exact = PatternSet::Compile(heavy, false, true);
  auto approximate = PatternSet::Compile(heavy, false, false);
  if (!exact.ok()) {
    EXPECT_NE(exact.error().message.find("too large"), std::string::npos) << exact.error().message;
  }
  ASSERT_TRUE(approximate.ok()) << approximate.error().message;
  const auto matches = (*approximate)->Scan(std::string(200, 'x') + " machiavellian and amoral");
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_LE(matches[0].end - matches[0].begin, kApproximateMatchSpan);
}

TEST(GuardPatternSet, RefusesBrokenPatternsWithTheirIndex) {
  auto set = PatternSet::Compile({{"fine", false}, {"(broken", false}}, false, true);
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.error().message.find("pattern 1"), std::string::npos) << set.error().message;
}

}  // namespace
}  // namespace modelguard::guard
