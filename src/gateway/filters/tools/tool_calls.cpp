#include "src/gateway/filters/tools/tool_calls.h"

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <set>

#include "modelguard/gateway/client.h"

namespace modelguard::gateway::tools {
namespace {

using nlohmann::json;

// The most calls one choice may carry and the most choices a stream may have: an index past them is an
// upstream making the assembler allocate at will.
constexpr size_t kMaxCallsPerChoice = 128;
constexpr size_t kMaxChoices = 16;
constexpr size_t kLegacyIndex = SIZE_MAX;

Judgement Deny(std::string rule, std::string reason) { return Judgement{false, std::move(rule), std::move(reason)}; }

bool Contains(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool AnyGlob(const std::vector<std::string>& globs, const std::string& value) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& glob) { return fnmatch(glob.c_str(), value.c_str(), 0) == 0; });
}

// A host as URL parsers agree on it: letters, digits, dots and hyphens (an IPv6 literal: hex digits, colons
// and dots). Anything else ("evil.com\.good.com", percent escapes) may be read as another host by the tool.
bool PlainHost(const std::string& host) {
  if (host.empty()) return false;
  const bool ipv6 = host.find(':') != std::string::npos;
  return std::all_of(host.begin(), host.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    return ipv6 ? (std::isxdigit(u) || c == ':' || c == '.') : (std::isalnum(u) || c == '.' || c == '-');
  });
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The value(s) a rule reads: the one at the pointer, or each item of a list there.
std::vector<const json*> RuleValues(const json& arguments, const std::string& field, bool& present) {
  std::vector<const json*> out;
  present = false;
  const json* at = &arguments;
  // The pointer was checked when the configuration was read; walked by hand so that a member missing on
  // the way is "absent", never an exception.
  size_t start = 1;
  while (start <= field.size() && !field.empty()) {
    size_t end = field.find('/', start);
    if (end == std::string::npos) end = field.size();
    std::string segment;
    for (size_t i = start; i < end; ++i) {
      if (field[i] == '~' && i + 1 < end) {
        segment += field[i + 1] == '1' ? '/' : '~';
        ++i;
      } else {
        segment += field[i];
      }
    }
    if (at->is_object()) {
      auto it = at->find(segment);
      if (it == at->end()) return out;
      at = &*it;
    } else if (at->is_array() && !segment.empty() && segment.size() < 10 &&
               std::all_of(segment.begin(), segment.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
               std::stoul(segment) < at->size()) {
      at = &(*at)[std::stoul(segment)];
    } else {
      return out;
    }
    start = end + 1;
  }
  present = true;
  if (at->is_array()) {
    for (const auto& item : *at) out.push_back(&item);
  } else {
    out.push_back(at);
  }
  return out;
}

Judgement CheckRule(const ArgumentRule& rule, const json& arguments) {
  bool present = false;
  const auto values = RuleValues(arguments, rule.field, present);
  if (!present) return {};  // the schemas say whether a field must be there
  for (const json* value : values) {
    const bool textual = !rule.allow_globs.empty() || !rule.deny_globs.empty() || !rule.hosts.empty();
    if (textual && !value->is_string()) return Deny(rule.label, rule.field + " is not a string");
    if (!rule.allow_globs.empty() || !rule.deny_globs.empty()) {
      const std::string& raw = value->get_ref<const std::string&>();
      if (raw.find('\0') != std::string::npos) return Deny(rule.label, rule.field + " holds a NUL byte");
      const std::string path = NormalisePath(raw);
      if (AnyGlob(rule.deny_globs, path)) return Deny(rule.label, rule.field + " \"" + path + "\" is a denied path");
      if (!rule.allow_globs.empty() && !AnyGlob(rule.allow_globs, path))
        return Deny(rule.label, rule.field + " \"" + path + "\" is outside the allowed paths");
    }
    if (!rule.hosts.empty()) {
      std::string why;
      if (!HostAllowed(value->get<std::string>(), rule.hosts, why)) return Deny(rule.label, rule.field + ": " + why);
    }
    if (rule.value_schema) {
      if (auto violation = rule.value_schema->Validate(*value))
        return Deny(rule.label, rule.field + ": " + violation->message);
    }
  }
  return {};
}

Result<size_t> Index(const json& holder, const char* what) {
  auto it = holder.find("index");
  if (it == holder.end() || !it->is_number_integer() || it->get<int64_t>() < 0)
    return MakeError(ErrorCode::kParse, std::string(what) + " without a whole non-negative index");
  return static_cast<size_t>(it->get<int64_t>());
}

// A string member that may be absent or null (deltas after the first leave out id and name).
Result<std::string> OptionalString(const json& holder, const char* key) {
  auto it = holder.find(key);
  if (it == holder.end() || it->is_null()) return std::string();
  if (!it->is_string()) return MakeError(ErrorCode::kParse, std::string(key) + " is not a string");
  return it->get<std::string>();
}

}  // namespace

std::string NormalisePath(std::string_view path) {
  std::string text(path);
  std::replace(text.begin(), text.end(), '\\', '/');
  const bool absolute = !text.empty() && text[0] == '/';
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('/', start);
    if (end == std::string::npos) end = text.size();
    std::string part = text.substr(start, end - start);
    if (part.empty() || part == ".") {
      // nothing
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!absolute) {
        parts.push_back(part);
      }
    } else {
      parts.push_back(std::move(part));
    }
    start = end + 1;
  }
  std::string out = absolute ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
  return out.empty() ? "." : out;
}

bool HostAllowed(const std::string& url, const std::vector<std::string>& hosts, std::string& why) {
  auto parsed = ParseUrl(url);
  if (!parsed) {
    why = "not an http(s) URL without user information";
    return false;
  }
  std::string host = Lower(parsed->host);
  if (!host.empty() && host.back() == '.') host.pop_back();
  if (!PlainHost(host)) {
    why = "the URL's host is not a plain host name";
    return false;
  }
  for (const auto& allowed : hosts) {
    const std::string pattern = Lower(allowed);
    if (pattern.rfind("*.", 0) == 0) {
      const std::string suffix = pattern.substr(1);  // ".example.com"
      if (host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0)
        return true;
    } else if (host == pattern) {
      return true;
    }
  }
  why = "host " + host + " is not allowed";
  return false;
}

Judgement JudgeStatically(const ToolPolicy* policy, const std::string& name, std::string_view arguments,
                          const std::string& key_id, const DeclaredTools& declared) {
  if (!policy) return Deny("tools.unlisted", "tool " + name + " is not allowed on this route");
  const std::string prefix = "tools." + name;
  if (!policy->keys.empty() && !Contains(policy->keys, key_id))
    return Deny(prefix + ".keys", "tool " + name + " is not allowed for this key");
  auto declaration = declared.find(name);
  // A model can only mean to call what the request offered it; a call to anything else is the upstream's
  // invention (or an attack on it), whatever the allowlist says.
  if (declaration == declared.end()) return Deny("declared", "tool " + name + " was not offered in the request");
  // A repeated key is read differently by different parsers (nlohmann and Python keep the last, others the
  // first): the rules would judge one value and the tool might use the other. Refused.
  std::vector<std::set<std::string>> keys_seen;
  bool repeated = false;
  const json parsed = json::parse(
      arguments,
      [&](int, json::parse_event_t event, json& value) {
        if (event == json::parse_event_t::object_start) keys_seen.emplace_back();
        if (event == json::parse_event_t::object_end && !keys_seen.empty()) keys_seen.pop_back();
        if (event == json::parse_event_t::key && !keys_seen.empty() && value.is_string() &&
            !keys_seen.back().insert(value.get<std::string>()).second)
          repeated = true;
        return true;
      },
      false);
  if (parsed.is_discarded() || !parsed.is_object())
    return Deny(prefix + ".parameters", "the arguments of " + name + " are not a JSON object");
  if (repeated) return Deny(prefix + ".parameters", "the arguments of " + name + " repeat a key");
  if (policy->parameters) {
    if (auto violation = policy->parameters->Validate(parsed))
      return Deny(prefix + ".parameters", "arguments" + violation->instance_path + ": " + violation->message);
  }
  if (policy->check_declared_schema && declaration->second.parameters) {
    if (auto violation = declaration->second.parameters->Validate(parsed))
      return Deny("declared.parameters",
                  "arguments" + violation->instance_path + ": " + violation->message + " (the declared schema)");
  }
  for (const auto& rule : policy->rules) {
    if (Judgement judged = CheckRule(rule, parsed); !judged.allowed) return judged;
  }
  return {};
}

Result<std::vector<ToolCall>> ToolCallsOfAnswer(const nlohmann::json& answer, size_t max_bytes) {
  std::vector<ToolCall> out;
  if (!answer.is_object()) return MakeError(ErrorCode::kParse, "the answer is not a JSON object");
  auto choices = answer.find("choices");
  if (choices == answer.end()) return out;
  if (!choices->is_array()) return MakeError(ErrorCode::kParse, "choices is not a list");
  if (choices->size() > kMaxChoices) return MakeError(ErrorCode::kLimit, "more than 16 choices");
  for (size_t c = 0; c < choices->size(); ++c) {
    const json& choice = (*choices)[c];
    if (!choice.is_object()) return MakeError(ErrorCode::kParse, "a choice is not an object");
    auto message = choice.find("message");
    if (message == choice.end() || message->is_null()) continue;
    if (!message->is_object()) return MakeError(ErrorCode::kParse, "a message is not an object");
    if (auto calls = message->find("tool_calls"); calls != message->end() && !calls->is_null()) {
      if (!calls->is_array()) return MakeError(ErrorCode::kParse, "tool_calls is not a list");
      if (calls->size() > kMaxCallsPerChoice)
        return MakeError(ErrorCode::kLimit, "more than 128 tool calls in one choice");
      for (size_t i = 0; i < calls->size(); ++i) {
        const json& call = (*calls)[i];
        if (!call.is_object()) return MakeError(ErrorCode::kParse, "a tool call is not an object");
        auto function = call.find("function");
        if (function == call.end() || !function->is_object())
          return MakeError(ErrorCode::kParse, "a tool call without a function");
        ToolCall parsed{c, i, false, {}, {}, {}};
        MG_ASSIGN_OR_RETURN(parsed.id, OptionalString(call, "id"));
        MG_ASSIGN_OR_RETURN(parsed.name, OptionalString(*function, "name"));
        MG_ASSIGN_OR_RETURN(parsed.arguments, OptionalString(*function, "arguments"));
        out.push_back(std::move(parsed));
      }
    }
    if (auto legacy = message->find("function_call"); legacy != message->end() && !legacy->is_null()) {
      if (!legacy->is_object()) return MakeError(ErrorCode::kParse, "function_call is not an object");
      ToolCall parsed{c, kLegacyIndex, true, {}, {}, {}};
      MG_ASSIGN_OR_RETURN(parsed.name, OptionalString(*legacy, "name"));
      MG_ASSIGN_OR_RETURN(parsed.arguments, OptionalString(*legacy, "arguments"));
      out.push_back(std::move(parsed));
    }
  }
  size_t bytes = 0;
  for (const auto& call : out) bytes += call.id.size() + call.name.size() + call.arguments.size();
  if (bytes > max_bytes)
    return MakeError(ErrorCode::kLimit, "tool calls larger than " + std::to_string(max_bytes) + " bytes");
  return out;
}

bool HasUnjudgedToolCall(const nlohmann::json& value) {
  if (!value.is_object()) return false;
  auto is_call = [](const json& item) {
    if (!item.is_object()) return false;
    auto type = item.find("type");
    if (type == item.end() || !type->is_string()) return false;
    const std::string& name = type->get_ref<const std::string&>();
    return name.size() >= 5 && name.compare(name.size() - 5, 5, "_call") == 0;
  };
  if (auto output = value.find("output"); output != value.end() && output->is_array()) {
    if (std::any_of(output->begin(), output->end(), is_call)) return true;
  }
  if (auto item = value.find("item"); item != value.end() && is_call(*item)) return true;
  if (auto response = value.find("response"); response != value.end() && response->is_object()) {
    if (auto output = response->find("output"); output != response->end() && output->is_array()) {
      if (std::any_of(output->begin(), output->end(), is_call)) return true;
    }
  }
  // Argument deltas of the Responses API's streamed calls: "response.function_call_arguments.delta"...
  if (auto type = value.find("type"); type != value.end() && type->is_string()) {
    const std::string& name = type->get_ref<const std::string&>();
    if (name.find("_call") != std::string::npos && name.rfind("response.", 0) == 0) return true;
  }
  return false;
}

Result<bool> ToolCallAssembler::Absorb(nlohmann::json& chunk) {
  if (!chunk.is_object()) return false;
  auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array()) return false;
  bool took = false;
  for (auto& choice : *choices) {
    if (!choice.is_object()) return MakeError(ErrorCode::kParse, "a choice is not an object");
    auto delta = choice.find("delta");
    if (delta == choice.end() || !delta->is_object()) continue;
    size_t choice_index = 0;
    if (choice.contains("index")) {
      MG_ASSIGN_OR_RETURN(choice_index, Index(choice, "a choice"));
    }
    if (choice_index >= kMaxChoices) return MakeError(ErrorCode::kLimit, "more than 16 choices");
    const bool carries_calls = (delta->contains("tool_calls") && !(*delta)["tool_calls"].is_null()) ||
                               (delta->contains("function_call") && !(*delta)["function_call"].is_null());
    if (carries_calls && finished_[choice_index])
      return MakeError(ErrorCode::kParse, "a tool call after its choice finished");
    auto add = [&](size_t index, bool legacy, const json& holder, const json& function) -> Status {
      if (index != kLegacyIndex && index >= kMaxCallsPerChoice)
        return MakeError(ErrorCode::kLimit, "more than 128 tool calls in one choice");
      ToolCall& call = calls_[{choice_index, index}];
      call.choice = choice_index;
      call.index = index;
      call.legacy = legacy;
      MG_ASSIGN_OR_RETURN(const std::string id, OptionalString(holder, "id"));
      MG_ASSIGN_OR_RETURN(const std::string name, OptionalString(function, "name"));
      MG_ASSIGN_OR_RETURN(const std::string arguments, OptionalString(function, "arguments"));
      bytes_ += id.size() + name.size() + arguments.size();
      if (bytes_ > max_bytes_)
        return MakeError(ErrorCode::kLimit, "tool calls larger than " + std::to_string(max_bytes_) + " bytes");
      if (call.id.empty()) call.id = id;
      // A name sent in pieces is joined, as the arguments are: the client gets the whole call in one delta
      // afterwards, so it sees the very name that was judged, whatever its own joining rule.
      if (!name.empty() && name != call.name) call.name += name;
      call.arguments += arguments;
      return Ok{};
    };
    if (auto calls = delta->find("tool_calls"); calls != delta->end()) {
      if (!calls->is_null()) {
        if (!calls->is_array()) return MakeError(ErrorCode::kParse, "tool_calls is not a list");
        for (const auto& entry : *calls) {
          if (!entry.is_object()) return MakeError(ErrorCode::kParse, "a tool call delta is not an object");
          MG_ASSIGN_OR_RETURN(const size_t index, Index(entry, "a tool call delta"));
          static const json kNoFunction = json::object();
          auto function = entry.find("function");
          if (function != entry.end() && !function->is_object() && !function->is_null())
            return MakeError(ErrorCode::kParse, "a tool call's function is not an object");
          MG_TRY(add(index, false, entry, function == entry.end() || function->is_null() ? kNoFunction : *function));
        }
      }
      delta->erase("tool_calls");
      took = true;
    }
    if (auto legacy = delta->find("function_call"); legacy != delta->end()) {
      if (!legacy->is_null()) {
        if (!legacy->is_object()) return MakeError(ErrorCode::kParse, "function_call is not an object");
        MG_TRY(add(kLegacyIndex, true, json::object(), *legacy));
      }
      delta->erase("function_call");
      took = true;
    }
  }
  return took;
}

std::vector<ToolCall> ToolCallAssembler::Take(size_t choice) {
  if (choice < finished_.size()) finished_[choice] = true;
  std::vector<ToolCall> out;
  for (auto it = calls_.begin(); it != calls_.end();) {
    if (it->first.first == choice) {
      out.push_back(std::move(it->second));
      it = calls_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<size_t> ToolCallAssembler::Pending() const {
  std::vector<size_t> out;
  for (const auto& [key, call] : calls_) {
    if (out.empty() || out.back() != key.first) out.push_back(key.first);
  }
  return out;
}

void PutCalls(nlohmann::json& holder, const std::vector<ToolCall>& calls) {
  json list = json::array();
  for (const auto& call : calls) {
    if (call.legacy) {
      holder["function_call"] = {{"name", call.name}, {"arguments", call.arguments}};
      continue;
    }
    json entry = {{"index", list.size()},
                  {"id", call.id},
                  {"type", "function"},
                  {"function", {{"name", call.name}, {"arguments", call.arguments}}}};
    list.push_back(std::move(entry));
  }
  if (!list.empty()) holder["tool_calls"] = std::move(list);
}

}  // namespace modelguard::gateway::tools
