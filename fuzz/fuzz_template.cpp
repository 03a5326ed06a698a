// The chat-template checker on its own: the Jinja code blocks of GGUF tokenizer.chat_template,
// tokenizer_config.json's chat_template and standalone .jinja files all go through it (fuzz_jinja reaches it
// only after the jinja format's sniff accepts the text).
#include <cstdint>
#include <string_view>

#include "src/formats/gguf/template_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  (void)modelguard::formats::gguf::CheckTemplate({reinterpret_cast<const char*>(data), size});
  return 0;
}
