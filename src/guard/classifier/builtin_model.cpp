// The shipped classifier (models/guard/injection.mgm) is assembled into the binary, so the gateway and the
// CLI need no model path and cannot load a different model by accident.
#include "src/guard/classifier/classifier.h"

#ifdef MODELGUARD_GUARD_MODEL
asm(".pushsection .rodata\n"
    ".balign 16\n"
    ".global modelguard_guard_model_begin\n"
    ".hidden modelguard_guard_model_begin\n"
    "modelguard_guard_model_begin:\n"
    ".incbin \"" MODELGUARD_GUARD_MODEL
    "\"\n"
    ".global modelguard_guard_model_end\n"
    ".hidden modelguard_guard_model_end\n"
    "modelguard_guard_model_end:\n"
    ".popsection\n");
extern "C" const char modelguard_guard_model_begin[];
extern "C" const char modelguard_guard_model_end[];
#endif

namespace modelguard::guard {

Result<std::shared_ptr<const InjectionModel>> InjectionModel::Builtin() {
#ifdef MODELGUARD_GUARD_MODEL
  static const auto model = Load(std::string_view(
      modelguard_guard_model_begin, static_cast<size_t>(modelguard_guard_model_end - modelguard_guard_model_begin)));
  return model;
#else
  return MakeError(ErrorCode::kUnsupported,
                   "this build has no built-in guard model: run scripts/train-guard, or pass --model");
#endif
}

}  // namespace modelguard::guard
