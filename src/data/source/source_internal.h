#pragma once
// What the table, array and image sources share inside src/data/source/.
#include <memory>
#include <string>

#include "modelguard/data/source.h"

namespace modelguard::data {

Result<std::unique_ptr<DatasetSource>> OpenArrayDataset(const std::string& path, SourceFormat format,
                                                        const SourceOptions& options);
Result<std::unique_ptr<DatasetSource>> OpenImageFolder(const std::string& path, const SourceOptions& options);

// An error unless `path` is a regular file (a FIFO would block, a directory is not a table).
Status CheckRegularFile(const std::string& path);

// The derived columns of one array or image sample (source.h): statistics of its values in [0, 1] or as
// stored, then one column per value for short feature vectors.
void AppendSampleStatistics(const float* values, size_t count, bool per_feature, std::vector<Cell>& cells);
uint64_t HashBytes(const void* data, size_t size, uint64_t seed = 1469598103934665603ull);

}  // namespace modelguard::data
