#pragma once
// What the table, array and image sources share inside src/data/source/.
#include <array>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "modelguard/core/hash.h"
#include "modelguard/data/source.h"

namespace modelguard::data {

Result<std::unique_ptr<DatasetSource>> OpenArrayDataset(const std::string& path, SourceFormat format,
                                                        const SourceOptions& options);
Result<std::unique_ptr<DatasetSource>> OpenImageFolder(const std::string& path, const SourceOptions& options);
// The array readers on bytes in memory (the fuzz target's entry): `what` names them in errors.
Result<std::unique_ptr<DatasetSource>> OpenArrayBytes(std::vector<uint8_t> bytes, SourceFormat format,
                                                      const SourceOptions& options, const std::string& what,
                                                      std::optional<std::vector<uint8_t>> label_bytes = std::nullopt);
// A CSV, TSV or JSONL table from a stream the caller keeps open (the fuzz target's entry; OpenDataset
// wants a path).
std::unique_ptr<DatasetSource> OpenTableStream(std::istream& in, SourceFormat format, const TableLimits& limits);
// Decodes a PNG or JPEG image; its width, height and channels.
Result<std::array<uint32_t, 3>> DecodeImageBytes(const std::string& bytes, uint64_t max_pixels);

// An error unless `path` is a regular file (a FIFO would block, a directory is not a table).
Status CheckRegularFile(const std::string& path);

// The derived columns of one array or image sample (source.h): statistics of its values in [0, 1] or as
// stored, then one column per value for short feature vectors.
void AppendSampleStatistics(const float* values, size_t count, bool per_feature, std::vector<Cell>& cells);
uint64_t HashBytes(const void* data, size_t size, uint64_t seed = kFnv1aOffset);  // FNV-1a (core/hash.h)

}  // namespace modelguard::data
