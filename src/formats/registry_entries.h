#pragma once
// Factories of every format analyzer; registry.cpp lists them once, in sniffing priority order.
#include <memory>

#include "modelguard/formats/format.h"

namespace modelguard::formats {

std::unique_ptr<FormatAnalyzer> MakeTorchZipAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeZipAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeNpyAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeCompressedAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeArchiveAnalyzer();  // tar and 7z through libarchive
std::unique_ptr<FormatAnalyzer> MakePickleAnalyzer();

}  // namespace modelguard::formats
