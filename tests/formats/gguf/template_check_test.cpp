#include <gtest/gtest.h>

#include "src/formats/gguf/template_check.h"

namespace modelguard::formats::gguf {
namespace {

TEST(TemplateCheck, RealChatTemplatesAreClean) {
  // Shapes of widely used templates: namespace(), loop variables, filters, raise_exception.
  EXPECT_TRUE(CheckTemplate("{% set ns = namespace(found=false) %}{% for message in messages %}"
                            "{% if message['role'] == 'system' %}{% set ns.found = true %}{% endif %}"
                            "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] | trim + '<|im_end|>' }}"
                            "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant' }}{% endif %}")
                  .empty());
  EXPECT_TRUE(
      CheckTemplate("{{ bos_token }}{% if messages|length > 2 %}{{ raise_exception('too long') }}{% endif %}").empty());
  // Literal text outside code blocks is not code.
  EXPECT_TRUE(CheckTemplate("Python's __class__ attribute is explained here: {{ messages[0]['content'] }}").empty());
}

TEST(TemplateCheck, ClassicPayloadsAreCaught) {
  EXPECT_FALSE(CheckTemplate("{{ ''.__class__.__mro__[1].__subclasses__() }}").empty());
  EXPECT_FALSE(CheckTemplate("{{ lipsum.__globals__['os'].popen('id').read() }}").empty());
  EXPECT_FALSE(CheckTemplate("{{ cycler['__in' ~ 'it__'] }}").empty());
  EXPECT_FALSE(CheckTemplate("{{ x|attr('\\x5f\\x5fclass\\x5f\\x5f') }}").empty());
  EXPECT_FALSE(CheckTemplate("{% for c in [].__class__.__base__.__subclasses__() %}{% endfor %}").empty());
  EXPECT_FALSE(CheckTemplate("{{ self._TemplateReference__context.cycler.__init__.__globals__.os }}").empty());
}

TEST(TemplateCheck, UnterminatedBlocksAreStillChecked) {
  EXPECT_FALSE(CheckTemplate("text {{ config.__class__").empty());
}

}  // namespace
}  // namespace modelguard::formats::gguf
