#include "modelguard/monitor/labels.h"

#include <nlohmann/json.hpp>

#include "modelguard/core/append_file.h"

namespace modelguard::monitor {
namespace {

constexpr size_t kMaxRequestIdBytes = 256;
constexpr int64_t kMaxLabel = int64_t{1} << 53;

bool IdCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == ':' || c == '-';
}

// A CSV field without surrounding white space or double quotes (ids and class indices never need quoting).
std::string_view Field(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  return text;
}

std::vector<std::string_view> SplitComma(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t comma = line.find(',', start);
    out.push_back(Field(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

}  // namespace

Result<int64_t> ParseClassIndex(std::string_view text) {
  // At most 16 digits: 2^53 has 16, and no sum below overflows.
  if (text.empty() || text.size() > 16 || text.find_first_not_of("0123456789") != std::string_view::npos)
    return MakeError(ErrorCode::kInvalidArgument,
                     "the label '" + std::string(text.substr(0, 40)) + "' is not a class index (a whole number >= 0)");
  int64_t value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  return value;
}

Status CheckLabel(const TrueLabel& label) {
  if (label.request_id.empty() || label.request_id.size() > kMaxRequestIdBytes)
    return MakeError(ErrorCode::kInvalidArgument, "a request id has 1 to 256 characters");
  for (char c : label.request_id)
    if (!IdCharacter(c))
      return MakeError(ErrorCode::kInvalidArgument, "the request id '" + label.request_id.substr(0, 64) +
                                                        "' has a character other than A-Z a-z 0-9 . _ : -");
  if (label.label < 0 || label.label > kMaxLabel)
    return MakeError(ErrorCode::kInvalidArgument, "the label " + std::to_string(label.label) +
                                                      " is not a class index (a whole number from 0 to 2^53)");
  return Ok{};
}

std::string LabelLine(const TrueLabel& label) {
  return nlohmann::json({{"request_id", label.request_id}, {"label", label.label}}).dump();
}

Result<TrueLabel> ParseLabelLine(std::string_view line) {
  const auto doc = nlohmann::json::parse(line, nullptr, false);
  if (!doc.is_object()) return MakeError(ErrorCode::kParse, "not a JSON object");
  const auto id = doc.find("request_id");
  const auto label = doc.find("label");
  if (id == doc.end() || !id->is_string()) return MakeError(ErrorCode::kParse, "no \"request_id\" text");
  if (label == doc.end() || !label->is_number_integer() ||
      (label->is_number_unsigned() && label->get<uint64_t>() > uint64_t{kMaxLabel}))
    return MakeError(ErrorCode::kParse, "no \"label\" class index (a whole number from 0 to 2^53)");
  TrueLabel out{id->get<std::string>(), label->get<int64_t>()};
  if (auto checked = CheckLabel(out); !checked) return MakeError(ErrorCode::kParse, checked.error().message);
  return out;
}

Result<std::vector<TrueLabel>> ParseLabelsFile(std::string_view text) {
  std::vector<TrueLabel> out;
  size_t start = 0, number = 0;
  bool csv = false, decided = false;
  size_t id_column = 0, label_column = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (Field(line).empty()) continue;
    auto bad = [&](const std::string& why) {
      return MakeError(ErrorCode::kInvalidArgument, "line " + std::to_string(number) + ": " + why);
    };
    if (!decided) {
      decided = true;
      csv = Field(line).front() != '{';
      if (csv) {
        const auto header = SplitComma(line);
        bool id_found = false, label_found = false;
        for (size_t i = 0; i < header.size(); ++i) {
          if (header[i] == "request_id" && !id_found) id_column = i, id_found = true;
          if (header[i] == "label" && !label_found) label_column = i, label_found = true;
        }
        if (!id_found || !label_found)
          return bad("a CSV labels file starts with a header naming the columns request_id and label");
        continue;
      }
    }
    if (!csv) {
      auto label = ParseLabelLine(line);
      if (!label) return bad(label.error().message);
      out.push_back(std::move(*label));
      continue;
    }
    const auto fields = SplitComma(line);
    if (fields.size() <= std::max(id_column, label_column)) return bad("fewer columns than the header");
    auto value = ParseClassIndex(fields[label_column]);
    if (!value) return bad(value.error().message);
    TrueLabel label{std::string(fields[id_column]), *value};
    if (auto checked = CheckLabel(label); !checked) return bad(checked.error().message);
    out.push_back(std::move(label));
  }
  return out;
}

Status AppendLabels(const std::string& path, const std::vector<TrueLabel>& labels) {
  std::string lines;
  for (const TrueLabel& label : labels) {
    MG_TRY(CheckLabel(label));
    lines += LabelLine(label);
    lines += '\n';
  }
  return AppendToFile(path, lines);
}

}  // namespace modelguard::monitor
