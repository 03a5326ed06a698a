// One pass over a dataset: column profiles, exact and near duplicates (validate.h). ValidateDataset runs
// the same pass with a schema check per cell (schema.cpp), so a dataset is read once either way.
#include <algorithm>
#include <cmath>
#include <random>
#include <unordered_map>

#include "modelguard/core/cancel.h"
#include "modelguard/data/validate.h"
#include "src/data/validate/minhash.h"
#include "src/data/validate/profiler.h"

namespace modelguard::data {
namespace {

bool IsNumeric(CellType type) { return type == CellType::kInteger || type == CellType::kNumber; }

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

const ColumnProfile* DatasetProfile::Column(const std::string& name) const {
  for (const auto& column : columns)
    if (column.name == name) return &column;
  return nullptr;
}

Profiler::Profiler(const ProfileOptions& options, SourceFormat format)
    : options_(options), random_(options.seed), near_(options.near_duplicate_threshold) {
  profile_.format = ToString(format);
}

Profiler::~Profiler() = default;

void Profiler::SyncColumns(const std::vector<std::string>& names) {
  while (profile_.columns.size() < names.size()) {
    ColumnProfile column;
    column.name = names[profile_.columns.size()];
    // The numeric sample shares one budget over all columns, so a file of 65,536 columns cannot make it
    // hold 65,536 full samples; columns that appear later (JSONL keys) get what is left, at least 200.
    const uint64_t share = options_.sample_budget / std::max<size_t>(1, names.size());
    column.sample_capacity = static_cast<size_t>(std::clamp<uint64_t>(share, 200, options_.sample_size));
    column.high_cardinality = categories_held_ >= options_.category_budget;
    profile_.columns.push_back(std::move(column));
    if (label_index_ < 0) {
      const std::string lower = Lower(profile_.columns.back().name);
      const bool named = options_.label_column.empty() ? (lower == "label" || lower == "labels" || lower == "class" ||
                                                          lower == "target" || lower == "y")
                                                       : profile_.columns.back().name == options_.label_column;
      if (named) {
        label_index_ = static_cast<int64_t>(profile_.columns.size() - 1);
        profile_.label_column = profile_.columns.back().name;
      }
    }
  }
}

void Profiler::AddCell(size_t index, const Cell& cell) {
  ColumnProfile& column = profile_.columns[index];
  if (cell.type == CellType::kMissing) {
    ++column.missing;
    return;
  }
  ++column.present;
  ++column.types[cell.type];
  if (IsNumeric(cell.type) && std::isfinite(cell.number)) {
    if (column.numeric == 0) column.min = column.max = cell.number;
    column.min = std::min(column.min, cell.number);
    column.max = std::max(column.max, cell.number);
    column.sum += cell.number;
    column.sum_squares += cell.number * cell.number;
    ++column.numeric;
    // Reservoir sampling (Vitter's algorithm R): every value seen has the same chance to be kept.
    ++column.sample_seen;
    if (column.sample.size() < column.sample_capacity) {
      column.sample.push_back(cell.number);
    } else {
      std::uniform_int_distribution<uint64_t> pick(0, column.sample_seen - 1);
      const uint64_t slot = pick(random_);
      if (slot < column.sample_capacity) column.sample[slot] = cell.number;
    }
  }
  if (cell.type == CellType::kString) {
    const uint64_t length = cell.text.size();
    if (column.strings == 0) column.min_length = column.max_length = length;
    column.min_length = std::min(column.min_length, length);
    column.max_length = std::max(column.max_length, length);
    column.total_length += length;
    ++column.strings;
  }
  if (!column.high_cardinality) {
    if (cell.text.size() > options_.max_category_bytes || cell.type == CellType::kOther) {
      column.high_cardinality = true;
    } else if (auto it = column.categories.find(cell.text); it != column.categories.end()) {
      ++it->second;
    } else if (column.categories.size() >= options_.max_categories || categories_held_ >= options_.category_budget) {
      column.high_cardinality = true;
    } else {
      column.categories.emplace(cell.text, 1);
      ++categories_held_;
    }
    if (column.high_cardinality) {
      categories_held_ -= column.categories.size();
      column.categories.clear();
    }
  }
}

void Profiler::AddRow(const Row& row, const std::vector<std::string>& names) {
  ++profile_.records;
  if (!row.problem.empty()) {
    ++profile_.problems;
    if (profile_.problem_examples.size() < options_.max_examples) profile_.problem_examples.push_back(row.problem);
    return;
  }
  SyncColumns(names);
  for (size_t i = 0; i < profile_.columns.size(); ++i) AddCell(i, i < row.cells.size() ? row.cells[i] : Cell{});

  bool exact = false;
  if (fingerprints_.size() < options_.max_fingerprints) {
    auto [it, added] = fingerprints_.emplace(row.fingerprint, row.location);
    if (!added) {
      exact = true;
      ++profile_.exact_duplicates;
      if (profile_.duplicate_examples.size() < options_.max_examples)
        profile_.duplicate_examples.emplace_back(row.location, it->second);
    }
  } else if (!fingerprints_.contains(row.fingerprint)) {
    profile_.duplicates_complete = false;
  }
  if (exact) return;  // an exact copy is not counted again as a near one
  // The row's text: its string cells long enough to be prose, joined.
  std::string text;
  for (const Cell& cell : row.cells) {
    if (cell.type != CellType::kString || cell.text.size() < options_.near_duplicate_min_length) continue;
    if (!text.empty()) text.push_back('\n');
    text += cell.text;
  }
  if (text.empty()) return;
  if (near_.size() >= options_.max_near_duplicate_records) {
    profile_.near_duplicates_complete = false;
    return;
  }
  if (auto earlier = near_.Add(row.location, text)) {
    ++profile_.near_duplicates;
    if (profile_.near_duplicate_examples.size() < options_.max_examples)
      profile_.near_duplicate_examples.emplace_back(row.location, *earlier);
  }
}

DatasetProfile Profiler::Finish(const std::vector<std::string>& names, uint64_t bytes) {
  SyncColumns(names);  // a header with no rows still names its columns
  profile_.bytes = bytes;
  return std::move(profile_);
}

Result<DatasetProfile> ProfileDataset(DatasetSource& source, const ProfileOptions& options) {
  Profiler profiler(options, source.format());
  Row row;
  while (true) {
    if (cancel::Requested()) {
      auto profile = profiler.Finish(source.columns(), source.bytes_read());
      profile.interrupted = true;
      return profile;
    }
    MG_ASSIGN_OR_RETURN(bool more, source.Next(row));
    if (!more) break;
    profiler.AddRow(row, source.columns());
  }
  return profiler.Finish(source.columns(), source.bytes_read());
}

std::vector<int64_t> NearDuplicates(const std::vector<std::string>& texts, double threshold) {
  NearDuplicateIndex index(threshold);
  std::vector<int64_t> out(texts.size(), -1);
  for (size_t i = 0; i < texts.size(); ++i)
    if (auto earlier = index.Add(i, texts[i])) out[i] = static_cast<int64_t>(*earlier);
  return out;
}

}  // namespace modelguard::data
