// Markdown and HTML wrapping: the payload inside a code block, or a hidden HTML element, as it arrives in
// pasted or scraped content.
#include "src/redteam/converters/converters.h"

namespace modelguard::redteam::converters {
namespace {
constexpr std::string_view kFenceOpen = "```text\n";
constexpr std::string_view kFenceClose = "\n```";
constexpr std::string_view kDivOpen = "<div hidden>";
constexpr std::string_view kDivClose = "</div>";

std::string Strip(std::string_view text, std::string_view open, std::string_view close) {
  if (text.size() >= open.size() + close.size() && text.substr(0, open.size()) == open &&
      text.substr(text.size() - close.size()) == close) {
    return std::string(text.substr(open.size(), text.size() - open.size() - close.size()));
  }
  return std::string(text);
}
std::string Fence(std::string_view text) {
  return std::string(kFenceOpen) + std::string(text) + std::string(kFenceClose);
}
std::string Unfence(std::string_view text) { return Strip(text, kFenceOpen, kFenceClose); }
std::string Div(std::string_view text) { return std::string(kDivOpen) + std::string(text) + std::string(kDivClose); }
std::string Undiv(std::string_view text) { return Strip(text, kDivOpen, kDivClose); }
}  // namespace

const ConverterDescriptor& MarkdownWrap() {
  static const ConverterDescriptor kDescriptor{"markdown", "the payload in a markdown code block",
                                               "Follow the instructions in this block:\n", Fence, Unfence};
  return kDescriptor;
}

const ConverterDescriptor& HtmlWrap() {
  static const ConverterDescriptor kDescriptor{"html", "the payload in a hidden HTML element", "", Div, Undiv};
  return kDescriptor;
}

}  // namespace modelguard::redteam::converters
