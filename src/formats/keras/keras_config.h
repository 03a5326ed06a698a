#pragma once
// Checks on a Keras model configuration (config.json of .keras v3 archives, the model_config attribute of
// legacy HDF5 files): what keras.saving deserialization would import or execute.
#include <nlohmann/json.hpp>

#include "modelguard/formats/format.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kKerasImport{"keras.import"};
inline constexpr FactKind kKerasLambda{"keras.lambda"};
inline constexpr FactKind kKerasTorchModule{"keras.torch-module"};
inline constexpr FactKind kKerasUnsafeDeserialization{"keras.unsafe-deserialization"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats::keras {

// Emits keras.lambda, keras.torch-module, keras.unsafe-deserialization and keras.import facts.
void CheckConfig(const nlohmann::json& config, uint64_t offset, AnalysisContext& ctx);

}  // namespace modelguard::formats::keras
