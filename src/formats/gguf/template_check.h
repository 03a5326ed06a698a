#pragma once
// Server-side template injection in Jinja chat templates (GGUF tokenizer.chat_template, Hugging Face
// tokenizer_config.json). Templates are rendered by jinja2 / minja in the inference server; one that
// reaches __class__.__mro__ ... __subclasses__() or a module's __globals__ runs code there.
#include <string>
#include <string_view>
#include <vector>

namespace modelguard::formats::gguf {

// One message per dangerous construct found in the template's code blocks ({{ }}, {% %}); empty if none.
std::vector<std::string> CheckTemplate(std::string_view source);

}  // namespace modelguard::formats::gguf
