// Standalone Jinja templates (issue 17): detected by content, not misread as JSON, checked for SSTI.
#include <gtest/gtest.h>

#include "modelguard/formats/format.h"
#include "test_support.h"

namespace modelguard::formats {
namespace {

using modelguard::testing::Analyze;
using modelguard::testing::Bytes;
using modelguard::testing::HasFact;

std::string Detected(std::string_view text) {
  const auto data = Bytes(text);
  const FormatAnalyzer* a = Detect({data.data(), data.size()});
  return a == nullptr ? "none" : std::string(a->name());
}

TEST(JinjaFormat, TemplatesAreDetectedByContent) {
  EXPECT_EQ(Detected("{%- for message in messages %}{{ message['content'] }}{%- endfor %}"), "jinja");
  EXPECT_EQ(Detected("{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}"), "jinja");
  EXPECT_EQ(Detected("{# comment #}\nText"), "jinja");
  EXPECT_EQ(Detected("### Instruction:\n{{ instruction }}\n### Response:\n"), "jinja");
  // A JSON config holding a template stays a config, plain text stays unknown.
  EXPECT_EQ(Detected(R"({"chat_template": "{% for m in messages %}{{ m }}{% endfor %}"})"), "config");
  EXPECT_EQ(Detected("This directory holds a model.\n"), "none");
  EXPECT_EQ(Detected("{{ unclosed"), "jinja");  // starts with a tag: never JSON
  EXPECT_EQ(Detected("a { b } {{ c"), "none");
  // Cut inside an expression: still a template (a truncated one); a stray "{{" followed by more lines is not.
  EXPECT_EQ(Detected("Hello {{ lipsum['__glob' ~ 'als__']['os']."), "jinja");
  EXPECT_EQ(Detected("x = f'{{' + name.upper()\nprint(x)\n"), "none");
}

TEST(JinjaFormat, TemplateCutInsideATagIsABrokenTemplateAndStillChecked) {
  const auto facts = Analyze(Bytes("Hello {{ lipsum['__glob' ~ 'als__']['os'].sys"));
  EXPECT_TRUE(HasFact(facts, "format", "jinja"));
  EXPECT_TRUE(HasFact(facts, "parse-error"));
  EXPECT_TRUE(HasFact(facts, "jinja.template-injection"));
}

TEST(JinjaFormat, BenignChatTemplateIsCleanAndNotAParseError) {
  const auto facts =
      Analyze(Bytes("{%- set ns = namespace(found=false) %}\n{%- for message in messages %}\n"
                    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] | trim + '<|im_end|>\\n' }}\n"
                    "{%- endfor %}\n{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}\n"));
  EXPECT_TRUE(HasFact(facts, "format", "jinja"));
  EXPECT_FALSE(HasFact(facts, "parse-error"));
  EXPECT_FALSE(HasFact(facts, "jinja.template-injection"));
}

TEST(JinjaFormat, SstiGadgetsAreFound) {
  for (const char* t : {
           "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
           "{{ ''.__class__.__mro__[1].__subclasses__() }}",
           "{{ lipsum['__glob' ~ 'als__']['os'].system('id') }}",
           "{{ joiner.__init__.__globals__ }}",
           "{{ namespace.__init__.__globals__ }}",
           "{{ namespace['x'] }}",
           "{% set x = cycler|attr('\\x5f\\x5finit\\x5f\\x5f') %}{{ x }}",
       }) {
    EXPECT_TRUE(HasFact(Analyze(Bytes(t)), "jinja.template-injection")) << t;
  }
}

}  // namespace
}  // namespace modelguard::formats
