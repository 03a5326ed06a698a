#pragma once
// The tools filter's judgement, apart from the gateway plumbing: per-tool policies, the static checks a
// call must pass (listed, allowed for the key, declared by the request, arguments valid against the
// schemas, argument rules), and the reassembly of tool calls streamed as deltas. Rates, budgets and
// approvals, which wait on shared state, are the filter's (tools_filter.cpp).
#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/schema/json_schema.h"

namespace modelguard::gateway::tools {

// One argument rule: what the value at `field` (a JSON pointer into the arguments; for a list, each item)
// must satisfy. Paths are normalised lexically ("/srv/a/../../etc" is "/etc") before the globs see them;
// `*` in a glob matches across "/".
struct ArgumentRule {
  std::string label;  // "tools.read_file.arguments[0]": the audit's rule id
  std::string field;
  std::vector<std::string> allow_globs, deny_globs;
  std::vector<std::string> hosts;                  // a URL's host must be one of these ("*.example.com")
  std::optional<schema::JsonSchema> value_schema;  // pattern, deny_pattern, minimum, maximum
};

enum class OutputAction { kAllow, kWarn, kBlock };

struct ToolPolicy {
  std::string name;
  std::vector<std::string> keys;  // empty: every key
  std::optional<schema::JsonSchema> parameters;
  bool check_declared_schema = true;
  std::vector<ArgumentRule> rules;
  double requests_per_minute = 0;  // 0: none
  int64_t calls_per_day = 0;       // 0: none
  bool approval = false;
  OutputAction output = OutputAction::kBlock;
};

struct Judgement {
  bool allowed = true;
  std::string rule;    // what decided (a label, "tools.unlisted", "declared"...); empty when allowed
  std::string reason;  // for the client and the logs
};

// A tool the request declared: its name and, when given, its parameters' schema (compiled).
struct DeclaredTool {
  std::optional<schema::JsonSchema> parameters;
};
using DeclaredTools = std::map<std::string, DeclaredTool>;

// The checks that need no shared state, in order: listed, allowed for `key_id`, declared by the request,
// arguments a JSON object valid against the policy's schema and the declared one, argument rules.
Judgement JudgeStatically(const ToolPolicy* policy, const std::string& name, std::string_view arguments,
                          const std::string& key_id, const DeclaredTools& declared);

// "/srv/./a//b/../c" -> "/srv/a/c"; backslashes count as separators; ".." never climbs above the root of an
// absolute path and stays at the front of a relative one.
std::string NormalisePath(std::string_view path);
// Whether `url` (http or https, no user information) names a host `hosts` allows.
bool HostAllowed(const std::string& url, const std::vector<std::string>& hosts, std::string& why);

// One tool call as the client will see it.
struct ToolCall {
  size_t choice = 0;
  size_t index = 0;
  bool legacy = false;  // a function_call (the API before tools), not a tool_calls entry
  std::string id, name, arguments;
};
// The tool calls of a whole (non-streamed) answer: every choice's message.tool_calls and function_call.
// Err when they are not shaped as the API says (the answer is then refused: it cannot be judged).
// Bounded as a stream is: at most 128 calls per choice, 16 choices and `max_bytes` of ids, names and arguments.
Result<std::vector<ToolCall>> ToolCallsOfAnswer(const nlohmann::json& answer, size_t max_bytes);

// Whether a JSON answer or stream event carries a tool call of the Responses API (an `output` item or an
// event item whose type ends in "_call": function_call, local_shell_call, mcp_call, ...), which this filter
// does not judge: such answers are refused rather than passed unjudged.
bool HasUnjudgedToolCall(const nlohmann::json& value);

// Collects tool calls streamed as deltas: takes them out of each chunk (the client gets each call whole,
// once judged) and hands a choice's calls over when it finishes.
class ToolCallAssembler {
 public:
  explicit ToolCallAssembler(size_t max_bytes) : max_bytes_(max_bytes) {}
  // Removes tool_calls and function_call from the chunk's deltas into the calls being built. Returns
  // whether it removed any. Err: a delta not shaped as the API says, or more than max_bytes of calls.
  Result<bool> Absorb(nlohmann::json& chunk);
  // The calls of `choice`, in index order, removed from the assembler. The choice has finished: a tool-call
  // delta for it afterwards is an error (its indexes would start again and merge into the calls sent).
  std::vector<ToolCall> Take(size_t choice);
  // Choices with calls not yet taken.
  std::vector<size_t> Pending() const;

 private:
  size_t max_bytes_;
  size_t bytes_ = 0;
  std::map<std::pair<size_t, size_t>, ToolCall> calls_;  // (choice, index) -> call; legacy: index SIZE_MAX
  std::vector<bool> finished_ = std::vector<bool>(16, false);
};

// The delta or message members that carry `calls` (tool_calls, or function_call for a legacy call).
void PutCalls(nlohmann::json& holder, const std::vector<ToolCall>& calls);

}  // namespace modelguard::gateway::tools
