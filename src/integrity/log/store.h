#pragma once
// Where a transparency log keeps its rows. The log's logic (hashing, proofs, checkpoints, audit) is
// storage-agnostic; a store only has to append atomically (the index is the count inside one write
// transaction) and hand rows back. SQLite is the embedded default, PostgreSQL serves several writers.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/integrity/log.h"

namespace modelguard::integrity {

class LogStore {
 public:
  virtual ~LogStore() = default;
  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual Status SetMeta(const std::string& key, const std::string& value) = 0;
  virtual Result<uint64_t> Append(std::string_view kind, int64_t time, std::string_view data,
                                  const merkle::Hash& leaf) = 0;
  virtual Result<uint64_t> Count() = 0;
  virtual Result<LogEntry> Entry(uint64_t index) = 0;
  virtual Result<std::optional<uint64_t>> FindLeaf(const merkle::Hash& leaf) = 0;
  // Rows in index order; `visit` gets the index, the data and the stored leaf hash (any length).
  virtual Status ForEach(uint64_t limit, bool with_data,
                         const std::function<void(uint64_t, std::string_view, std::string_view)>& visit) = 0;
  virtual Status PutCheckpoint(uint64_t size, const merkle::Hash& root, const std::string& note) = 0;
  virtual Result<std::vector<std::pair<uint64_t, std::string>>> Checkpoints() = 0;  // (size, note) by size
};

Result<std::unique_ptr<LogStore>> OpenSqliteStore(const std::string& path, LogOpen mode);
// conninfo: a libpq connection URI (postgresql://...) or keyword string.
Result<std::unique_ptr<LogStore>> OpenPostgresStore(const std::string& conninfo, LogOpen mode);

}  // namespace modelguard::integrity
