// JsonField: checked access to untrusted JSON, errors naming the field's path.
#include "modelguard/core/json_fields.h"

#include <gtest/gtest.h>

namespace modelguard {
namespace {

using nlohmann::json;

TEST(JsonField, WrongTypesAreErrorsNamingThePath) {
  const json doc = json::parse(R"({"verificationMaterial": {"certificate": {"rawBytes": 5}}, "list": [1, "x"]})");
  const JsonField root(doc);
  auto material = root.ObjectOr("verificationMaterial");
  ASSERT_TRUE(material);
  auto certificate = material->ObjectOr("certificate");
  ASSERT_TRUE(certificate);
  auto raw = certificate->StringOr("rawBytes", "");
  ASSERT_FALSE(raw);
  EXPECT_EQ(raw.error().code, ErrorCode::kParse);
  EXPECT_EQ(raw.error().message, "verificationMaterial.certificate.rawBytes: expected string, got number");
  auto list = root.ElementsOr("list");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].Unsigned().error().message, "list[1]: expected integer, got string");
  EXPECT_EQ((*list)[0].ObjectOr("x").error().message, "list[0]: expected object, got number");
  EXPECT_EQ(JsonField(json::array()).Object().error().message, "the document: expected object, got array");
}

TEST(JsonField, AbsentMembersTakeTheFallbackPresentOnesTheirValue) {
  const json doc = json::parse(R"({"s": "v", "b": true, "n": 7, "big": "18446744073709551615"})");
  const JsonField root(doc);
  EXPECT_EQ(*root.StringOr("s", "d"), "v");
  EXPECT_EQ(*root.StringOr("missing", "d"), "d");
  EXPECT_TRUE(*root.BoolOr("b", false));
  EXPECT_EQ(*root.UnsignedOr("n", 0), 7u);
  EXPECT_EQ(*root.UnsignedOr("missing", 3), 3u);
  EXPECT_TRUE(root.ElementsOr("missing")->empty());
  EXPECT_TRUE(root.ObjectOr("missing")->json().empty());
  EXPECT_EQ(root.At("missing").error().message, "missing: missing");
  EXPECT_FALSE(*root.Find("missing"));
}

TEST(JsonField, IntegersSpelledAsStringsOnlyWhenAsked) {
  const json doc = json::parse(R"({"big": "18446744073709551615", "bad": "12x", "neg": -1, "frac": 1.5})");
  const JsonField root(doc);
  EXPECT_FALSE(root.UnsignedOr("big", 0));
  EXPECT_EQ(*root.UnsignedOr("big", 0, true), UINT64_MAX);
  EXPECT_FALSE(root.UnsignedOr("bad", 0, true));
  EXPECT_EQ(root.UnsignedOr("neg", 0).error().message, "neg: expected a non-negative integer");
  EXPECT_FALSE(root.UnsignedOr("frac", 0));
}

TEST(JsonWithinLimits, CountsBeforeBuildingAndNamesTheLimit) {
  auto parsed = ParseJsonWithinLimits(R"({"a": [1, 2, {"b": null}], "c": "d"})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, nlohmann::json::parse(R"({"a": [1, 2, {"b": null}], "c": "d"})"));
  // Seven values: the object, the array, 1, 2, the inner object, null, "d".
  EXPECT_TRUE(ParseJsonWithinLimits(R"({"a": [1, 2, {"b": null}], "c": "d"})", {7, 32}).ok());
  auto many = ParseJsonWithinLimits(R"({"a": [1, 2, {"b": null}], "c": "d"})", {6, 32});
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().code, ErrorCode::kLimit);
  EXPECT_NE(many.error().message.find("6 JSON values"), std::string::npos) << many.error().message;
  // Depth: 33 nested arrays pass 32 levels; 32 do not.
  const std::string deep = std::string(33, '[') + std::string(33, ']');
  auto too_deep = ParseJsonWithinLimits(deep);
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.error().code, ErrorCode::kLimit);
  EXPECT_NE(too_deep.error().message.find("32 levels"), std::string::npos);
  EXPECT_TRUE(ParseJsonWithinLimits(std::string(32, '[') + std::string(32, ']')).ok());
  // A million nested arrays are refused by counting, without a recursion that deep.
  EXPECT_FALSE(ParseJsonWithinLimits(std::string(1000000, '[')).ok());
  for (const char* bad : {"", "{", R"({"a": })", "[1, 2", "nul", "{} {}"}) {
    auto invalid = ParseJsonWithinLimits(bad);
    ASSERT_FALSE(invalid.ok()) << bad;
    EXPECT_EQ(invalid.error().code, ErrorCode::kParse) << bad;
  }
}

}  // namespace
}  // namespace modelguard
