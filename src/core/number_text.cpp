#include "modelguard/core/number_text.h"

#include <sstream>

namespace modelguard {

std::string FixedDecimal(double value, int digits) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(digits);
  out << value;
  return out.str();
}

}  // namespace modelguard
