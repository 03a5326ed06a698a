// Credential recognisers by the prefixes and shapes their issuers document: AWS access key ids (AKIA/ASIA...),
// GitHub tokens (ghp_/gho_/ghu_/ghs_/ghr_, github_pat_), GitLab personal tokens (glpat-), Slack tokens
// (xoxb-/xoxp-/... and hooks.slack.com webhooks), Stripe keys (sk_live_/rk_live_/..._test_), Google API keys
// (AIza), OpenAI (sk-..., sk-proj-...), Anthropic (sk-ant-...), Hugging Face (hf_...) and Groq (gsk_...) keys, Azure
// storage connection strings and Entra client secrets ("Q~" marker), PEM private-key blocks, JWTs, credentials inside
// connection URLs, and high-entropy values assigned to names like "api_key" or "password".
#include <cctype>
#include <nlohmann/json.hpp>

#include "modelguard/core/bytes.h"
#include "src/guard/detector.h"
#include "src/guard/entities/entity_scanner.h"
#include "src/guard/normalize/normalize.h"

namespace modelguard::guard {
namespace {

// A JWT's first segment is a JSON header naming its algorithm.
bool ValidJwt(std::string_view text, size_t& begin, size_t& end) {
  const std::string_view token = text.substr(begin, end - begin);
  const auto header = nlohmann::json::parse(Base64DecodeLenient(token.substr(0, token.find('.'))), nullptr, false);
  return header.is_object() && header.contains("alg");
}

// PEM blocks extend to their END line (bounded), so redaction removes the whole key.
bool ExtendPrivateKey(std::string_view text, size_t& begin, size_t& end) {
  constexpr size_t kMaxPemBytes = 16384;
  const size_t limit = std::min(text.size(), begin + kMaxPemBytes);
  const size_t footer = text.substr(0, limit).find("-----END", end);
  if (footer != std::string_view::npos) {
    const size_t close = text.substr(0, limit).find("-----", footer + 8);
    end = close == std::string_view::npos ? limit : close + 5;
  }
  return true;
}

// "api_key = 'A1b2...'": keep the value only, and only when it looks random.
bool HighEntropyValue(std::string_view text, size_t& begin, size_t& end) {
  size_t i = begin;
  while (i < end && text[i] != ':' && text[i] != '=') ++i;
  while (i < end && (text[i] == ':' || text[i] == '=' || text[i] == ' ' || text[i] == '"' || text[i] == '\'')) ++i;
  size_t j = end;
  while (j > i && (text[j - 1] == '"' || text[j - 1] == '\'')) --j;
  const std::string_view value = text.substr(i, j - i);
  if (value.size() < 16) return false;
  bool lower = false, upper = false, digit = false;
  for (unsigned char c : value) {
    lower = lower || std::islower(c);
    upper = upper || std::isupper(c);
    digit = digit || std::isdigit(c);
  }
  if (static_cast<int>(lower) + static_cast<int>(upper) + static_cast<int>(digit) < 2) return false;
  if (ShannonEntropy(value) < 3.5) return false;
  begin = i;
  end = j;
  return true;
}

// Connection URLs: the password between ':' and '@' is the secret; the rest stays readable.
bool UrlPassword(std::string_view text, size_t& begin, size_t& end) {
  const std::string_view url = text.substr(begin, end - begin);
  const size_t scheme = url.find("://");
  const size_t at = url.rfind('@');
  if (scheme == std::string_view::npos || at == std::string_view::npos) return false;
  const size_t colon = url.find(':', scheme + 3);
  if (colon == std::string_view::npos || colon > at) return false;
  const std::string_view password = url.substr(colon + 1, at - colon - 1);
  if (password.empty() || password == "password" || password.front() == '$' || password.front() == '{' ||
      password.front() == '<')
    return false;
  end = begin + at;
  begin = begin + colon + 1;
  return true;
}

bool AwsSecretValue(std::string_view text, size_t& begin, size_t& end) {
  // The 40-character value at the end of the match.
  if (end - begin < 40) return false;
  begin = end - 40;
  return ShannonEntropy(text.substr(begin, 40)) >= 3.5;
}

}  // namespace

std::vector<EntityRule> SecretRules() {
  std::vector<EntityRule> rules;
  auto add = [&](EntityRule rule) {
    rule.category = "secret";
    rules.push_back(std::move(rule));
  };
  add(MakeRule("secret.aws_access_key_id", "", "AWS_ACCESS_KEY",
               R"((AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z2-7]{16})", false, 0.95, 0.99,
               {"aws", "access"}, nullptr));
  add(MakeRule("secret.aws_secret_access_key", "", "AWS_SECRET_KEY",
               R"(aws[A-Za-z_\-]*(secret|private)[A-Za-z_\-"']*[:=][ "']*[A-Za-z0-9/+]{40})", true, 0.95, 0.95, {},
               AwsSecretValue));
  add(MakeRule("secret.github_token", "", "GITHUB_TOKEN", R"(gh[pousr]_[A-Za-z0-9]{36,})", false, 0.98, 0.99, {},
               nullptr));
  add(MakeRule("secret.github_token", "", "GITHUB_TOKEN", R"(github_pat_[A-Za-z0-9_]{80,})", false, 0.98, 0.99, {},
               nullptr));
  add(MakeRule("secret.gitlab_token", "", "GITLAB_TOKEN", R"(gl(pat|dt|ptt|rt)-[A-Za-z0-9_\-]{20,})", false, 0.95, 0.99,
               {}, nullptr));
  add(MakeRule("secret.slack_token", "", "SLACK_TOKEN", R"(xox[abposr]-[A-Za-z0-9\-]{10,})", false, 0.95, 0.99, {},
               nullptr));
  add(MakeRule("secret.slack_webhook", "", "SLACK_WEBHOOK",
               R"(https://hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,})", false, 0.95, 0.99,
               {}, nullptr));
  add(MakeRule("secret.stripe_key", "", "STRIPE_KEY", R"((sk|rk)_(live|test)_[A-Za-z0-9]{20,})", false, 0.95, 0.99, {},
               nullptr));
  add(MakeRule("secret.google_api_key", "", "GOOGLE_API_KEY", R"(AIza[0-9A-Za-z_\-]{35})", false, 0.95, 0.99, {},
               nullptr));
  add(MakeRule("secret.gcp_service_account", "", "GCP_SERVICE_ACCOUNT", R"("type" ?: ?"service_account")", false, 0.8,
               0.9, {"private_key", "client_email"}, nullptr));
  add(MakeRule("secret.openai_key", "", "OPENAI_KEY", R"(sk-[A-Za-z0-9_\-]{20,}T3BlbkFJ[A-Za-z0-9_\-]{20,})", false,
               0.98, 0.99, {}, nullptr));
  add(MakeRule("secret.openai_key", "", "OPENAI_KEY", R"(sk-[A-Za-z0-9]{48})", false, 0.85, 0.95, {"openai", "api"},
               nullptr));
  add(MakeRule("secret.anthropic_key", "", "ANTHROPIC_KEY", R"(sk-ant-(api|admin)\d\d-[A-Za-z0-9_\-]{80,})", false,
               0.98, 0.99, {}, nullptr));
  add(MakeRule("secret.huggingface_token", "", "HF_TOKEN", R"(hf_[A-Za-z0-9]{34,40})", false, 0.9, 0.97,
               {"huggingface", "hf_token", "token"}, nullptr));
  add(MakeRule("secret.groq_key", "", "GROQ_KEY", R"(gsk_[A-Za-z0-9]{52})", false, 0.95, 0.99, {}, nullptr));
  add(MakeRule("secret.azure_storage_key", "", "AZURE_STORAGE_KEY", R"(AccountKey=[A-Za-z0-9+/]{40,}={0,2})", false,
               0.95, 0.99, {}, nullptr));
  add(MakeRule("secret.azure_client_secret", "", "AZURE_CLIENT_SECRET",
               R"([A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34})", false, 0.9, 0.97,
               {"azure", "client_secret", "secret"}, nullptr));
  add(MakeRule("secret.private_key", "", "PRIVATE_KEY", R"(-----BEGIN ([A-Z]{2,10} ){0,2}PRIVATE KEY( BLOCK)?-----)",
               false, 0.99, 0.99, {}, ExtendPrivateKey));
  add(MakeRule("secret.jwt", "", "JWT", R"(eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,})", false,
               0.9, 0.95, {"bearer", "token", "authorization", "jwt"}, ValidJwt));
  add(MakeRule(
      "secret.connection_string", "", "CONNECTION_PASSWORD",
      R"((postgres(ql)?|mysql|mariadb|mongodb(\+srv)?|redis|rediss|amqps?|mssql|sqlserver|ftp|smtp)://[^\s:/@]+:[^\s@/]+@[^\s/]+)",
      true, 0.9, 0.95, {}, UrlPassword));
  add(MakeRule("secret.modelguard_key", "", "MODELGUARD_KEY", R"(mg-[A-Za-z0-9_\-]{43})", false, 0.9, 0.95, {},
               nullptr));
  {
    EntityRule generic = MakeRule(
        "secret.generic_assignment", "", "SECRET",
        R"((api[_\-]?key|apikey|secret|token|passw(or)?d|pwd|auth|credential|access[_\-]?key)[A-Za-z_\-]*["']?\s*[:=]\s*["']?[A-Za-z0-9_\-/+=.~]{16,}["']?)",
        true, 0.75, 0.75, {}, HighEntropyValue);
    generic.word_boundaries = false;
    add(std::move(generic));
  }
  return rules;
}

}  // namespace modelguard::guard

namespace modelguard::guard {

DetectorEntry SecretDetectorEntry() {
  DetectorInfo info;
  info.name = "secret";
  info.folder = "secrets";
  info.summary =
      "credentials by the prefixes and shapes their issuers document, PEM private keys, JWTs, passwords in URLs "
      "and high-entropy values assigned to secret-looking names; flagged";
  info.categories = {"secret"};
  info.labels = EntityLabels(SecretRules());
  info.option = "secrets";
  info.entities = true;
  return DetectorEntry{std::move(info), [](const GuardOptions& o) { return o.secrets; },
                       [](const DetectorContext&) -> Result<std::unique_ptr<const Detector>> {
                         MG_ASSIGN_OR_RETURN_CONTEXT(
                             auto made, MakeEntityDetector(SecretRules(), "secret", Verdict::kFlag), "secret rules: ");
                         return made;
                       }};
}

}  // namespace modelguard::guard
