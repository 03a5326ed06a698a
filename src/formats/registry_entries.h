#pragma once
// Factories of every format analyzer listed in formats.def. A format folder defines its factory with
// MODELGUARD_REGISTER_FORMAT(folder, AnalyzerClass); registry.cpp collects them from formats.def.
#include <memory>

#include "modelguard/formats/format.h"

#define MODELGUARD_FORMAT_FACTORY(folder) MakeFormat_##folder
#define MODELGUARD_REGISTER_FORMAT(folder, Analyzer)                                           \
  std::unique_ptr<::modelguard::formats::FormatAnalyzer> MODELGUARD_FORMAT_FACTORY(folder)() { \
    return std::make_unique<Analyzer>();                                                       \
  }

namespace modelguard::formats {

#define MODELGUARD_FORMAT(folder) std::unique_ptr<FormatAnalyzer> MODELGUARD_FORMAT_FACTORY(folder)();
#include "src/formats/formats.def"
#undef MODELGUARD_FORMAT

}  // namespace modelguard::formats
