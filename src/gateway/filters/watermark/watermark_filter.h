#pragma once
// Watermark scoring of answers, for operators whose upstream watermarks its output (Kirchenbauer et al.
// 2023 green lists, src/watermark): the answer's text is tokenized with the model's tokenizer and scored;
// the result goes to the audit event ("watermark") and, on whole answers, to a response header. It never
// changes or refuses an answer: a missing watermark is evidence for someone to weigh, not a verdict.
#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {

const FilterDescriptor& WatermarkFilterDescriptor();

}  // namespace modelguard::gateway
