// CycloneDX 1.6/1.7 JSON (facts from the official schema: component types, modelCard layout, hash
// algorithm names, external reference types, property objects). Hugging Face conventions: config.json
// ("architectures", "model_type", "torch_dtype") and README.md YAML front matter ("license",
// "pipeline_tag", "datasets", "language", "base_model"). safetensors: 8-byte little-endian header length,
// then a JSON header mapping tensor names to {dtype, shape, data_offsets}.
#include "modelguard/bom/bom.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "modelguard/core/bytes.h"
#include "modelguard/core/io.h"
#include "modelguard/core/json_fields.h"
#include "modelguard/core/number_text.h"
#include "modelguard/core/version.h"
#include "modelguard/integrity/dataset.h"
#include "modelguard/integrity/manifest.h"
#include "modelguard/scan/scanner.h"

namespace modelguard::bom {
namespace {
namespace fs = std::filesystem;
using ojson = nlohmann::ordered_json;

constexpr uint64_t kMaxMetadataBytes = 16 << 20;  // config.json, README.md, safetensors headers

std::string ReadSmall(const fs::path& p, uint64_t limit = kMaxMetadataBytes) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec) || fs::file_size(p, ec) > limit) return {};
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string Trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) s = s.substr(1, s.size() - 2);
  return s;
}

// The subset of YAML model cards use in their front matter: "key: value", "key: [a, b]" and block lists.
std::map<std::string, std::vector<std::string>> FrontMatter(const std::string& text) {
  std::map<std::string, std::vector<std::string>> out;
  if (text.rfind("---", 0) != 0) return out;
  const auto end = text.find("\n---", 3);
  if (end == std::string::npos) return out;
  std::string key;
  size_t at = text.find('\n') + 1;
  while (at < end) {
    size_t nl = text.find('\n', at);
    if (nl == std::string::npos || nl > end) nl = end;
    const std::string line = text.substr(at, nl - at);
    at = nl + 1;
    if (line.empty() || line[0] == '#') continue;
    const std::string trimmed = Trim(line);
    if (trimmed.rfind("- ", 0) == 0 && !key.empty() && line[0] != '\t') {
      out[key].push_back(Trim(trimmed.substr(2)));
      continue;
    }
    if (line[0] == ' ') continue;  // nested mappings (model-index, widgets) are not needed
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    key = Trim(line.substr(0, colon));
    std::string value = Trim(line.substr(colon + 1));
    if (value.size() >= 2 && value.front() == '[' && value.back() == ']') {
      value = value.substr(1, value.size() - 2);
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        const std::string item = Trim(value.substr(start, comma - start));
        if (!item.empty()) out[key].push_back(item);
        start = comma + 1;
      }
    } else if (!value.empty()) {
      out[key].push_back(value);
    } else {
      out[key];
    }
  }
  return out;
}

// SPDX identifiers for the licence names model cards use most; anything else is kept as a licence name.
std::string SpdxId(const std::string& name) {
  static const std::map<std::string, std::string> kIds = {{"apache-2.0", "Apache-2.0"},
                                                          {"mit", "MIT"},
                                                          {"bsd-2-clause", "BSD-2-Clause"},
                                                          {"bsd-3-clause", "BSD-3-Clause"},
                                                          {"gpl-2.0", "GPL-2.0-only"},
                                                          {"gpl-3.0", "GPL-3.0-only"},
                                                          {"lgpl-3.0", "LGPL-3.0-only"},
                                                          {"agpl-3.0", "AGPL-3.0-only"},
                                                          {"mpl-2.0", "MPL-2.0"},
                                                          {"cc0-1.0", "CC0-1.0"},
                                                          {"cc-by-4.0", "CC-BY-4.0"},
                                                          {"cc-by-sa-4.0", "CC-BY-SA-4.0"},
                                                          {"cc-by-nc-4.0", "CC-BY-NC-4.0"},
                                                          {"cc-by-nc-sa-4.0", "CC-BY-NC-SA-4.0"},
                                                          {"cc-by-nc-nd-4.0", "CC-BY-NC-ND-4.0"},
                                                          {"unlicense", "Unlicense"},
                                                          {"artistic-2.0", "Artistic-2.0"},
                                                          {"bsl-1.0", "BSL-1.0"},
                                                          {"epl-2.0", "EPL-2.0"},
                                                          {"isc", "ISC"},
                                                          {"openrail", ""}};
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto it = kIds.find(lower);
  return it == kIds.end() ? "" : it->second;
}

std::string RandomUuid() {
  std::random_device rd;
  uint8_t b[16];
  for (auto& x : b) x = static_cast<uint8_t>(rd());
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  const std::string hex = HexEncode(std::span<const uint8_t>(b));
  return "urn:uuid:" + hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) +
         "-" + hex.substr(20);
}

ojson Property(const std::string& name, const std::string& value) { return {{"name", name}, {"value", value}}; }

}  // namespace

uint64_t SafetensorsParameterCount(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  uint8_t size_bytes[8];
  if (!in.read(reinterpret_cast<char*>(size_bytes), 8)) return 0;
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | size_bytes[i];
  std::error_code ec;
  const uint64_t file_size = fs::file_size(path, ec);
  if (ec || header_size < 2 || header_size > kMaxMetadataBytes || header_size > file_size - 8) return 0;
  std::string header(header_size, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_size))) return 0;
  const auto doc = nlohmann::json::parse(header, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return 0;
  uint64_t total = 0;
  for (const auto& [name, tensor] : doc.items()) {
    if (name == "__metadata__" || !tensor.is_object() || !tensor.contains("shape") || !tensor["shape"].is_array())
      continue;
    uint64_t count = 1;
    for (const auto& dim : tensor["shape"]) {
      if (!dim.is_number_unsigned()) return 0;
      const uint64_t d = dim.get<uint64_t>();
      if (d != 0 && count > UINT64_MAX / d) return 0;  // a header that claims more elements than exist
      count *= d;
    }
    if (total > UINT64_MAX - count) return 0;
    total += count;
  }
  return total;
}

ModelFacts ReadModelFacts(const std::string& model_path) {
  ModelFacts facts;
  std::error_code ec;
  const bool directory = fs::is_directory(model_path, ec);
  const fs::path dir = directory ? fs::path(model_path) : fs::path(model_path).parent_path();
  const auto config = nlohmann::json::parse(ReadSmall(dir / "config.json"), nullptr, false);
  if (config.is_object()) {
    if (config.contains("architectures") && config["architectures"].is_array() && !config["architectures"].empty() &&
        config["architectures"][0].is_string()) {
      facts.architecture = config["architectures"][0].get<std::string>();
    }
    if (config.contains("model_type") && config["model_type"].is_string())
      facts.family = config["model_type"].get<std::string>();
    if (config.contains("torch_dtype") && config["torch_dtype"].is_string())
      facts.dtype = config["torch_dtype"].get<std::string>();
    if (config.contains("num_parameters") && config["num_parameters"].is_number_unsigned()) {
      facts.parameters = config["num_parameters"].get<uint64_t>();
    }
  }
  const auto card = FrontMatter(ReadSmall(dir / "README.md"));
  auto first = [&](const char* key) {
    auto it = card.find(key);
    return it == card.end() || it->second.empty() ? std::string() : it->second.front();
  };
  facts.license = first("license");
  facts.task = first("pipeline_tag");
  facts.base_model = first("base_model");
  if (auto it = card.find("datasets"); it != card.end()) facts.datasets = it->second;
  if (auto it = card.find("language"); it != card.end()) facts.languages = it->second;

  uint64_t from_weights = 0;
  if (directory) {
    for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end; it != end;
         it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().extension() == ".safetensors")
        from_weights += SafetensorsParameterCount(it->path().string());
    }
  } else if (fs::path(model_path).extension() == ".safetensors") {
    from_weights = SafetensorsParameterCount(model_path);
  }
  if (from_weights) facts.parameters = from_weights;
  return facts;
}

Result<std::string> BuildBom(const BomOptions& options) {
  if (options.spec_version != "1.6" && options.spec_version != "1.7") {
    return MakeError(ErrorCode::kInvalidArgument, "CycloneDX version must be 1.6 or 1.7");
  }
  std::error_code ec;
  if (!fs::exists(options.model_path, ec))
    return MakeError(ErrorCode::kIo, "'" + options.model_path + "' does not exist");
  const bool directory = fs::is_directory(options.model_path, ec);
  const std::string model_name = fs::weakly_canonical(options.model_path, ec).filename().string();

  integrity::ManifestOptions manifest_options;
  // The signature and dataset manifests may sit inside the model directory; they are not model content.
  if (!options.signature_path.empty())
    manifest_options.ignore_paths.push_back(fs::absolute(options.signature_path).string());
  for (const auto& p : options.dataset_manifest_paths)
    manifest_options.ignore_paths.push_back(fs::absolute(p).string());
  manifest_options.jobs = options.jobs;
  MG_ASSIGN_OR_RETURN(auto manifest, integrity::BuildManifest(options.model_path, manifest_options));
  const std::string root_digest = HexEncode(manifest.root_digest);

  // Formats and the verdict come from the scanner, so the BOM says what the bytes are, not what names claim.
  std::map<std::string, std::string> formats;
  ojson scan_properties = ojson::array();
  if (options.scan) {
    MG_ASSIGN_OR_RETURN(auto policy, options.policy_path.empty()
                                         ? scan::Policy::Default()
                                         : scan::Policy::LoadWithOverrides(options.policy_path));
    scan::ScanOptions scan_options;
    scan_options.jobs = options.jobs;
    scan::Scanner scanner(policy, scan_options);
    MG_ASSIGN_OR_RETURN(auto report, scanner.Scan({options.model_path}));
    Severity worst = Severity::kInfo;
    size_t findings = 0;
    for (const auto& f : report.files) {
      const std::string relative =
          directory ? fs::path(f.path).lexically_relative(options.model_path).generic_string() : ".";
      formats[relative] = f.format;
      for (const auto& finding : f.findings) {
        if (finding.severity > Severity::kInfo) ++findings;
        worst = std::max(worst, finding.severity);
      }
    }
    scan_properties.push_back(
        Property("modelguard:scan:verdict", findings == 0 ? "clean" : std::string("findings:") + ToString(worst)));
    scan_properties.push_back(Property("modelguard:scan:findings", std::to_string(findings)));
    scan_properties.push_back(Property("modelguard:scan:tool", std::string("modelguard ") + kVersion));
  }

  const ModelFacts facts = ReadModelFacts(options.model_path);
  ojson model;
  model["type"] = "machine-learning-model";
  model["bom-ref"] = "model:" + model_name;
  model["name"] = model_name;
  if (!directory && manifest.resources.size() == 1) {
    model["hashes"] = ojson::array({{{"alg", "SHA-256"}, {"content", HexEncode(manifest.resources[0].digest)}}});
  }
  if (!facts.license.empty()) {
    const std::string id = SpdxId(facts.license);
    model["licenses"] = ojson::array({{{"license", id.empty() ? ojson{{"name", facts.license}} : ojson{{"id", id}}}}});
  }
  ojson parameters = ojson::object();
  if (!facts.task.empty()) parameters["task"] = facts.task;
  if (!facts.family.empty()) parameters["architectureFamily"] = facts.family;
  if (!facts.architecture.empty()) parameters["modelArchitecture"] = facts.architecture;
  ojson dataset_refs = ojson::array();
  ojson components = ojson::array();
  ojson depends = ojson::array();
  for (const auto& name : facts.datasets) dataset_refs.push_back({{"type", "dataset"}, {"name", name}});
  for (const auto& path : options.dataset_manifest_paths) {
    MG_ASSIGN_OR_RETURN_CONTEXT(auto text, ReadFile(path), "dataset manifest: ");
    MG_ASSIGN_OR_RETURN_CONTEXT(auto dataset, integrity::ParseDatasetManifest(text), "'" + path + "': ");
    const std::string ref = "dataset:" + dataset.name;
    uint64_t records = 0;
    for (const auto& [file, digest] : dataset.records) records += digest.count;
    ojson data_properties =
        ojson::array({Property("modelguard:manifest:root-sha256", HexEncode(dataset.files.root_digest)),
                      Property("modelguard:manifest:files", std::to_string(dataset.files.resources.size())),
                      Property("modelguard:manifest:bytes", std::to_string(dataset.files.bytes_hashed))});
    if (records) data_properties.push_back(Property("modelguard:manifest:records", std::to_string(records)));
    components.push_back({{"type", "data"},
                          {"bom-ref", ref},
                          {"name", dataset.name},
                          {"data", ojson::array({{{"type", "dataset"}, {"name", dataset.name}}})},
                          {"properties", std::move(data_properties)}});
    dataset_refs.push_back({{"ref", ref}});
    depends.push_back(ref);
  }
  if (!dataset_refs.empty()) parameters["datasets"] = std::move(dataset_refs);
  ojson card = ojson::object();
  if (!parameters.empty()) card["modelParameters"] = std::move(parameters);
  if (!facts.languages.empty()) {
    std::string joined;
    for (const auto& l : facts.languages) joined += (joined.empty() ? "" : ", ") + l;
    card["properties"] = ojson::array({Property("language", joined)});
  }
  if (!card.empty()) model["modelCard"] = std::move(card);

  if (!options.signature_path.empty()) {
    // The bundle is only read for the digest it signs (verify checks it); a field of the wrong type on the
    // way there is an error naming it.
    MG_ASSIGN_OR_RETURN_CONTEXT(auto text, ReadFile(options.signature_path), "signature: ");
    const std::string in_signature = "signature '" + options.signature_path + "': ";
    const auto bundle = nlohmann::json::parse(text, nullptr, false);
    std::string signed_digest;
    if (!bundle.is_discarded() && bundle.is_object() && bundle.contains("dsseEnvelope")) {
      const JsonField root(bundle);
      MG_ASSIGN_OR_RETURN_CONTEXT(auto envelope, root.ObjectOr("dsseEnvelope"), in_signature);
      MG_ASSIGN_OR_RETURN_CONTEXT(const std::string b64, envelope.StringOr("payload", ""), in_signature);
      const auto payload = nlohmann::json::parse(Base64Decode(b64).value_or(""), nullptr, false);
      if (payload.is_object()) {
        const std::string in_payload = in_signature + "the DSSE payload: ";
        const JsonField statement(payload);
        MG_ASSIGN_OR_RETURN_CONTEXT(auto subjects, statement.ElementsOr("subject"), in_payload);
        if (!subjects.empty()) {
          MG_ASSIGN_OR_RETURN_CONTEXT(auto digest, subjects[0].ObjectOr("digest"), in_payload);
          MG_ASSIGN_OR_RETURN_CONTEXT(signed_digest, digest.StringOr("sha256", ""), in_payload);
        }
      }
    }
    model["externalReferences"] =
        ojson::array({{{"type", "digital-signature"},
                       {"url", "file://" + fs::absolute(options.signature_path).generic_string()},
                       {"comment", "OpenSSF model-signing bundle (Sigstore bundle v0.3, DSSE, in-toto)"}}});
    scan_properties.push_back(
        Property("modelguard:signature:subject-sha256", signed_digest.empty() ? "unreadable" : signed_digest));
    scan_properties.push_back(
        Property("modelguard:signature:matches-model", signed_digest == root_digest ? "true" : "false"));
  }

  ojson model_properties = ojson::array();
  model_properties.push_back(Property("modelguard:manifest:root-sha256", root_digest));
  model_properties.push_back(Property("modelguard:manifest:files", std::to_string(manifest.resources.size())));
  model_properties.push_back(Property("modelguard:manifest:bytes", std::to_string(manifest.bytes_hashed)));
  if (facts.parameters) model_properties.push_back(Property("modelguard:parameters", std::to_string(facts.parameters)));
  if (!facts.dtype.empty()) model_properties.push_back(Property("modelguard:dtype", facts.dtype));
  if (!facts.base_model.empty()) model_properties.push_back(Property("modelguard:base-model", facts.base_model));
  if (auto it = formats.find("."); !directory && it != formats.end())
    model_properties.push_back(Property("modelguard:format", it->second));
  for (auto& p : scan_properties) model_properties.push_back(std::move(p));
  model["properties"] = std::move(model_properties);

  if (directory) {
    for (const auto& r : manifest.resources) {
      ojson file;
      file["type"] = "file";
      file["bom-ref"] = "file:" + r.name;
      file["name"] = r.name;
      if (manifest.algorithm == integrity::DigestAlgorithm::kSha256) {
        file["hashes"] = ojson::array({{{"alg", "SHA-256"}, {"content", HexEncode(r.digest)}}});
      }
      if (auto it = formats.find(r.name); it != formats.end())
        file["properties"] = ojson::array({Property("modelguard:format", it->second)});
      depends.push_back(file["bom-ref"]);
      components.push_back(std::move(file));
    }
  }

  ojson bom;
  bom["$schema"] = "http://cyclonedx.org/schema/bom-" + options.spec_version + ".schema.json";
  bom["bomFormat"] = "CycloneDX";
  bom["specVersion"] = options.spec_version;
  bom["serialNumber"] = RandomUuid();
  bom["version"] = 1;
  bom["metadata"] = {
      {"timestamp", NowIso8601Utc()},
      {"tools",
       {{"components", ojson::array({{{"type", "application"}, {"name", "modelguard"}, {"version", kVersion}}})}}},
      {"component", model}};
  if (!components.empty()) bom["components"] = std::move(components);
  bom["dependencies"] = ojson::array({{{"ref", model["bom-ref"]}, {"dependsOn", std::move(depends)}}});
  // Model cards and configs are not always UTF-8: invalid bytes become U+FFFD instead of a type_error abort.
  return bom.dump(2, ' ', false, ojson::error_handler_t::replace) + "\n";
}

}  // namespace modelguard::bom
