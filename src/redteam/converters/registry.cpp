// The one list of converters: `redteam list`, `--converters` help, the report's per-converter rates and
// docs/redteam.md read it. To add one: a file in this folder defining its descriptor, declared in
// converters.h, and a line here.
#include <array>
#include <functional>

#include "src/redteam/converters/converters.h"

namespace modelguard::redteam {

std::span<const ConverterDescriptor> Converters() {
  static const std::array<ConverterDescriptor, 12> kList = {
      converters::None(),
      converters::Base64(),
      converters::Rot13(),
      converters::Leetspeak(),
      converters::UnicodeTags(),
      converters::Homoglyphs(),
      converters::PayloadSplit(),
      converters::MarkdownWrap(),
      converters::HtmlWrap(),
      converters::TranslateFrench(),
      converters::TranslateSpanish(),
      converters::TranslateGerman(),
  };
  return kList;
}

const ConverterDescriptor* FindConverter(std::string_view name) {
  for (const auto& converter : Converters()) {
    if (converter.name == name) return &converter;
  }
  return nullptr;
}

std::string ApplyConverter(const ConverterDescriptor& converter, std::string_view payload) {
  return std::string(converter.preamble) + converter.apply(payload);
}

}  // namespace modelguard::redteam
