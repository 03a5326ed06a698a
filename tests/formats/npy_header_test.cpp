// The shared .npy header reader: what numpy writes, what numpy's literal_eval also accepts, and hostile
// headers (lengths past the end, huge shapes, broken literals).
#include <gtest/gtest.h>

#include <string>

#include "modelguard/formats/npy.h"
#include "test_support.h"

namespace modelguard::formats::npy {
namespace {

std::vector<uint8_t> Npy(const std::string& dict, const std::string& data = "", uint8_t major = 1) {
  std::string out = std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0';
  const size_t n = dict.size();
  out += static_cast<char>(n & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  if (major > 1) out += std::string(2, '\0');
  return testing::Bytes(out + dict + data);
}

TEST(NpyHeader, ReadsWhatNumpyWrites) {
  const auto bytes = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }    \n", std::string(48, 'x'));
  const auto h = ParseHeader(bytes);
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->major, 1);
  EXPECT_EQ(h->header_offset, 10u);
  EXPECT_EQ(h->data_offset, bytes.size() - 48);
  EXPECT_EQ(h->descr, "<f4");
  EXPECT_EQ(h->item_size, 4u);
  EXPECT_FALSE(h->is_object);
  EXPECT_FALSE(h->structured);
  EXPECT_FALSE(h->fortran_order);
  EXPECT_EQ(h->shape, (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(h->element_count, 12u);
  EXPECT_TRUE(h->shape_error.empty());
}

TEST(NpyHeader, AcceptsDoubleQuotesVersionTwoAndPython2Longs) {
  const auto h = ParseHeader(Npy(R"({"descr": "|O", "fortran_order": True, "shape": (5L,)})", "", 2));
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ(h->header_offset, 12u);
  EXPECT_TRUE(h->is_object);
  EXPECT_TRUE(h->fortran_order);
  EXPECT_EQ(h->shape, (std::vector<uint64_t>{5}));
  const auto scalar = ParseHeader(Npy("{'descr': '<i8', 'fortran_order': False, 'shape': ()}"));
  ASSERT_TRUE(scalar.ok());
  EXPECT_TRUE(scalar->shape.empty());
  EXPECT_EQ(scalar->element_count, 1u);
}

TEST(NpyHeader, StructuredDtypesAndObjectFields) {
  const auto plain = ParseHeader(Npy("{'descr': [('a', '<i4'), ('b', '<f8')], 'fortran_order': False, 'shape': (2,)}"));
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->structured);
  EXPECT_FALSE(plain->is_object);
  EXPECT_FALSE(plain->item_size.has_value());
  const auto objects = ParseHeader(Npy("{'descr': [('a', '|O')], 'fortran_order': False, 'shape': (2,)}"));
  ASSERT_TRUE(objects.ok());
  EXPECT_TRUE(objects->is_object);
}

TEST(NpyHeader, HostileHeadersAreErrorsWithOffsets) {
  uint64_t at = 99;
  EXPECT_FALSE(ParseHeader(testing::Bytes("\x93NUMPX\x01\x00\x00\x00"), &at).ok());
  EXPECT_EQ(at, 0u);
  const auto bad_version = ParseHeader(Npy("{}", "", 9), &at);
  ASSERT_FALSE(bad_version.ok());
  EXPECT_EQ(at, 6u);
  EXPECT_NE(bad_version.error().message.find("version 9"), std::string::npos);
  const auto past_end = ParseHeader(testing::Bytes(std::string_view("\x93NUMPY\x01\x00\xff\xff{'descr'", 18)), &at);
  ASSERT_FALSE(past_end.ok());
  EXPECT_EQ(at, 8u);
  EXPECT_EQ(past_end.error().code, ErrorCode::kParse);
  EXPECT_FALSE(ParseHeader(Npy("{'shape': (1,)}"), &at).ok());
  EXPECT_EQ(at, 10u);
  EXPECT_FALSE(ParseHeader(Npy("{'shape': (1,), 'descr': '<f4}")).ok());  // unterminated descr
  EXPECT_FALSE(ParseHeader(Npy("'descr': '<f4', 'shape': (1,)")).ok());   // not a dict
}

TEST(NpyHeader, BadShapesAreReportedWithoutLosingTheDtype) {
  for (const char* shape : {"[1, 2]", "(1, 2", "(1, x)", "(99999999999999999999,)", "(4294967296, 4294967296, 2)"}) {
    const auto h = ParseHeader(Npy(std::string("{'descr': '|O', 'fortran_order': False, 'shape': ") + shape + "}"));
    ASSERT_TRUE(h.ok()) << shape;
    EXPECT_FALSE(h->shape_error.empty()) << shape;
    EXPECT_TRUE(h->is_object) << shape;  // an object array's pickle is still found
    EXPECT_EQ(h->element_count, 0u);
  }
  // Elements fit, bytes do not.
  const auto h = ParseHeader(Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776, 2097152)}"));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->shape_error, "array size overflows");
}

TEST(NpyHeader, ItemSizes) {
  bool obj = true;
  EXPECT_EQ(ItemSize("<i2", &obj), 2u);
  EXPECT_FALSE(obj);
  EXPECT_EQ(ItemSize("<c16", &obj), 16u);
  EXPECT_EQ(ItemSize("|S7", &obj), 7u);
  EXPECT_FALSE(ItemSize("<f", &obj).has_value());
  EXPECT_FALSE(ItemSize("<i4[ns]", &obj).has_value());
  EXPECT_FALSE(ItemSize("", &obj).has_value());
}

}  // namespace
}  // namespace modelguard::formats::npy
