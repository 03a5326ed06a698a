// The one list of data-audit methods: a method is a folder under src/assess/poisoning/ and one line here.
#include "modelguard/assess/poisoning.h"

namespace modelguard::assess::poisoning {

const MethodDescriptor& SpectralMethod();
const MethodDescriptor& ClusteringMethod();
const MethodDescriptor& LabelsMethod();
const MethodDescriptor& StripMethod();
const MethodDescriptor& CleanseMethod();

std::span<const MethodDescriptor> Methods() {
  static const std::vector<MethodDescriptor> methods{SpectralMethod(), ClusteringMethod(), LabelsMethod(),
                                                     StripMethod(), CleanseMethod()};
  return methods;
}

}  // namespace modelguard::assess::poisoning
