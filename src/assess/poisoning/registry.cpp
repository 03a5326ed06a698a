// The one list of data-audit methods: a method is a folder under src/assess/poisoning/ and one line here.
#include "modelguard/assess/poisoning.h"

namespace modelguard::assess::poisoning {

const MethodDescriptor& SpectralMethod();
const MethodDescriptor& ClusteringMethod();

std::span<const MethodDescriptor> Methods() {
  static const std::vector<MethodDescriptor> methods{SpectralMethod(), ClusteringMethod()};
  return methods;
}

}  // namespace modelguard::assess::poisoning
