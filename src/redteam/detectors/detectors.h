#pragma once
// The detectors of the registry (registry.cpp), one file each in this folder, and what they share.
#include <initializer_list>
#include <string>
#include <string_view>

#include "modelguard/redteam/redteam.h"

namespace modelguard::redteam::detectors {

const DetectorDescriptor& CanaryLeak();
const DetectorDescriptor& GoalString();
const DetectorDescriptor& ToolCallDetector();
const DetectorDescriptor& OutputMarkup();
const DetectorDescriptor& Refusal();

// Settings checks: an object whose keys are all in `known`.
Status CheckKeys(const nlohmann::json& settings, std::initializer_list<std::string_view> known);
// The text a detector quotes as evidence: at most kMaxEvidenceBytes, cut on a UTF-8 boundary.
inline constexpr size_t kMaxEvidenceBytes = 400;
std::string Excerpt(std::string_view text, size_t begin = 0, size_t length = kMaxEvidenceBytes);
// ASCII lower case (other bytes as they are).
std::string Lower(std::string_view text);

}  // namespace modelguard::redteam::detectors
