// Facts from keras/src/saving/serialization_lib.py (Keras 3) and keras/utils/generic_utils.py (Keras 2):
// every object config {"module", "class_name", "registered_name", "config"} is resolved by importing
// `module` and taking `class_name` (registered_name "pkg>Name" for custom objects); Lambda layers carry
// marshalled Python bytecode (Keras 3: {"class_name": "__lambda__", "config": {"code": base64}}, Keras 2
// H5: "function" + "function_type": "lambda"); safe_mode guards only the Lambda path (CVE-2025-1550
// imported arbitrary modules through `module`; CVE-2025-9906 turned safe mode off from inside a config).
#include "src/formats/keras/keras_config.h"

#include <set>
#include <string>

namespace modelguard::formats::keras {
namespace {

constexpr int kMaxDepth = 200;

struct Walker {
  uint64_t offset;
  AnalysisContext& ctx;
  std::set<std::string> seen;

  void Once(FactKind kind, const std::string& subject, const std::string& name, std::string detail) {
    if (seen.insert(std::string(kind.id()) + "\x1f" + subject + "\x1f" + name).second) {
      ctx.Emit(kind, offset, subject, std::move(detail), name);
    }
  }

  void Walk(const nlohmann::json& j, int depth) {
    if (depth > kMaxDepth) return;
    if (j.is_string()) {
      const auto& s = j.get_ref<const std::string&>();
      if (s.find("enable_unsafe_deserialization") != std::string::npos) {
        Once(fact::kKerasUnsafeDeserialization, s.substr(0, 200), "",
             "the configuration references enable_unsafe_deserialization, switching safe_mode off while loading");
      }
      return;
    }
    if (j.is_array()) {
      for (const auto& item : j) Walk(item, depth + 1);
      return;
    }
    if (!j.is_object()) return;
    const auto str = [&](const char* key) -> std::string {
      auto it = j.find(key);
      return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string class_name = str("class_name");
    const std::string module = str("module");
    const std::string registered = str("registered_name");
    if (class_name == "Lambda" || class_name == "__lambda__" || str("function_type") == "lambda") {
      Once(fact::kKerasLambda, str("name").empty() ? class_name : str("name"), "",
           "Lambda layer with serialized Python code: loading it (with safe_mode off) runs that code");
    }
    if (class_name == "TorchModuleWrapper") {
      Once(fact::kKerasTorchModule, str("name"), "",
           "TorchModuleWrapper deserializes a pickled torch module (torch.load)");
    }
    if (!module.empty() && !class_name.empty()) {
      // Functions are referenced as {"class_name": "function", "config": "<name>", "module": ...}.
      const std::string target = class_name == "function" && j.contains("config") && j["config"].is_string()
                                     ? j["config"].get<std::string>()
                                     : class_name;
      Once(fact::kKerasImport, module, target, "deserialization imports " + module + "." + target);
    }
    if (auto gt = registered.find('>'); gt != std::string::npos) {
      Once(fact::kKerasImport, registered.substr(0, gt), registered.substr(gt + 1),
           "registered custom object " + registered + " is imported from package " + registered.substr(0, gt));
    }
    for (const auto& [key, value] : j.items()) Walk(value, depth + 1);
  }
};

}  // namespace

void CheckConfig(const nlohmann::json& config, uint64_t offset, AnalysisContext& ctx) {
  Walker w{offset, ctx, {}};
  w.Walk(config, 0);
}

}  // namespace modelguard::formats::keras
