// PII recognisers: candidates by pattern, confirmed by the checks the numbering schemes define.
// Sources of the facts used: ISO/IEC 7812 (Luhn check digit), ISO 13616 / SWIFT IBAN registry (mod-97 and
// per-country lengths), US SSA (SSN areas 000, 666 and 900–999 and group 00 / serial 0000 are never issued),
// ITU-T E.164 (at most 15 digits).
#include <arpa/inet.h>

#include <cctype>
#include <map>

#include "src/guard/detector.h"
#include "src/guard/entities/entity_scanner.h"

namespace modelguard::guard {
namespace {

std::string Digits(std::string_view s) {
  std::string digits;
  for (char c : s) {
    if (std::isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
  }
  return digits;
}

bool Luhn(const std::string& digits) {
  int sum = 0;
  bool twice = false;
  for (size_t i = digits.size(); i-- > 0;) {
    int d = digits[i] - '0';
    if (twice) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    twice = !twice;
  }
  return sum % 10 == 0;
}

bool ValidCard(std::string_view text, size_t& begin, size_t& end) {
  const std::string_view candidate = text.substr(begin, end - begin);
  const std::string digits = Digits(candidate);
  if (digits.size() < 13 || digits.size() > 19) return false;
  if (digits[0] < '2' || digits[0] > '6') return false;  // issuer ranges of the card networks
  // One kind of separator, used consistently ("4111 1111 1111 1111", "4111-1111-...").
  bool space = false, dash = false;
  for (char c : candidate) {
    space = space || c == ' ';
    dash = dash || c == '-';
  }
  if (space && dash) return false;
  if (digits.find_first_not_of(digits[0]) == std::string::npos) return false;
  return Luhn(digits);
}

const std::map<std::string, size_t>& IbanLengths() {
  static const std::map<std::string, size_t> lengths = {
      {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22}, {"BH", 22},
      {"BR", 29}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24}, {"DE", 22}, {"DK", 18}, {"DO", 28}, {"EE", 20},
      {"EG", 29}, {"ES", 24}, {"FI", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18},
      {"GR", 27}, {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IS", 26}, {"IT", 27}, {"JO", 30},
      {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LI", 21}, {"LT", 20}, {"LU", 20}, {"LV", 21}, {"MC", 27}, {"MD", 24},
      {"ME", 22}, {"MK", 19}, {"MR", 27}, {"MT", 31}, {"MU", 30}, {"NL", 18}, {"NO", 15}, {"PK", 24}, {"PL", 28},
      {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"SA", 24}, {"SE", 24}, {"SI", 19}, {"SK", 24},
      {"SM", 27}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VG", 24}, {"XK", 20}};
  return lengths;
}

bool ValidIban(std::string_view text, size_t& begin, size_t& end) {
  std::string compact;
  for (size_t i = begin; i < end; ++i) {
    if (text[i] != ' ') compact.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(text[i]))));
  }
  auto length = IbanLengths().find(compact.substr(0, 2));
  if (length == IbanLengths().end()) return false;
  if (compact.size() < length->second) return false;
  if (compact.size() > length->second) {
    // The pattern may have run into the next word; keep exactly the country's length.
    size_t kept = 0, i = begin;
    for (; i < end && kept < length->second; ++i) {
      if (text[i] != ' ') ++kept;
    }
    end = i;
    compact.resize(length->second);
  }
  const std::string rotated = compact.substr(4) + compact.substr(0, 4);
  int remainder = 0;
  for (char c : rotated) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if (c >= 'A' && c <= 'Z') {
      const int value = c - 'A' + 10;
      remainder = (remainder * 100 + value) % 97;
    } else {
      return false;
    }
  }
  return remainder == 1;
}

bool ValidSsn(std::string_view text, size_t& begin, size_t& end) {
  const std::string digits = Digits(text.substr(begin, end - begin));
  if (digits.size() != 9) return false;
  const int area = std::stoi(digits.substr(0, 3));
  const int group = std::stoi(digits.substr(3, 2));
  const int serial = std::stoi(digits.substr(5, 4));
  return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

bool ValidPhone(std::string_view text, size_t& begin, size_t& end) {
  const std::string digits = Digits(text.substr(begin, end - begin));
  if (digits.size() < 7 || digits.size() > 15) return false;
  return digits.find_first_not_of(digits[0]) != std::string::npos;
}

bool ValidIpv4(std::string_view text, size_t& begin, size_t& end) {
  std::string candidate(text.substr(begin, end - begin));
  // "1.2.3.4.5" is a version string, not an address.
  if (end < text.size() && text[end] == '.' && end + 1 < text.size() &&
      std::isdigit(static_cast<unsigned char>(text[end + 1])))
    return false;
  if (begin > 0 && text[begin - 1] == '.') return false;
  in_addr address{};
  return inet_pton(AF_INET, candidate.c_str(), &address) == 1;
}

bool ValidIpv6(std::string_view text, size_t& begin, size_t& end) {
  std::string candidate(text.substr(begin, end - begin));
  if (std::count(candidate.begin(), candidate.end(), ':') < 2) return false;
  size_t hex = 0;
  for (char c : candidate) hex += std::isxdigit(static_cast<unsigned char>(c)) ? 1 : 0;
  if (hex < 3) return false;
  in6_addr address{};
  return inet_pton(AF_INET6, candidate.c_str(), &address) == 1;
}

// RFC 5321 limits: local part up to 64 octets, domain labels up to 63.
bool ValidEmail(std::string_view text, size_t& begin, size_t& end) {
  while (begin < end && (text[begin] == '.' || text[begin] == '-')) ++begin;
  const std::string_view candidate = text.substr(begin, end - begin);
  const size_t at = candidate.find('@');
  if (at == std::string_view::npos || at == 0 || at > 64 || candidate[at - 1] == '.') return false;
  size_t label = 0;
  for (size_t i = at + 1; i < candidate.size(); ++i) {
    label = candidate[i] == '.' ? 0 : label + 1;
    if (label > 63) return false;
  }
  return true;
}

bool ValidDate(std::string_view text, size_t& begin, size_t& end) {
  // Numeric forms: day and month within range whichever order is used.
  const std::string_view candidate = text.substr(begin, end - begin);
  std::vector<int> numbers;
  int current = -1;
  for (char c : candidate) {
    if (std::isdigit(static_cast<unsigned char>(c))) {
      current = (current < 0 ? 0 : current * 10) + (c - '0');
    } else if (current >= 0) {
      numbers.push_back(current);
      current = -1;
    }
  }
  if (current >= 0) numbers.push_back(current);
  if (numbers.size() == 3) {
    const bool iso = numbers[0] > 31;
    const int a = iso ? numbers[1] : numbers[0];
    const int b = iso ? numbers[2] : numbers[1];
    return a >= 1 && b >= 1 && ((a <= 12 && b <= 31) || (a <= 31 && b <= 12));
  }
  return numbers.size() == 2 && numbers[0] >= 1 && numbers[0] <= 31;  // "12 March 1980"
}

}  // namespace

std::vector<EntityRule> PiiRules() {
  std::vector<EntityRule> rules;
  auto add = [&](EntityRule rule) { rules.push_back(std::move(rule)); };
  add(MakeRule("pii.email", "pii", "EMAIL", R"([a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,24})", true, 0.9,
               0.95, {"email", "e-mail", "mail", "contact"}, ValidEmail));
  add(MakeRule("pii.credit_card", "pii", "CREDIT_CARD", R"([2-6]\d{3}([ \-]?\d{2,6}){2,5})", false, 0.85, 0.98,
               {"card", "visa", "mastercard", "amex", "credit", "payment", "cc"}, ValidCard));
  add(MakeRule("pii.iban", "pii", "IBAN", R"([a-z]{2}\d{2}( ?[a-z0-9]){11,30})", true, 0.9, 0.98,
               {"iban", "account", "bank", "transfer"}, ValidIban));
  add(MakeRule("pii.us_ssn", "pii", "US_SSN", R"(\d{3}-\d{2}-\d{4})", false, 0.6, 0.95,
               {"ssn", "social security", "social-security"}, ValidSsn));
  {
    EntityRule bare =
        MakeRule("pii.us_ssn", "pii", "US_SSN", R"(\d{9})", false, 0.0, 0.85, {"ssn", "social security"}, ValidSsn);
    bare.needs_context = true;
    add(std::move(bare));
  }
  add(MakeRule("pii.phone", "pii", "PHONE", R"(\+\d{1,3}[ .\-]?(\(\d{1,4}\)[ .\-]?)?\d{1,4}([ .\-]?\d{2,4}){1,4})",
               false, 0.7, 0.9, {"phone", "tel", "call", "mobile", "cell", "fax", "whatsapp", "sms"}, ValidPhone));
  add(MakeRule("pii.phone", "pii", "PHONE", R"((\(\d{3}\) ?|\d{3}[ .\-])\d{3}[ .\-]\d{4})", false, 0.6, 0.9,
               {"phone", "tel", "call", "mobile", "cell", "fax", "whatsapp", "sms"}, ValidPhone));
  {
    EntityRule national =
        MakeRule("pii.phone", "pii", "PHONE", R"(0\d{1,4}[ /\-]\d{3,4}[ \-]?\d{2,5})", false, 0.0, 0.8,
                 {"phone", "tel", "call", "mobile", "cell", "fax", "telefon", "handy", "telephone"}, ValidPhone);
    national.needs_context = true;
    add(std::move(national));
  }
  add(MakeRule("pii.ipv4", "pii", "IP_ADDRESS", R"(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})", false, 0.6, 0.85,
               {"ip", "address", "host", "server", "client"}, ValidIpv4));
  add(MakeRule("pii.ipv6", "pii", "IP_ADDRESS", R"([0-9a-f]{0,4}(:[0-9a-f]{0,4}){2,7})", true, 0.6, 0.85,
               {"ip", "address", "host", "ipv6"}, ValidIpv6));
  {
    const std::vector<std::string> birth = {"born",    "birth",      "dob",       "d.o.b", "birthday",
                                            "geboren", "nacimiento", "naissance", "age"};
    EntityRule numeric = MakeRule("pii.date_of_birth", "pii", "DATE_OF_BIRTH",
                                  R"(\d{1,2}[/.\-]\d{1,2}[/.\-](19|20)\d{2}|(19|20)\d{2}-\d{2}-\d{2})", false, 0.0,
                                  0.85, birth, ValidDate);
    numeric.needs_context = true;
    add(numeric);
    EntityRule words = MakeRule(
        "pii.date_of_birth", "pii", "DATE_OF_BIRTH",
        R"(\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6},? (19|20)\d{2}|(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6} \d{1,2},? (19|20)\d{2})",
        true, 0.0, 0.85, birth, ValidDate);
    words.needs_context = true;
    add(words);
  }
  add(MakeRule(
      "pii.street_address", "pii", "ADDRESS",
      R"(\d{1,5} [a-z][a-z.']{1,20}( [a-z][a-z.']{1,20}){0,3} (street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|parkway|pkwy|square|sq)\b\.?)",
      true, 0.6, 0.85, {"address", "live at", "lives at", "located at", "ship to", "deliver to", "resides"}, nullptr));
  return rules;
}

}  // namespace modelguard::guard

namespace modelguard::guard {

DetectorEntry PiiDetectorEntry() {
  DetectorInfo info;
  info.name = "pii";
  info.folder = "pii";
  info.summary =
      "personal data confirmed by the checks its numbering schemes define (Luhn, mod-97, SSN ranges, E.164) and "
      "context words; reported, never blocked by itself";
  info.categories = {"pii"};
  info.labels = EntityLabels(PiiRules());
  info.option = "pii";
  info.entities = true;
  return DetectorEntry{std::move(info), [](const GuardOptions& o) { return o.pii; },
                       [](const DetectorContext&) -> Result<std::unique_ptr<const Detector>> {
                         MG_ASSIGN_OR_RETURN_CONTEXT(auto made, MakeEntityDetector(PiiRules(), "pii", Verdict::kAllow),
                                                     "PII rules: ");
                         return made;
                       }};
}

}  // namespace modelguard::guard
