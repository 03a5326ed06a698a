#include "modelguard/integrity/dataset.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "modelguard/core/bytes.h"
#include "modelguard/core/cancel.h"
#include "modelguard/core/io.h"
#include "modelguard/core/json_fields.h"

namespace modelguard::integrity {
namespace {
namespace fs = std::filesystem;

bool RecordFile(const std::string& name, bool& csv) {
  const auto ext = fs::path(name).extension().string();
  csv = ext == ".csv";
  return csv || ext == ".jsonl" || ext == ".ndjson";
}

// Records are hashed from a read-only mapping: files can be far larger than memory.
Result<RecordDigest> HashRecords(const fs::path& path, bool csv) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError(ErrorCode::kIo, "cannot read '" + path.string() + "'");
  struct stat st {};
  ::fstat(fd, &st);
  RecordDigest digest;
  std::vector<merkle::Hash> leaves;
  if (st.st_size > 0) {
    void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      ::close(fd);
      return MakeError(ErrorCode::kIo, "cannot map '" + path.string() + "'");
    }
    for (const auto record : SplitRecords({static_cast<const char*>(map), static_cast<size_t>(st.st_size)}, csv)) {
      leaves.push_back(merkle::LeafHash({reinterpret_cast<const uint8_t*>(record.data()), record.size()}));
    }
    ::munmap(map, static_cast<size_t>(st.st_size));
  }
  ::close(fd);
  digest.count = leaves.size();
  digest.root = merkle::Root(leaves);
  return digest;
}

// Digests are read back in the lower-case spelling DatasetManifestJson gives them.
std::optional<std::vector<uint8_t>> FromHex(const std::string& hex) {
  auto bytes = HexDecode(hex, HexCase::kLowerOnly);
  if (!bytes) return std::nullopt;
  return std::vector<uint8_t>(bytes->begin(), bytes->end());
}

}  // namespace

std::vector<std::string_view> SplitRecords(std::string_view data, bool csv) {
  std::vector<std::string_view> records;
  size_t start = 0;
  bool quoted = false;
  for (size_t i = 0; i <= data.size(); ++i) {
    const bool end = i == data.size();
    if (!end && csv && data[i] == '"') quoted = !quoted;  // "" inside quotes toggles twice: still quoted
    if (end || (data[i] == '\n' && !quoted)) {
      std::string_view record = data.substr(start, i - start);
      if (!record.empty() && record.back() == '\r') record.remove_suffix(1);
      if (!record.empty()) records.push_back(record);
      start = i + 1;
    }
  }
  return records;
}

Result<DatasetManifest> BuildDatasetManifest(const std::string& path, const DatasetOptions& options) {
  DatasetManifest out;
  std::error_code ec;
  out.name = fs::weakly_canonical(path, ec).filename().string();
  // The manifest is JSON, which holds only UTF-8 (its file names are checked by BuildManifest).
  if (!IsValidUtf8(out.name)) {
    return MakeError(ErrorCode::kInvalidArgument, "the dataset's name is not valid UTF-8: '" +
                                                      EscapeControlCharacters(out.name) +
                                                      "' (the manifest names it in JSON): rename it");
  }
  MG_ASSIGN_OR_RETURN(auto files, BuildManifest(path, options.files));
  out.files = std::move(files);
  if (options.records) {
    const bool single = !fs::is_directory(path);
    for (const auto& r : out.files.resources) {
      bool csv = false;
      const std::string& file_name = single ? path : r.name;
      if (!RecordFile(file_name, csv) || out.records.contains(r.name)) continue;
      MG_TRY(cancel::Check("hashing records"));  // between files: SIGINT/SIGTERM
      MG_ASSIGN_OR_RETURN(auto digest, HashRecords(single ? fs::path(path) : fs::path(path) / r.name, csv));
      out.records[r.name] = digest;
    }
  }
  return out;
}

std::string DatasetManifestJson(const DatasetManifest& m) {
  nlohmann::ordered_json doc;
  doc["schema"] = "modelguard.dataset-manifest/v1";
  doc["name"] = m.name;
  doc["method"] = m.files.method == ManifestMethod::kShards ? "shards" : "files";
  doc["hash"] = ToString(m.files.algorithm);
  if (m.files.method == ManifestMethod::kShards) doc["shard_size"] = m.files.shard_size;
  doc["root_digest"] = HexEncode(m.files.root_digest);
  doc["bytes"] = m.files.bytes_hashed;
  doc["record_hashing"] = !m.records.empty();
  auto resources = nlohmann::ordered_json::array();
  for (const auto& r : m.files.resources) {
    nlohmann::ordered_json item;
    item["name"] = r.name;
    if (m.files.method == ManifestMethod::kShards) {
      item["start"] = r.start;
      item["end"] = r.end;
    }
    item["digest"] = HexEncode(r.digest);
    if (auto it = m.records.find(r.name); it != m.records.end() && r.start == 0) {
      item["records"] = {{"count", it->second.count}, {"merkle_root", HexEncode(it->second.root)}};
    }
    resources.push_back(std::move(item));
  }
  doc["resources"] = std::move(resources);
  return doc.dump(2) + "\n";
}

Result<DatasetManifest> ParseDatasetManifest(std::string_view text) {
  const auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return MakeError(ErrorCode::kParse, "not a modelguard.dataset-manifest/v1 document (not a JSON object)");
  const JsonField root(doc);
  MG_ASSIGN_OR_RETURN(const std::string schema, root.StringOr("schema", ""));
  if (schema != "modelguard.dataset-manifest/v1")
    return MakeError(ErrorCode::kParse, "not a modelguard.dataset-manifest/v1 document");
  DatasetManifest m;
  MG_ASSIGN_OR_RETURN(m.name, root.StringOr("name", ""));
  MG_ASSIGN_OR_RETURN(const std::string method, root.StringOr("method", "files"));
  m.files.method = method == "shards" ? ManifestMethod::kShards : ManifestMethod::kFiles;
  MG_ASSIGN_OR_RETURN(const std::string hash, root.StringOr("hash", "sha256"));
  if (hash != "sha256" && hash != "blake2b") return MakeError(ErrorCode::kParse, "unknown hash '" + hash + "'");
  m.files.algorithm = hash == "blake2b" ? DigestAlgorithm::kBlake2b : DigestAlgorithm::kSha256;
  MG_ASSIGN_OR_RETURN(m.files.shard_size, root.UnsignedOr("shard_size", 0));
  MG_ASSIGN_OR_RETURN(const std::string root_hex, root.StringOr("root_digest", ""));
  auto root_digest = FromHex(root_hex);
  if (!root_digest || root_digest->size() != 32)
    return MakeError(ErrorCode::kParse, "the manifest's root digest is not SHA-256 hex");
  m.files.root_digest = *root_digest;
  MG_ASSIGN_OR_RETURN(auto resources, root.At("resources"));
  MG_ASSIGN_OR_RETURN(auto items, resources.Elements());
  for (const auto& item : items) {
    ResourceDigest r;
    MG_ASSIGN_OR_RETURN(auto name, item.At("name"));
    MG_ASSIGN_OR_RETURN(r.name, name.String());
    MG_ASSIGN_OR_RETURN(r.start, item.UnsignedOr("start", 0));
    MG_ASSIGN_OR_RETURN(r.end, item.UnsignedOr("end", 0));
    MG_ASSIGN_OR_RETURN(auto digest_field, item.At("digest"));
    MG_ASSIGN_OR_RETURN(const std::string digest_hex, digest_field.String());
    auto digest = FromHex(digest_hex);
    if (!digest) return MakeError(ErrorCode::kParse, "resource '" + r.name + "' has a malformed digest");
    r.digest = *digest;
    MG_ASSIGN_OR_RETURN(auto records, item.Find("records"));
    if (records) {
      MG_ASSIGN_OR_RETURN(auto merkle_root, records->At("merkle_root"));
      MG_ASSIGN_OR_RETURN(const std::string merkle_hex, merkle_root.String());
      auto rec_root = FromHex(merkle_hex);
      if (!rec_root || rec_root->size() != 32)
        return MakeError(ErrorCode::kParse, "resource '" + r.name + "' has a malformed record root");
      RecordDigest rd;
      MG_ASSIGN_OR_RETURN(auto count, records->At("count"));
      MG_ASSIGN_OR_RETURN(rd.count, count.Unsigned());
      std::copy(rec_root->begin(), rec_root->end(), rd.root.begin());
      m.records[r.name] = rd;
    }
    m.files.resources.push_back(std::move(r));
  }
  return m;
}

DatasetOptions OptionsOf(const DatasetManifest& m) {
  DatasetOptions o;
  o.files.method = m.files.method;
  o.files.algorithm = m.files.algorithm;
  if (m.files.shard_size) o.files.shard_size = m.files.shard_size;
  o.records = !m.records.empty();
  return o;
}

DatasetComparison CompareDatasets(const DatasetManifest& expected, const DatasetManifest& actual) {
  DatasetComparison out;
  std::map<std::string, std::string> want, have;
  for (const auto& r : expected.files.resources) want[ResourceName(expected.files, r)] = HexEncode(r.digest);
  for (const auto& r : actual.files.resources) have[ResourceName(actual.files, r)] = HexEncode(r.digest);
  out.files = CompareDigests(want, have);
  for (const auto& [name, records] : expected.records) {
    auto it = actual.records.find(name);
    if (it == actual.records.end()) continue;  // the file itself is reported missing
    if (it->second.count != records.count) {
      out.records.push_back(name + ": " + std::to_string(records.count) + " records signed, " +
                            std::to_string(it->second.count) + " now");
    } else if (it->second.root != records.root) {
      out.records.push_back(name + ": same number of records (" + std::to_string(records.count) +
                            "), different content");
    }
  }
  return out;
}

}  // namespace modelguard::integrity
