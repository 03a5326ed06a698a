#pragma once
// JSON Lines as rows whose nested objects are flattened to dotted columns ({"a": {"b": 1}} -> "a.b"), so an
// audit log's `signals` object is a set of columns. Arrays are kept as one JSON cell (they are lists, not
// values to compare); nesting deeper than kMaxFlattenDepth is kept as JSON too.
#include <istream>
#include <memory>
#include <string>

#include "modelguard/core/result.h"
#include "modelguard/data/source.h"

namespace modelguard::monitor {

inline constexpr int kMaxFlattenDepth = 4;
inline constexpr size_t kMaxFlatColumns = 4096;  // distinct dotted names over the file; beyond: an error

// `path` must be a regular file.
Result<std::unique_ptr<data::DatasetSource>> OpenFlatJsonl(const std::string& path);
// Over a stream the source owns (tests and the fuzz target).
std::unique_ptr<data::DatasetSource> FlatJsonlFromStream(std::unique_ptr<std::istream> in);

}  // namespace modelguard::monitor
