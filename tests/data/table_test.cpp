// Tabular datasets read one record at a time: RFC 4180 quoting, line breaks inside quotes, CRLF kept,
// limits that turn hostile files into errors, and serialisation that gives the file back.
#include "modelguard/data/table.h"

#include <gtest/gtest.h>

#include <sstream>

namespace modelguard::data {
namespace {

std::vector<Record> ReadAll(const std::string& text, TableFormat format, TableLimits limits = {},
                            std::vector<std::string>* header = nullptr) {
  std::istringstream in(text);
  TableReader reader(in, format, limits);
  std::vector<Record> records;
  Record record;
  while (true) {
    auto more = reader.Next(record);
    EXPECT_TRUE(more.ok()) << (more.ok() ? "" : more.error().message);
    if (!more.ok() || !*more) break;
    records.push_back(record);
  }
  if (header) *header = reader.header();
  return records;
}

TEST(DataTable, CsvQuotingAndLineBreaksInsideQuotes) {
  std::vector<std::string> header;
  const auto records = ReadAll("name,note\r\n\"Doe, Jane\",\"said \"\"hi\"\"\nthen left\"\r\nbob,\r\n", TableFormat::kCsv,
                               {}, &header);
  ASSERT_EQ(header, (std::vector<std::string>{"name", "note"}));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].cells, (std::vector<std::string>{"Doe, Jane", "said \"hi\"\nthen left"}));
  EXPECT_EQ(records[0].terminator, "\r\n");
  EXPECT_EQ(records[0].line, 2u);
  EXPECT_EQ(records[1].cells, (std::vector<std::string>{"bob", ""}));
  EXPECT_EQ(records[1].line, 4u);  // the quoted line break counted
}

TEST(DataTable, SerialisingGivesTheFileBack) {
  for (const std::string& text : {std::string("a,b\r\n\"x,1\",\"q\"\"\"\r\nplain,\" padded \"\r\n"),
                                 std::string("a\tb\nx\t\"tab\there\"\nlast\tline"),
                                 // A last row of one empty cell and no line break (found by fuzz_data_table).
                                 std::string("h\nx\n\"\"")}) {
    const TableFormat format = text.find('\t') != std::string::npos ? TableFormat::kTsv : TableFormat::kCsv;
    std::istringstream in(text);
    TableReader reader(in, format);
    Record record;
    std::string out;
    while (true) {
      auto more = reader.Next(record);
      ASSERT_TRUE(more.ok());
      if (out.empty()) out = SerializeRow(reader.header(), format, reader.header_terminator());
      if (!*more) break;
      out += SerializeRecord(record, format);
    }
    EXPECT_EQ(out, text);
  }
}

TEST(DataTable, JsonlLinesBadLinesAndBlankLines) {
  const auto records = ReadAll("{\"a\":1}\n\nnot json\n[[[[1]]]]\n{\"b\":\"x\"}", TableFormat::kJsonl, {.max_json_depth = 3});
  ASSERT_EQ(records.size(), 4u);
  EXPECT_TRUE(records[0].error.empty());
  EXPECT_EQ(records[1].error, "not JSON");
  EXPECT_EQ(records[1].line, 3u);
  EXPECT_NE(records[2].error.find("deeper"), std::string::npos);
  EXPECT_EQ(records[3].document["b"], "x");
  EXPECT_EQ(records[3].terminator, "");
}

TEST(DataTable, TextValuesByColumn) {
  Record record;
  record.document = nlohmann::ordered_json::parse(
      R"({"id":7,"user":{"email":"a@b.example"},"messages":[{"content":"hi"},{"content":"yo"}],"tags":["x"]})");
  std::vector<std::string> seen;
  ForEachText(record, {}, [&](const std::string& column, std::string& value) {
    seen.push_back(column + "=" + value);
    value = "[" + value + "]";
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"user.email=a@b.example", "messages[].content=hi",
                                            "messages[].content=yo", "tags[]=x"}));
  EXPECT_EQ(SerializeRecord(record, TableFormat::kJsonl),
            R"({"id":7,"user":{"email":"[a@b.example]"},"messages":[{"content":"[hi]"},{"content":"[yo]"}],"tags":["[x]"]})");
}

TEST(DataTable, HostileFilesAreErrors) {
  auto first_error = [](const std::string& text, TableFormat format, TableLimits limits) {
    std::istringstream in(text);
    TableReader reader(in, format, limits);
    Record record;
    while (true) {
      auto more = reader.Next(record);
      if (!more.ok()) return more.error().message;
      if (!*more) return std::string();
    }
  };
  EXPECT_NE(first_error(std::string(100, 'x') + "\n", TableFormat::kJsonl, {.max_record_bytes = 50}).find("longer than"),
            std::string::npos);
  EXPECT_NE(first_error("h\n\"open" + std::string(100, 'x'), TableFormat::kCsv, {.max_record_bytes = 50})
                .find("longer than"),
            std::string::npos);
  EXPECT_NE(first_error("h\n\"never closed\n", TableFormat::kCsv, {}).find("never closes"), std::string::npos);
  EXPECT_NE(first_error("h\n" + std::string(1000, ','), TableFormat::kCsv, {.max_columns = 100}).find("columns"),
            std::string::npos);
  EXPECT_EQ(first_error("", TableFormat::kCsv, {}), "");  // empty: no header, no records, no error
}

TEST(DataTable, FormatByNameOrExtension) {
  EXPECT_EQ(*TableFormatOf("a/b.CSV"), TableFormat::kCsv);
  EXPECT_EQ(*TableFormatOf("b.ndjson"), TableFormat::kJsonl);
  EXPECT_EQ(*TableFormatOf("b.txt", "tsv"), TableFormat::kTsv);
  EXPECT_FALSE(TableFormatOf("b.parquet").ok());
  EXPECT_FALSE(TableFormatOf("-").ok());
  EXPECT_FALSE(TableFormatOf("b.csv", "xml").ok());
}

}  // namespace
}  // namespace modelguard::data
