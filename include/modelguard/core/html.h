#pragma once
// Text placed into an HTML page (the assessment and red-team reports): the five characters that could end
// an element or an attribute value are written as entities, so report contents (model answers, targets,
// labels) are shown, never interpreted.
#include <string>
#include <string_view>

namespace modelguard {

std::string HtmlEscape(std::string_view text);

}  // namespace modelguard
