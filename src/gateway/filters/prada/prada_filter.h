#pragma once
// Model-extraction detection for classifier routes: PRADA (Juuti et al. 2019) per API key over the
// request's "inputs" and the answer's predicted classes, plus a per-key query budget. On alarm the
// configured action applies to the key's later requests: flag (verdict only), throttle (a per-minute
// cap) or block (403 extraction_suspected).
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {

const FilterDescriptor& PradaFilterDescriptor();

}  // namespace modelguard::gateway
