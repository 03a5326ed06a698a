// What `modelguard bom` reads from a model it describes as CycloneDX: Hugging Face config.json, the README's
// YAML front matter, safetensors headers (parameter count), the model-signing bundle given with
// --signature and dataset manifests given with --dataset. The first byte picks which file the rest of the
// input becomes (the others are absent); the BOM is built without the scanner (its parsers have their own
// targets) and must be JSON.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "modelguard/bom/bom.h"

namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const fs::path root = [] {
    const auto d = fs::temp_directory_path() / ("mg-fuzz-bom-" + std::to_string(getpid()));
    for (int kind = 0; kind < 5; ++kind) fs::create_directories(d / std::to_string(kind) / "model");
    return d;
  }();
  const int kind = data[0] % 5;
  const fs::path dir = root / std::to_string(kind);
  static const char* const kNames[] = {"model/config.json", "model/README.md", "model/model.safetensors", "model.sig",
                                       "dataset.manifest.json"};
  {
    std::ofstream out(dir / kNames[kind], std::ios::binary | std::ios::trunc);
    out.write(input.data(), static_cast<std::streamsize>(input.size()));
  }
  modelguard::bom::BomOptions options;
  options.model_path = (dir / "model").string();
  options.scan = false;
  options.jobs = 1;
  options.spec_version = data[0] & 8 ? "1.7" : "1.6";
  if (kind == 3) options.signature_path = (dir / kNames[3]).string();
  if (kind == 4) options.dataset_manifest_paths = {(dir / kNames[4]).string()};
  const auto bom = modelguard::bom::BuildBom(options);
  if (bom.ok() && nlohmann::json::parse(*bom, nullptr, false).is_discarded()) __builtin_trap();
  return 0;
}
