#pragma once
// Factories of every format analyzer; registry.cpp lists them once, in sniffing priority order.
#include <memory>

#include "modelguard/formats/format.h"

namespace modelguard::formats {

std::unique_ptr<FormatAnalyzer> MakeTorchZipAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeKerasAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeSkopsAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeSafetensorsAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeGgufAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeOnnxAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeTfliteAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeHdf5Analyzer();
std::unique_ptr<FormatAnalyzer> MakeTensorflowAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeConfigAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeZipAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeNpyAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeCompressedAnalyzer();
std::unique_ptr<FormatAnalyzer> MakeArchiveAnalyzer();  // tar and 7z through libarchive
std::unique_ptr<FormatAnalyzer> MakePickleAnalyzer();

}  // namespace modelguard::formats
