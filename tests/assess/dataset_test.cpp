#include "modelguard/assess/dataset.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

namespace modelguard::assess {
namespace {

std::string BigEndian(uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
}

std::string IdxImages(uint32_t count, uint32_t rows, uint32_t cols, size_t actual_pixels) {
  std::string out("\0\0\x08\x03", 4);
  out += BigEndian(count) + BigEndian(rows) + BigEndian(cols);
  for (size_t i = 0; i < actual_pixels; ++i) out.push_back(static_cast<char>(i % 256));
  return out;
}

std::string IdxLabels(const std::vector<uint8_t>& labels) {
  std::string out("\0\0\x08\x01", 4);
  out += BigEndian(static_cast<uint32_t>(labels.size()));
  for (uint8_t l : labels) out.push_back(static_cast<char>(l));
  return out;
}

TEST(IdxTest, ParsesImagesScaledToUnitRange) {
  auto data = ParseIdx(IdxImages(3, 2, 2, 12), IdxLabels({0, 1, 2}));
  ASSERT_TRUE(data.ok()) << data.error().message;
  EXPECT_EQ(data->size(), 3u);
  EXPECT_EQ(data->sample_shape, (std::vector<int64_t>{1, 2, 2}));
  EXPECT_EQ(data->classes, 3);
  EXPECT_FLOAT_EQ(data->features[11], 11.0f / 255.0f);
}

TEST(IdxTest, RejectsDimensionsThatPromiseMoreThanTheFile) {
  // 1e9 images of 1000x1000 in a 20-byte file must fail before any allocation.
  auto data = ParseIdx(IdxImages(1000000000u, 1000, 1000, 8), IdxLabels({0, 1}));
  ASSERT_FALSE(data.ok());
  EXPECT_NE(data.error().message.find("more data than the file holds"), std::string::npos) << data.error().message;
}

TEST(IdxTest, RejectsCountMismatchBadMagicAndShortData) {
  EXPECT_FALSE(ParseIdx(IdxImages(3, 2, 2, 12), IdxLabels({0, 1})).ok());
  EXPECT_FALSE(ParseIdx(IdxImages(3, 2, 2, 11), IdxLabels({0, 1, 2})).ok());
  std::string bad = IdxImages(3, 2, 2, 12);
  bad[2] = 0x0D;  // float data
  EXPECT_FALSE(ParseIdx(bad, IdxLabels({0, 1, 2})).ok());
  EXPECT_FALSE(ParseIdx("", "").ok());
  EXPECT_FALSE(ParseIdx(IdxImages(2, 2, 2, 8), IdxLabels({1, 1})).ok()) << "one class is not a classification task";
}

TEST(CsvTest, SkipsSklearnHeaderAndScales) {
  auto data = ParseCsv("4,2,a,b\n0,16,0\n8,4,1\n16,0,1\n2,2,0\n", CsvScaling::kGlobal);
  ASSERT_TRUE(data.ok()) << data.error().message;
  EXPECT_EQ(data->size(), 4u);
  EXPECT_EQ(data->sample_shape, (std::vector<int64_t>{2}));
  EXPECT_FLOAT_EQ(data->features[0], 0.0f);
  EXPECT_FLOAT_EQ(data->features[1], 1.0f);
  EXPECT_FLOAT_EQ(data->features[2], 0.5f);
  auto columns = ParseCsv("0,10,0\n5,20,1\n10,30,1\n", CsvScaling::kColumn);
  ASSERT_TRUE(columns.ok());
  EXPECT_FLOAT_EQ(columns->features[3], 0.5f);  // second row, first column: 5 of 0..10
  EXPECT_FLOAT_EQ(columns->features[5], 1.0f);  // third row, second column: 30 of 10..30
}

TEST(CsvTest, RejectsRaggedRowsBadLabelsAndText) {
  EXPECT_FALSE(ParseCsv("1,2,0\n1,1\n", CsvScaling::kGlobal).ok());
  EXPECT_FALSE(ParseCsv("1,2,0.5\n1,1,1\n", CsvScaling::kGlobal).ok());
  EXPECT_FALSE(ParseCsv("1,2,0\n1,x,1\n", CsvScaling::kGlobal).ok());
  EXPECT_FALSE(ParseCsv("1,2,-1\n1,1,1\n", CsvScaling::kGlobal).ok());
  EXPECT_FALSE(ParseCsv("1,2,0\n1,nan,1\n", CsvScaling::kGlobal).ok());
  EXPECT_FALSE(ParseCsv("", CsvScaling::kGlobal).ok());
}

std::string Npy(const std::string& descr, const std::string& shape, const std::string& data) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY\x01";
  out.push_back('\0');
  out.push_back(static_cast<char>(header.size() & 0xff));
  out.push_back(static_cast<char>(header.size() >> 8));
  return out + header + data;
}

TEST(NpyTest, ReadsBytesAndInt64Labels) {
  std::string labels(16, '\0');
  labels[8] = 1;
  auto data = ParseNpy(Npy("|u1", "(2, 3)", std::string("\x00\xff\x80\x01\x02\x03", 6)), Npy("<i8", "(2,)", labels));
  ASSERT_TRUE(data.ok()) << data.error().message;
  EXPECT_EQ(data->sample_shape, (std::vector<int64_t>{3}));
  EXPECT_FLOAT_EQ(data->features[1], 1.0f);
  EXPECT_EQ(data->labels[1], 1);
}

TEST(NpyTest, RejectsLyingShapesAndOutOfRangeFloats) {
  std::string labels(16, '\0');
  labels[8] = 1;
  EXPECT_FALSE(ParseNpy(Npy("|u1", "(2, 30000000000)", "abcdef"), Npy("<i8", "(2,)", labels)).ok());
  float big = 3.0f;
  std::string floats(reinterpret_cast<const char*>(&big), 4);
  floats += floats;
  EXPECT_FALSE(ParseNpy(Npy("<f4", "(2, 1)", floats), Npy("<i8", "(2,)", labels)).ok());
  EXPECT_FALSE(ParseNpy(Npy(">f4", "(2, 1)", floats), Npy("<i8", "(2,)", labels)).ok());
  EXPECT_FALSE(ParseNpy("\x93NUMPY\x01\x00\xff\xff", Npy("<i8", "(2,)", labels)).ok());
}

TEST(GzipTest, DecompressesAndCapsOutput) {
  const auto dir = std::filesystem::temp_directory_path() / ("mg-gz-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "x.gz").string();
  gzFile file = gzopen(path.c_str(), "wb");
  const std::string zeros(1 << 20, '0');
  gzwrite(file, zeros.data(), static_cast<unsigned>(zeros.size()));
  gzclose(file);
  auto whole = ReadMaybeGzip(path);
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(whole->size(), zeros.size());
  DataLimits small;
  small.max_bytes = 4096;
  auto capped = ReadMaybeGzip(path, small);
  ASSERT_FALSE(capped.ok());
  EXPECT_EQ(capped.error().code, ErrorCode::kLimit);
  std::filesystem::remove_all(dir);
}

TEST(LoadDatasetTest, SklearnDigitsSplitIsDeterministicAndDisjoint) {
  auto first = LoadDataset("digits", 0.5, 7);
  if (!first.ok() && first.error().code == ErrorCode::kIo) GTEST_SKIP() << first.error().message;
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->train.size() + first->test.size(), 1797u);
  EXPECT_EQ(first->train.classes, 10);
  EXPECT_EQ(first->train.sample_shape, (std::vector<int64_t>{64}));
  auto again = LoadDataset("digits", 0.5, 7);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(first->train.features, again->train.features);
  auto other = LoadDataset("digits", 0.5, 8);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(first->train.features, other->train.features);
  EXPECT_FALSE(LoadDataset("nonsense").ok());
  EXPECT_FALSE(LoadDataset("digits", 1.5).ok());
}

TEST(LoadDatasetTest, FashionMnistKeepsItsOwnSplit) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  auto data = LoadDataset("fashion-mnist");
  ASSERT_TRUE(data.ok()) << data.error().message;
  EXPECT_EQ(data->train.size(), 60000u);
  EXPECT_EQ(data->test.size(), 10000u);
  EXPECT_EQ(data->test.sample_shape, (std::vector<int64_t>{1, 28, 28}));
}

}  // namespace
}  // namespace modelguard::assess
