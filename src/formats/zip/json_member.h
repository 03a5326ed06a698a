#pragma once
// Archives identified by one JSON member (Keras v3 config.json, skops schema.json): sniffing by member
// name, and handing that member's parsed JSON to a checker while every other member is analysed as usual.
#include <functional>
#include <nlohmann/json.hpp>
#include <string_view>

#include "src/formats/zip/zip_reader.h"

namespace modelguard::formats::zip {

// True when the archive's central directory (or local headers) name every one of `members`.
bool HasMembers(ByteView data, std::initializer_list<std::string_view> members);

// Analyses all members; `member` is parsed as bounded JSON and given to `check` (with the member's header
// offset) instead of being sniffed. Invalid JSON is a parse-error fact.
void AnalyzeWithJsonMember(ByteView data, AnalysisContext& ctx, std::string_view member,
                           const std::function<void(const nlohmann::json&, uint64_t offset)>& check);

}  // namespace modelguard::formats::zip
