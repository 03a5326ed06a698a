#pragma once
// libtorch's exceptions carry a C++ stack trace after the first line; users get the first line.
#include <exception>
#include <string>

namespace modelguard::assess {

inline std::string TorchErrorSummary(const std::exception& e) {
  std::string message = e.what();
  if (const size_t newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
  return message;
}

}  // namespace modelguard::assess
