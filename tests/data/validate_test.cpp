// Schemas and validation (data/validate.h) on files written by Python's csv/json modules, NumPy and PIL:
// every violation has a fixture that raises it and a clean twin that does not; the array and image readers
// agree with NumPy on what they read; MinHash finds near copies and leaves unrelated texts alone.
#include "modelguard/data/validate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

namespace modelguard::data {
namespace {

namespace fs = std::filesystem;

class Files {
 public:
  Files() : dir_(fs::temp_directory_path() / ("modelguard-validate-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
  }
  ~Files() { fs::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string dir() const { return dir_.string(); }

 private:
  fs::path dir_;
};

DatasetProfile Profile(const std::string& path, const SourceOptions& options = {}) {
  auto source = OpenDataset(path, options);
  EXPECT_TRUE(source.ok()) << (source.ok() ? "" : source.error().message);
  if (!source.ok()) return {};
  auto profile = ProfileDataset(**source);
  EXPECT_TRUE(profile.ok()) << (profile.ok() ? "" : profile.error().message);
  return profile.ok() ? *profile : DatasetProfile{};
}

ValidationReport Validate(const std::string& path, const Schema& schema, const DatasetProfile* reference = nullptr) {
  auto source = OpenDataset(path);
  EXPECT_TRUE(source.ok()) << (source.ok() ? "" : source.error().message);
  if (!source.ok()) return {};
  auto report = ValidateDataset(**source, schema, reference);
  EXPECT_TRUE(report.ok()) << (report.ok() ? "" : report.error().message);
  return report.ok() ? *report : ValidationReport{};
}

std::set<std::string> Rules(const ValidationReport& report) {
  std::set<std::string> rules;
  for (const auto& v : report.violations) rules.insert(v.rule + (v.column.empty() ? "" : ":" + v.column));
  return rules;
}

// A table of customers: integer age, categorical city, number income, free-text comment, label.
std::string Customers(int rows, uint64_t seed, double income_mean = 50000, const char* third_city = "Nice") {
  std::mt19937_64 random(seed);
  std::normal_distribution<double> income(income_mean, 8000);
  const char* cities[] = {"Paris", "Lyon", third_city};
  // Words of random letters: free text whose records share no more than real comments do.
  const auto word = [&] {
    std::string w(3 + random() % 6, 'a');
    for (char& c : w) c = static_cast<char>('a' + random() % 26);
    return w;
  };
  std::string csv = "age,city,income,comment,label\n";
  for (int i = 0; i < rows; ++i) {
    std::string comment;
    for (int w = 0; w < 12; ++w) comment += std::string(w ? " " : "") + word();
    csv += std::to_string(18 + random() % 60) + "," + cities[random() % 3] + "," +
           std::to_string(std::round(income(random) * 100) / 100) + "," + comment + " #" + std::to_string(i) + "," +
           std::to_string(random() % 2) + "\n";
  }
  return csv;
}

TEST(DataValidate, InferredSchemaDescribesTheTable) {
  Files files;
  const auto profile = Profile(files.Write("train.csv", Customers(400, 1)));
  const Schema schema = InferSchema(profile);
  EXPECT_EQ(schema.label, "label");
  ASSERT_EQ(schema.columns.size(), 5u);
  EXPECT_EQ(schema.columns[0].type, CellType::kInteger);
  EXPECT_GE(*schema.columns[0].min, 18);
  EXPECT_LE(*schema.columns[0].max, 77);
  EXPECT_EQ(schema.columns[1].domain, (std::vector<std::string>{"Lyon", "Nice", "Paris"}));
  EXPECT_EQ(schema.columns[2].type, CellType::kNumber);
  EXPECT_TRUE(schema.columns[3].text);
  EXPECT_EQ(schema.class_shares.size(), 2u);
  // The schema survives its own JSON.
  auto parsed = ParseSchema(ToJson(schema).dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(ToJson(*parsed), ToJson(schema));
}

TEST(DataValidate, CleanTwinPassesEveryCheck) {
  Files files;
  const std::string train = files.Write("train.csv", Customers(400, 1));
  const Schema schema = InferSchema(Profile(train));
  const auto reference = Profile(train);
  // The data it was inferred from, and a fresh sample of the same process with the ranges widened as a
  // user would: no violation, no drift.
  EXPECT_TRUE(Validate(train, schema, &reference).violations.empty());
  Schema widened = schema;
  widened.columns[0].min = 0, widened.columns[0].max = 150;
  widened.columns[2].min = 0, widened.columns[2].max = 1e6;
  widened.columns[3].min_length = 0, widened.columns[3].max_length = 1000;
  // Each drift test has a 5 % false-alarm rate by construction (p < 0.05), so fresh samples are judged over
  // many draws: no violation other than drift, about 5 % of column tests drifting, never the dataset.
  size_t tests = 0, alarms = 0;
  for (uint64_t seed = 2; seed < 22; ++seed) {
    const auto fresh = Validate(files.Write("fresh.csv", Customers(400, seed)), widened, &reference);
    for (const auto& v : fresh.violations) EXPECT_EQ(v.rule, "data.drift") << ToJson(fresh).dump(1);
    EXPECT_FALSE(fresh.dataset_drift);
    ASSERT_EQ(fresh.drift.size(), 4u);  // age, city, income, label (the comment is free text)
    for (const auto& d : fresh.drift) {
      ++tests;
      alarms += d.drift;
    }
  }
  EXPECT_LE(alarms, tests / 8) << alarms << " false alarms in " << tests << " tests";
}

TEST(DataValidate, EachViolationHasAFixture) {
  Files files;
  const std::string header = "age,city,income,comment,label\n";
  const std::string base = Customers(200, 3);
  const Schema schema = InferSchema(Profile(files.Write("train.csv", base)));
  // Comments as long as the generated ones (75 to 96 bytes), so only the case's change is out of line.
  const std::string comment = "quick delivery broken screen refund asked support friendly late parcel colour #7";
  const std::string good_row = "30,Paris,50000.5," + comment + ",1\n";
  struct Case {
    std::string name, rows, rule;
  };
  const std::vector<Case> cases = {
      {"type", "thirty,Paris,50000.5," + comment + ",1\n", "data.type:age"},
      {"range", "300,Paris,50000.5," + comment + ",1\n", "data.range:age"},
      {"domain", "30,Berlin,50000.5," + comment + ",1\n", "data.domain:city"},
      {"length", "30,Paris,50000.5,short,1\n", "data.length:comment"},
      {"missing", "30,,50000.5," + comment + ",1\n", "data.missing-values:city"},
      {"class", "30,Paris,50000.5," + comment + ",7\n", "data.unknown-class:label"},
      {"duplicate", good_row, "data.duplicates"},
  };
  for (const Case& c : cases) {
    // The fixture: the good row, then the case's row; the clean twin: the good row twice changed by one word.
    const auto report = Validate(files.Write(c.name + ".csv", header + good_row + c.rows), schema);
    EXPECT_TRUE(Rules(report).contains(c.rule)) << c.name << ": " << ToJson(report).dump(1);
    const auto twin = Validate(
        files.Write(c.name + "-twin.csv",
                    header + good_row + "31,Lyon,50001.5,happy again never late parcel colour wrong size quick delivery screen #9,0\n"),
        schema);
    EXPECT_FALSE(Rules(twin).contains(c.rule)) << c.name << " twin: " << ToJson(twin).dump(1);
  }
  // Columns: one missing from the header, one the schema does not know.
  const auto columns = Validate(files.Write("columns.csv", "age,city,income,label,extra\n30,Paris,1,0,x\n"), schema);
  EXPECT_TRUE(Rules(columns).contains("data.missing-column:comment"));
  EXPECT_TRUE(Rules(columns).contains("data.unexpected-column:extra"));
  // Classes: all of one class.
  std::string one_class = header;
  for (int i = 0; i < 50; ++i)
    one_class += "30,Paris,50000.5,comment number " + std::to_string(i) + " about a delivery that was late,0\n";
  const auto classes = Validate(files.Write("one-class.csv", one_class), schema);
  EXPECT_TRUE(Rules(classes).contains("data.missing-class:label"));
  EXPECT_TRUE(Rules(classes).contains("data.class-balance:label"));
  // Near duplicates: the same comment with one word changed, other columns different.
  const std::string near_rows =
      "30,Paris,50000.5,the parcel arrived late and the screen was broken so I asked support for a refund,1\n"
      "44,Lyon,41000.5,the parcel arrived late and the screen was cracked so I asked support for a refund,0\n";
  const auto near = Validate(files.Write("near.csv", header + near_rows), schema);
  EXPECT_TRUE(Rules(near).contains("data.near-duplicates")) << ToJson(near).dump(1);
  // Unreadable records (JSONL) and an empty dataset.
  const Schema jsonl_schema = InferSchema(Profile(files.Write("t.jsonl", "{\"a\": 1}\n{\"a\": 2}\n")));
  EXPECT_TRUE(Rules(Validate(files.Write("bad.jsonl", "{\"a\": 1}\n{\"a\": \n"), jsonl_schema))
                  .contains("data.unreadable-records"));
  EXPECT_TRUE(Rules(Validate(files.Write("empty.jsonl", ""), jsonl_schema)).contains("data.empty"));
  EXPECT_TRUE(Validate(files.Write("good.jsonl", "{\"a\": 3}\n"), jsonl_schema).violations.size() == 1);  // range
}

TEST(DataValidate, DriftPicksTheTestBySizeAndFindsAShift) {
  Files files;
  // Small reference: KS and chi-square.
  const std::string train = files.Write("train.csv", Customers(400, 4));
  const auto reference = Profile(train);
  Schema schema = InferSchema(reference);
  schema.allow_unexpected_columns = true;
  const auto shifted = Validate(files.Write("shifted.csv", Customers(400, 5, 56000, "Lille")), schema, &reference);
  std::map<std::string, DriftResult> by_column;
  for (const auto& d : shifted.drift) by_column[d.column] = d;
  EXPECT_EQ(by_column["income"].test, "ks");
  EXPECT_TRUE(by_column["income"].drift);
  EXPECT_EQ(by_column["city"].test, "chi2");
  EXPECT_TRUE(by_column["city"].drift);
  EXPECT_FALSE(by_column["age"].drift);
  EXPECT_FALSE(by_column["label"].drift);
  EXPECT_TRUE(Rules(shifted).contains("data.drift:income"));
  EXPECT_TRUE(shifted.dataset_drift);  // income and city: half of the four columns tested
  // Large reference: distances (Wasserstein normed by the reference's spread, Jensen-Shannon).
  const std::string big = files.Write("big.csv", Customers(3000, 6));
  const auto big_reference = Profile(big);
  Schema big_schema = InferSchema(big_reference);
  big_schema.allow_unexpected_columns = true;
  const auto big_shift = Validate(files.Write("big-shift.csv", Customers(3000, 7, 60000)), big_schema, &big_reference);
  for (const auto& d : big_shift.drift) {
    if (d.column == "income") {
      EXPECT_EQ(d.test, "wasserstein");
      EXPECT_NEAR(d.statistic, 10000.0 / 8000.0, 0.15);  // the mean moved by 1.25 standard deviations
      EXPECT_TRUE(d.drift);
    }
    if (d.column == "city") {
      EXPECT_EQ(d.test, "js");
    }
  }
}

TEST(DataValidate, NearDuplicatesByMinHash) {
  const std::string base = "the quick brown fox jumps over the lazy dog while the farmer watches from the old red barn";
  std::vector<std::string> texts = {base, "completely different text about databases and indexes and query plans",
                                    "the quick brown fox jumps over the lazy dog while the farmer looks from the old "
                                    "red barn",
                                    base + " today"};
  auto found = NearDuplicates(texts);
  EXPECT_EQ(found, (std::vector<int64_t>{-1, -1, 0, 0}));
  // 2,000 unrelated random texts: no pair is called a near duplicate.
  std::mt19937_64 random(9);
  std::vector<std::string> unrelated;
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    for (int w = 0; w < 20; ++w) text += "w" + std::to_string(random() % 500) + " ";
    unrelated.push_back(text);
  }
  for (int64_t match : NearDuplicates(unrelated)) EXPECT_EQ(match, -1);
}

// Array and image datasets written by NumPy and PIL (tests/data/make_datasets.py).
class DataArrays : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(fs::temp_directory_path() / ("modelguard-datasets-" + std::to_string(::getpid())));
    const std::string command =
        "/usr/bin/python3 " MODELGUARD_SOURCE_DIR "/tests/data/make_datasets.py " + *dir_ + " >/dev/null";
    ASSERT_EQ(std::system(command.c_str()), 0);
    std::ifstream in(*dir_ + "/stats.json");
    stats_ = new nlohmann::json(nlohmann::json::parse(in));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete stats_;
  }
  static std::string* dir_;
  static nlohmann::json* stats_;
};
std::string* DataArrays::dir_ = nullptr;
nlohmann::json* DataArrays::stats_ = nullptr;

std::vector<Row> Rows(const std::string& path, const SourceOptions& options = {}) {
  auto source = OpenDataset(path, options);
  EXPECT_TRUE(source.ok()) << (source.ok() ? "" : source.error().message);
  std::vector<Row> rows;
  if (!source.ok()) return rows;
  Row row;
  while (true) {
    auto more = (*source)->Next(row);
    EXPECT_TRUE(more.ok()) << (more.ok() ? "" : more.error().message);
    if (!more.ok() || !*more) break;
    rows.push_back(row);
  }
  return rows;
}

TEST_F(DataArrays, NpyAndNpzAgreeWithNumpy) {
  SourceOptions options;
  options.labels = *dir_ + "/digits_y.npy";
  const auto npy = Rows(*dir_ + "/digits_x.npy", options);
  ASSERT_EQ(npy.size(), (*stats_)["samples"].get<size_t>());
  // label, mean, std, min, max, non_finite, x[0..63]
  ASSERT_EQ(npy[0].cells.size(), 6u + 64u);
  EXPECT_EQ(npy[0].cells[0].number, 0);
  EXPECT_NEAR(npy[0].cells[1].number, (*stats_)["digits_mean0"].get<double>(), 1e-6);
  EXPECT_NEAR(npy[0].cells[2].number, (*stats_)["digits_std0"].get<double>(), 1e-5);
  for (const char* name : {"/digits.npz", "/digits_z.npz"}) {
    const auto npz = Rows(*dir_ + name);
    ASSERT_EQ(npz.size(), npy.size()) << name;
    for (size_t i = 0; i < npz.size(); i += 97) {
      EXPECT_EQ(npz[i].fingerprint, npy[i].fingerprint) << name << " " << i;
      EXPECT_EQ(npz[i].cells[0].text, npy[i].cells[0].text);
    }
  }
  // Big-endian uint16: the same values, read through the byte order.
  const auto be = Rows(*dir_ + "/digits_u16_be.npy");
  ASSERT_EQ(be.size(), npy.size());
  EXPECT_NEAR(be[0].cells[0].number, (*stats_)["digits_mean0"].get<double>(), 1e-6);  // no label column here
  // Schema from NPY, validated on NPZ: the same data passes.
  auto source = OpenDataset(*dir_ + "/digits_x.npy", options);
  ASSERT_TRUE(source.ok());
  auto profile = ProfileDataset(**source);
  ASSERT_TRUE(profile.ok());
  const Schema schema = InferSchema(*profile);
  EXPECT_EQ(schema.label, "label");
  EXPECT_EQ(schema.class_shares.size(), 10u);
  EXPECT_TRUE(Validate(*dir_ + "/digits_z.npz", schema, &*profile).violations.empty());
}

TEST_F(DataArrays, IdxWithLabelsFoundNextToIt) {
  const auto rows = Rows(*dir_ + "/idx/train-images-idx3-ubyte.gz");
  ASSERT_EQ(rows.size(), 40u);
  EXPECT_EQ(rows[0].cells[0].number, (*stats_)["idx_label0"].get<double>());
  EXPECT_NEAR(rows[0].cells[1].number, (*stats_)["idx_mean0"].get<double>(), 1e-6);
}

TEST_F(DataArrays, ImageFolderClassesSizesAndABrokenFile) {
  auto source = OpenDataset(*dir_ + "/images");
  ASSERT_TRUE(source.ok()) << source.error().message;
  std::vector<std::string> paths;
  for (const auto& entry : fs::recursive_directory_iterator(*dir_ + "/images"))
    if (entry.is_regular_file()) paths.push_back(entry.path().string());
  std::sort(paths.begin(), paths.end());  // the source's order
  Row row;
  size_t index = 0, problems = 0;
  while (*(*source)->Next(row)) {
    const std::string relative = fs::path(paths[index++]).lexically_relative(*dir_).string();
    if (!row.problem.empty()) {
      EXPECT_NE(relative.find("broken"), std::string::npos) << row.problem;
      ++problems;
      continue;
    }
    const auto& expected = (*stats_)["pictures"][relative];
    EXPECT_EQ(row.cells[0].text, fs::path(relative).parent_path().filename().string());
    EXPECT_EQ(row.cells[1].number, expected["width"].get<double>()) << relative;
    EXPECT_EQ(row.cells[2].number, expected["height"].get<double>()) << relative;
    // JPEG decoders may round differently by a step; PNG is exact.
    EXPECT_NEAR(row.cells[4].number, expected["mean"].get<double>(), relative.ends_with(".jpg") ? 2e-3 : 1e-6)
        << relative;
  }
  EXPECT_EQ(index, paths.size());
  EXPECT_EQ(problems, 1u);
}

TEST_F(DataArrays, HostileArraysAreErrors) {
  Files files;
  const std::string npy = [&] {
    std::ifstream in(*dir_ + "/digits_x.npy", std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }();
  const auto error_of = [](const std::string& path, SourceOptions options = {}) -> std::string {
    auto source = OpenDataset(path, options);
    return source.ok() ? "" : source.error().message;
  };
  EXPECT_NE(error_of(files.Write("cut.npy", npy.substr(0, npy.size() / 2))).find("promises"), std::string::npos);
  EXPECT_NE(error_of(files.Write("header.npy", npy.substr(0, 20))), "");
  std::string object = npy;
  object.replace(object.find("<f4"), 3, "|O8");
  EXPECT_NE(error_of(files.Write("object.npy", object)).find("object"), std::string::npos);
  SourceOptions options;
  options.labels = *dir_ + "/digits_x.npy";  // 1797 x 64 labels
  EXPECT_NE(error_of(*dir_ + "/digits_x.npy", options).find("one value per sample"), std::string::npos);
  EXPECT_NE(error_of(files.Write("notzip.npz", "PK\x03\x04 not really")), "");
  EXPECT_NE(error_of(files.dir() + "/nothing-here"), "");
}

TEST(DataValidate, SchemaFilesAreCheckedStrictly) {
  const std::string head = R"({"schema": "modelguard.data-schema/v1", )";
  EXPECT_FALSE(ParseSchema("[]").ok());
  EXPECT_FALSE(ParseSchema(R"({"schema": "other", "columns": []})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("columns": [], "colums": []})").ok());  // misspelt key
  EXPECT_FALSE(
      ParseSchema(head + R"("columns": [{"name": "a", "type": "integer"}, {"name": "a", "type": "string"}]})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("columns": [{"name": "a", "type": "float"}]})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("columns": [{"name": "a", "type": "integer", "min": 5, "max": 1}]})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("columns": [{"name": 3, "type": "integer"}]})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("columns": [{"name": "a", "type": "integer", "max_missing_share": 2}]})").ok());
  EXPECT_TRUE(ParseSchema(head + R"("columns": [{"name": "a", "type": "integer"}]})").ok());
}

// Found by fuzz_data_source: a "schema" that is not a string threw out of ParseSchema; a float or negative
// length or record count was converted to uint64_t (undefined for 1e30, wrapped for -1); a "duplicates"
// that is not an object was accepted.
TEST(DataValidate, SchemaNumbersAreFiniteAndCountsWhole) {
  const std::string head = R"({"schema": "modelguard.data-schema/v1", )";
  EXPECT_FALSE(ParseSchema(R"({"schema": 1, "columns": []})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("columns": [{"name": "a", "type": "integer", "min": 1e999}]})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("columns": [{"name": "a", "type": "integer", "max": "9"}]})").ok());
  EXPECT_FALSE(
      ParseSchema(head + R"("columns": [{"name": "a", "type": "string", "length": {"min": 1e30, "max": 2}}]})").ok());
  EXPECT_FALSE(
      ParseSchema(head + R"("columns": [{"name": "a", "type": "string", "length": {"min": -1, "max": 2}}]})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("inferred_from": {"records": 1e30}, "columns": []})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("inferred_from": {"records": -1}, "columns": []})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("columns": [], "classes": {"a": 1e999}})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("columns": [], "classes": ["a"]})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("columns": [], "duplicates": [0.5]})").ok());
  EXPECT_FALSE(ParseSchema(head + R"("columns": [], "class_share_tolerance": "x"})").ok());
  auto schema = ParseSchema(head + R"("inferred_from": {"records": 7}, "columns": [{"name": "a", "type": "string",
      "min": -2.5, "length": {"min": 1, "max": 2}}], "classes": {"x": 0.5}, "duplicates": {"max_exact_share": 0.25}})");
  ASSERT_TRUE(schema.ok()) << schema.error().message;
  EXPECT_EQ(schema->records, 7u);
  EXPECT_EQ(*schema->columns[0].min, -2.5);
  EXPECT_EQ(*schema->columns[0].max_length, 2u);
  EXPECT_EQ(schema->class_shares.at("x"), 0.5);
  EXPECT_EQ(schema->class_share_tolerance, 0.5);
  EXPECT_EQ(schema->max_duplicate_share, 0.25);
}

// Found by fuzz_data_source: a header name, category or class that is not UTF-8 made the inferred schema's
// JSON throw (data schema infer aborted), and a repeated header name gave a schema ParseSchema refuses.
// Names are now kept with \xNN escapes and repeats numbered as pandas does; undecodable values get no domain.
TEST(DataValidate, AnyCsvHeaderGivesASchemaThatReadsBack) {
  Files files;
  const std::string path = files.Write(
      "names.csv", "caf\xe9,a,a,,,label\n\xff,1,2,x,y,\xfe\n\xff,1,2,x,y,\xfe\nok,3,4,z,w,\xfe\nok,3,5,z,w,\xfd\n");
  const DatasetProfile profile = Profile(path);
  std::vector<std::string> names;
  for (const auto& column : profile.columns) names.push_back(column.name);
  EXPECT_EQ(names, (std::vector<std::string>{"caf\\xe9", "a", "a.1", "", ".1", "label"}));
  const Schema schema = InferSchema(profile);
  std::string json;
  EXPECT_NO_THROW(json = ToJson(schema).dump());
  auto parsed = ParseSchema(json);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(ToJson(*parsed), ToJson(schema));
  EXPECT_TRUE(parsed->columns[0].domain.empty());  // "\xff" cannot be written
  EXPECT_EQ(parsed->columns[1].domain, (std::vector<std::string>{"1", "3"}));
  EXPECT_TRUE(parsed->class_shares.empty());
  EXPECT_EQ(Rules(Validate(path, *parsed)), std::set<std::string>{});
}

// Found by fuzz_data_source: an array of no samples whose header promises huge ones ((0, 10^12)) made the
// reader allocate a sample of that size, and a label too large for int64 (1e30, inf) was converted to it
// with undefined behaviour.
TEST(DataValidate, ArraysWithHugeSamplesOrLabels) {
  const auto npy = [](const std::string& descr, const std::string& shape, const std::string& data) {
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string out("\x93NUMPY\x01\x00", 8);
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    return out + header + data;
  };
  Files files;
  auto huge = OpenDataset(files.Write("huge.npy", npy("<f4", "(0, 1000000000000)", "")));
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("one sample is larger"), std::string::npos) << huge.error().message;
  EXPECT_TRUE(Rows(files.Write("empty.npy", npy("<f4", "(0, 3)", ""))).empty());

  const float x[2] = {1, 2};
  const double y[2] = {1e30, INFINITY};
  SourceOptions options;
  options.labels = files.Write("y.npy", npy("<f8", "(2,)", std::string(reinterpret_cast<const char*>(y), sizeof y)));
  const auto rows = Rows(
      files.Write("x.npy", npy("<f4", "(2, 1)", std::string(reinterpret_cast<const char*>(x), sizeof x))), options);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].cells[0].type, CellType::kNumber);
  EXPECT_EQ(rows[0].cells[0].number, 1e30);
  EXPECT_EQ(rows[1].cells[0].type, CellType::kNumber);
  EXPECT_TRUE(std::isinf(rows[1].cells[0].number));
}

// Found by fuzz_data_source (minimised to a blank header and one row): with no label column, the column
// whose name is empty was taken for the label ("" == ""), and its values became the schema's classes.
TEST(DataValidate, ABlankHeaderCellIsNotTheLabel) {
  Files files;
  const DatasetProfile profile = Profile(files.Write("blank.csv", ",a\nx,1\ny,2\nx,3\ny,4\n"));
  EXPECT_EQ(profile.label_column, "");
  const Schema schema = InferSchema(profile);
  EXPECT_TRUE(schema.class_shares.empty());
  EXPECT_EQ(ToJson(schema).count("classes"), 0u);
}

}  // namespace
}  // namespace modelguard::data
