// What reaches the gateway from outside: server-sent-event streams from upstreams (cut at every possible
// read boundary by the splitter), bearer tokens from clients (JWT parsing and a full verification with a
// configured HS256 key), and OpenAI-style bodies (token estimates, usage, streamed text). The first byte
// picks the path; none may crash, hang or leak. The document-free body scanners must agree with the
// readings of the parsed document on every input: a disagreement aborts.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "src/gateway/filters/jwt/jwt_filter.h"
#include "src/gateway/openai.h"
#include "src/gateway/sse.h"

using namespace modelguard::gateway;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      // Read sizes come from the input too, so every split of the stream gets explored.
      SseSplitter splitter(4096);
      std::vector<std::string> events;
      size_t pos = 0, step = 1 + (data[0] >> 2);
      while (pos < input.size()) {
        const size_t n = std::min(step, input.size() - pos);
        if (!splitter.Feed(input.substr(pos, n), events).ok()) break;
        pos += n;
        step = step * 7 % 61 + 1;
      }
      for (const auto& e : events) {
        bool has_data = false;
        const std::string payload = SseData(e, has_data);
        (void)SseEvent(payload);
        const auto json = nlohmann::json::parse(payload, nullptr, false);
        (void)UsageTotalTokens(json);
        (void)StreamedTextBytes(json);
      }
      break;
    }
    case 1: {
      static const auto filter =
          *CreateFilter("jwt",
                        {{"keys", {{{"alg", "HS256"}, {"secret", "fuzzing-secret-fuzzing-secret-32b"}}}},
                         {"audience", "a"},
                         {"issuer", "i"}},
                        {});
      (void)SplitJwt(input);
      RequestContext request;
      request.route = "r";
      request.headers["authorization"] = "Bearer " + std::string(input);
      (void)filter->OnRequest(request);
      break;
    }
    default: {
      const auto body = nlohmann::json::parse(input, nullptr, false);
      const auto usage = UsageTotalTokens(body);
      const auto facts = ScanRequestBody(input);
      // nlohmann stops at a NUL byte as if the text ended there; the gateway refuses any (see server.cpp).
      const bool valid = !body.is_discarded() && input.find('\0') == std::string_view::npos;
      if (facts.valid != valid || (valid && facts.object != body.is_object())) std::abort();
      if (facts.object) {
        const auto model = body.find("model");
        if (facts.model != (model != body.end() && model->is_string() ? model->get<std::string>() : "")) std::abort();
        const auto stream = body.find("stream");
        if (facts.stream != (stream != body.end() && stream->is_boolean() && stream->get<bool>())) std::abort();
        // The scan's prompt estimate and output cap are the document's, whatever the nesting and duplicates.
        if (facts.prompt_tokens != EstimatePromptTokens(body) || facts.max_tokens != RequestedMaxTokens(body))
          std::abort();
      }
      if (valid && ScanUsageTotalTokens(input) != usage) std::abort();
      break;
    }
  }
  return 0;
}
