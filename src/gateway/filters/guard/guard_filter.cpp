#include "src/gateway/filters/guard/guard_filter.h"

#include <set>

#include "modelguard/guard/guard.h"
#include "modelguard/guard/leak.h"

namespace modelguard::gateway {
namespace {

using guard::Detection;
using guard::Role;
using guard::Verdict;

enum class Action { kOff, kFlag, kRedact, kBlock };

Action ParseAction(const std::string& name) {
  if (name == "off") return Action::kOff;
  if (name == "flag") return Action::kFlag;
  if (name == "redact") return Action::kRedact;
  return Action::kBlock;  // the schema allows nothing else
}

// A text inside the request or response body, where it sits, and whose words it is.
struct Piece {
  nlohmann::json::json_pointer where;
  Role role;
};

constexpr size_t kMaxPieces = 1024;  // strings examined per body

// The texts found in a body, at most kMaxPieces of them; `overflow` says there were more, which the guard
// did not examine (the filter's on_oversize decides what happens then).
struct Pieces {
  std::vector<Piece> list;
  bool overflow = false;
  void Add(nlohmann::json::json_pointer where, Role role) {
    if (list.size() >= kMaxPieces) {
      overflow = true;
      return;
    }
    list.push_back(Piece{std::move(where), role});
  }
};

void CollectContent(const nlohmann::json& content, const nlohmann::json::json_pointer& where, Role role, Pieces& out) {
  if (content.is_string()) {
    out.Add(where, role);
  } else if (content.is_array()) {
    for (size_t i = 0; i < content.size(); ++i) {
      const auto& part = content[i];
      if (part.is_string())
        out.Add(where / i, role);
      else if (part.is_object() && part.contains("text") && part["text"].is_string())
        out.Add(where / i / "text", role);
    }
  }
}

Role RoleOf(const nlohmann::json& message, Role fallback) {
  if (!message.is_object() || !message.contains("role") || !message["role"].is_string()) return fallback;
  auto role = guard::ParseRole(message["role"].get<std::string>());
  return role ? *role : fallback;
}

// Generic JSON: every string in it, as the user's.
void CollectEveryString(const nlohmann::json& body, Pieces& out) {
  using P = nlohmann::json::json_pointer;
  std::vector<std::pair<const nlohmann::json*, P>> stack = {{&body, P()}};
  while (!stack.empty()) {
    auto [node, where] = stack.back();
    stack.pop_back();
    if (node->is_string()) {
      out.Add(std::move(where), Role::kUser);
    } else if (node->is_object()) {
      for (const auto& [key, value] : node->items()) stack.emplace_back(&value, where / key);
    } else if (node->is_array()) {
      for (size_t i = 0; i < node->size(); ++i) stack.emplace_back(&(*node)[i], where / i);
    }
  }
}

// Every string the model will read, with its role: OpenAI chat, completions, embeddings and responses
// bodies; for other JSON bodies every string value (a classifier's input). The walks visit the whole body
// (bounded by max_request_bytes) so that what is left unexamined is known.
void CollectRequestPieces(const nlohmann::json& body, Pieces& out) {
  using P = nlohmann::json::json_pointer;
  if (!body.is_object()) return CollectEveryString(body, out);  // a top-level array is read whole too
  if (auto messages = body.find("messages"); messages != body.end() && messages->is_array()) {
    for (size_t i = 0; i < messages->size(); ++i) {
      const auto& message = (*messages)[i];
      if (message.is_object() && message.contains("content"))
        CollectContent(message["content"], P("/messages") / i / "content", RoleOf(message, Role::kUser), out);
    }
    return;
  }
  if (auto instructions = body.find("instructions"); instructions != body.end() && instructions->is_string()) {
    out.Add(P("/instructions"), Role::kSystem);
  }
  // Both when both are there: a body with a benign "prompt" must not smuggle an "input" past the guard.
  bool api_body = false;
  for (const char* key : {"prompt", "input"}) {
    auto value = body.find(key);
    if (value == body.end()) continue;
    api_body = true;
    if (value->is_string()) {
      out.Add(P() / key, Role::kUser);
    } else if (value->is_array()) {
      for (size_t i = 0; i < value->size(); ++i) {
        const auto& item = (*value)[i];
        if (item.is_string())
          out.Add(P() / key / i, Role::kUser);
        else if (item.is_object() && item.contains("content"))
          CollectContent(item["content"], P() / key / i / "content", RoleOf(item, Role::kUser), out);
      }
    }
  }
  if (api_body) return;
  CollectEveryString(body, out);
}

// The model's words in a whole answer or in one streamed event.
void CollectOutputPieces(const nlohmann::json& body, Pieces& out) {
  using P = nlohmann::json::json_pointer;
  if (!body.is_object()) return;
  if (auto choices = body.find("choices"); choices != body.end() && choices->is_array()) {
    for (size_t i = 0; i < choices->size(); ++i) {
      const auto& choice = (*choices)[i];
      if (!choice.is_object()) continue;
      if (choice.contains("text") && choice["text"].is_string()) out.Add(P("/choices") / i / "text", Role::kAssistant);
      for (const char* holder : {"message", "delta"}) {
        if (choice.contains(holder) && choice[holder].is_object() && choice[holder].contains("content")) {
          CollectContent(choice[holder]["content"], P("/choices") / i / holder / "content", Role::kAssistant, out);
        }
      }
    }
  }
  if (auto delta = body.find("delta"); delta != body.end() && delta->is_string())
    out.Add(P("/delta"), Role::kAssistant);
  if (auto output = body.find("output"); output != body.end() && output->is_array()) {
    for (size_t i = 0; i < output->size(); ++i) {
      if ((*output)[i].is_object() && (*output)[i].contains("content"))
        CollectContent((*output)[i]["content"], P("/output") / i / "content", Role::kAssistant, out);
    }
  }
}

// What the filter remembers between a request and its answer.
struct RequestState {
  std::unique_ptr<guard::CanaryWatch> canary;
  std::unique_ptr<guard::PromptLeakMeter> leak;
  guard::Vault vault;
  std::string secret_tail;  // the end of the output so far, so credentials split across events are seen
  std::string held;         // streamed text that may be the start of a vault placeholder ("[EMA")
};

// The length of the tail of `text` that could still grow into a placeholder "[ENTITY_N]".
size_t PlaceholderPrefixLength(const std::string& text) {
  constexpr size_t kLongestPlaceholder = 40;
  const size_t open = text.rfind('[');
  if (open == std::string::npos || text.size() - open > kLongestPlaceholder) return 0;
  for (size_t i = open + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return 0;
  }
  return text.size() - open;
}

// Every detection that is not an entity (personal data, a credential) is about an attack on the model: the
// classifier's, the signatures', hidden text, adversarial suffixes, and whatever detector comes next.
bool IsInjectionDetection(const Detection& d) { return d.entity.empty(); }

class GuardFilter final : public Filter {
 public:
  struct Settings {
    Action injection = Action::kBlock;
    Action pii = Action::kFlag;
    Action secrets = Action::kBlock;
    guard::RedactMode redaction = guard::RedactMode::kMask;
    bool canary = true;
    std::string canary_template = "\n\n<!-- {canary} -->";
    double prompt_leak_overlap = 0.5;
    Action output_secrets = Action::kBlock;
    guard::Oversize on_oversize = guard::Oversize::kBlock;
    std::set<Role> roles = {Role::kSystem, Role::kUser, Role::kAssistant, Role::kTool, Role::kDocument};
  };

  GuardFilter(std::shared_ptr<const guard::Guard> detectors, Settings settings, size_t max_input_bytes)
      : guard_(std::move(detectors)), settings_(std::move(settings)), max_input_bytes_(max_input_bytes) {}
  const char* name() const override { return "guard"; }

  std::optional<Answer> OnRequest(RequestContext& request) override {
    if (!request.json.is_object() && !request.json.is_array()) {
      request.verdicts["guard"] = FilterVerdict::Allow();
      return std::nullopt;  // raw routes: nothing the guard can read
    }
    Pieces pieces;
    CollectRequestPieces(request.json, pieces);
    auto state = std::make_shared<RequestState>();
    std::vector<std::string> flags;
    bool changed = false;
    std::optional<nlohmann::json::json_pointer> system_piece;
    // What the guard cannot examine (texts past the piece cap, bytes past max_input_bytes) is never let
    // through silently: refused or flagged as on_oversize says, allowed only when it says so.
    bool oversize = pieces.overflow;
    if (oversize && settings_.on_oversize == guard::Oversize::kBlock) return RefuseOversize(request);
    // The operator's system prompt, passed with every other message: the guard then also judges them by
    // what it protects (a request for its password, a role change).
    std::string system_prompt;
    for (const auto& piece : pieces.list) {
      if (piece.role != Role::kSystem) continue;
      if (!system_prompt.empty()) system_prompt += '\n';
      system_prompt += request.json[piece.where].get_ref<const std::string&>();
    }
    const guard::SystemPrompt prepared(system_prompt, max_input_bytes_);  // folded once for every message
    for (const auto& piece : pieces.list) {
      if (piece.role == Role::kSystem && !system_piece) system_piece = piece.where;
      if (!settings_.roles.count(piece.role)) continue;
      const std::string& text = request.json[piece.where].get_ref<const std::string&>();
      const guard::Assessment assessment =
          guard_->Classify(text, piece.role, system_prompt.empty() ? nullptr : &prepared);
      request.guard_score = std::max(request.guard_score.value_or(0.0), assessment.score);
      for (const auto& [category, score] : assessment.scores) {
        auto [at, added] = request.guard_scores.try_emplace(category, score);
        if (!added) at->second = std::max(at->second, score);
      }
      if (assessment.truncated) {
        if (settings_.on_oversize == guard::Oversize::kBlock) return RefuseOversize(request);
        oversize = true;
      }
      std::vector<Detection> to_redact;
      for (const auto& d : assessment.detections) {
        const Action action = IsInjectionDetection(d)  ? settings_.injection
                              : d.detector == "secret" ? settings_.secrets
                              : d.detector == "pii"    ? settings_.pii
                                                       : Action::kOff;
        if (action == Action::kOff) continue;
        if (IsInjectionDetection(d) && d.action == Verdict::kAllow) continue;
        if (IsInjectionDetection(d) && action == Action::kBlock && d.action == Verdict::kBlock) {
          return Refuse(request, "prompt_injection",
                        "the request was refused by the prompt-injection guard (" + d.rule_id + " in a " +
                            guard::ToString(piece.role) + " message)");
        }
        if (!IsInjectionDetection(d) && action == Action::kBlock) {
          const bool secret = d.detector == "secret";
          return Refuse(request, secret ? "secret_detected" : "pii_detected",
                        std::string("the request carries ") + (secret ? "a credential" : "personal data") + " (" +
                            d.rule_id + "); remove it and retry");
        }
        if (action == Action::kRedact) to_redact.push_back(d);
        flags.push_back(d.rule_id);
      }
      if (!to_redact.empty()) {
        const bool pii = settings_.pii == Action::kRedact, secrets = settings_.secrets == Action::kRedact;
        auto redaction = guard_->Redact(text, settings_.redaction, pii, secrets, &state->vault);
        // Fail closed: a message the redactor could not examine completely is not forwarded.
        if (redaction.incomplete)
          return Refuse(request, "redaction_incomplete",
                        "a message is too large or too dense to redact completely; shorten it");
        request.json[piece.where] = std::move(redaction.text);
        changed = true;
      }
    }
    if (system_piece && request.json[*system_piece].is_string()) {
      std::string& system = request.json[*system_piece].get_ref<std::string&>();
      if (settings_.prompt_leak_overlap > 0) state->leak = std::make_unique<guard::PromptLeakMeter>(system);
      if (settings_.canary) {
        if (auto canary = guard::NewCanary()) {
          std::string marker = settings_.canary_template;
          if (const size_t at = marker.find("{canary}"); at != std::string::npos) marker.replace(at, 8, *canary);
          system += marker;
          state->canary = std::make_unique<guard::CanaryWatch>(*canary);
          changed = true;
        }
      }
    }
    if (changed) {
      request.body = request.json.dump();
      request.body_changed = true;
    }
    request.filter_state["guard"] = state;
    if (oversize && settings_.on_oversize == guard::Oversize::kFlag) flags.push_back("guard.oversize");
    std::sort(flags.begin(), flags.end());
    flags.erase(std::unique(flags.begin(), flags.end()), flags.end());
    std::string flagged;
    for (size_t i = 0; i < flags.size(); ++i) flagged += (i ? "," : "") + flags[i];
    request.verdicts["guard"] = flags.empty() ? FilterVerdict::Allow() : FilterVerdict::Flag(flagged);
    return std::nullopt;
  }

  std::optional<Answer> OnStreamEvent(RequestContext& request, StreamEvent& event) override {
    RequestState* state = StateOf(request);
    if (!state || event.data == "[DONE]") return std::nullopt;
    auto json = nlohmann::json::parse(event.data, nullptr, false);
    bool changed = false;
    if (auto leak = InspectOutput(*state, json, true, changed)) {
      request.verdicts["guard_output"] = FilterVerdict::Block(*leak);
      return Answer{403, *leak, LeakMessage(*leak), {}};
    }
    // The final event of a choice carries whatever is still held.
    if (!state->held.empty() && json.is_object() && json.contains("choices") && json["choices"].is_array()) {
      for (auto& choice : json["choices"]) {
        if (choice.is_object() && choice.contains("finish_reason") && !choice["finish_reason"].is_null()) {
          choice["delta"]["content"] = state->vault.Restore(state->held);
          state->held.clear();
          changed = true;
          break;
        }
      }
    }
    if (changed) event.data = json.dump();
    return std::nullopt;
  }

  void OnResponse(RequestContext& request, ResponseContext& response) override {
    RequestState* state = StateOf(request);
    if (!state || response.streamed || response.status >= 300 || response.body.empty()) return;
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    bool changed = false;
    if (auto leak = InspectOutput(*state, json, false, changed)) {
      request.verdicts["guard_output"] = FilterVerdict::Block(*leak);
      response.status = 403;
      response.body =
          nlohmann::json{{"error", {{"message", LeakMessage(*leak)}, {"type", *leak}, {"code", *leak}}}}.dump();
      response.total_tokens.reset();
      return;
    }
    if (changed) response.body = json.dump();
  }

 private:
  static RequestState* StateOf(RequestContext& request) {
    auto it = request.filter_state.find("guard");
    return it == request.filter_state.end() ? nullptr : static_cast<RequestState*>(it->second.get());
  }

  static std::string LeakMessage(const std::string& kind) {
    if (kind == "canary_leak") return "the answer was stopped: it repeats the confidential marker of the system prompt";
    if (kind == "system_prompt_leak") return "the answer was stopped: it repeats the system prompt";
    if (kind == "output_too_large") return "the answer was stopped: it holds more texts than the guard examines";
    return "the answer was stopped: it contains a credential";
  }

  // Every text of an answer (or of one streamed event), in order: the leak watchers first, then vault
  // placeholders put back. In a stream, text that may be the start of a placeholder ("[EMA") is held back
  // until the next event completes it (or shows it cannot be one).
  std::optional<std::string> InspectOutput(RequestState& state, nlohmann::json& json, bool streamed,
                                           bool& changed) const {
    Pieces pieces;
    CollectOutputPieces(json, pieces);
    // An answer with more texts than are examined is not passed on unread.
    if (pieces.overflow && settings_.on_oversize == guard::Oversize::kBlock) return "output_too_large";
    for (const auto& piece : pieces.list) {
      std::string& text = json[piece.where].get_ref<std::string&>();
      if (auto leak = CheckOutput(state, text)) return leak;
      if (!state.vault.size()) continue;
      std::string visible = streamed ? state.held + text : text;
      if (streamed) {
        const size_t hold = PlaceholderPrefixLength(visible);
        state.held = visible.substr(visible.size() - hold);
        visible.resize(visible.size() - hold);
      }
      std::string restored = state.vault.Restore(visible);
      if (restored != text) {
        text = std::move(restored);
        changed = true;
      }
    }
    return std::nullopt;
  }

  // Feeds one piece of output to the watchers; the kind of leak when one is found.
  std::optional<std::string> CheckOutput(RequestState& state, const std::string& text) const {
    if (state.canary && state.canary->Feed(text)) return "canary_leak";
    if (state.leak && state.leak->Feed(text) >= settings_.prompt_leak_overlap) return "system_prompt_leak";
    if (settings_.output_secrets == Action::kBlock) {
      // In windows of at most max_input_bytes with the tail before them, so that an answer of any length
      // is read whole and a credential split across two windows (or two events) is still seen.
      const size_t tail = std::min<size_t>(512, max_input_bytes_ / 2);
      const size_t window = max_input_bytes_ - tail;
      for (size_t at = 0; at < text.size(); at += window) {
        const size_t old = state.secret_tail.size();
        state.secret_tail.append(text, at, window);
        for (const auto& d : guard_->FindEntities(state.secret_tail, false, true)) {
          if (d.end > old) return "secret_in_output";
        }
        if (state.secret_tail.size() > tail) state.secret_tail.erase(0, state.secret_tail.size() - tail);
      }
    }
    return std::nullopt;
  }

  static std::optional<Answer> Refuse(RequestContext& request, const std::string& type, std::string message,
                                      unsigned status = 400) {
    request.verdicts["guard"] = FilterVerdict::Block(type);
    return Answer{status, type, std::move(message), {}};
  }
  std::optional<Answer> RefuseOversize(RequestContext& request) const {
    return Refuse(request, "input_too_large",
                  "the request holds more text than the guard examines (" + std::to_string(kMaxPieces) +
                      " texts of at most " + std::to_string(max_input_bytes_) + " bytes each); shorten it",
                  413);
  }

  std::shared_ptr<const guard::Guard> guard_;
  Settings settings_;
  size_t max_input_bytes_;
};

Result<std::shared_ptr<Filter>> Create(const Settings& settings, const FilterEnvironment&) {
  GuardFilter::Settings parsed;
  parsed.injection = ParseAction(settings.String("injection"));
  parsed.pii = ParseAction(settings.String("pii"));
  parsed.secrets = ParseAction(settings.String("secrets"));
  parsed.output_secrets = ParseAction(settings.String("output_secrets"));
  auto mode = guard::ParseRedactMode(settings.String("redaction"));
  if (!mode) return settings.Invalid("redaction", mode.error().message);
  parsed.redaction = *mode;
  parsed.canary = settings.Bool("canary");
  parsed.canary_template = settings.String("canary_template");
  if (parsed.canary_template.find("{canary}") == std::string::npos)
    return settings.Invalid("canary_template", "must contain {canary}");
  parsed.prompt_leak_overlap = settings.Number("prompt_leak_overlap");
  parsed.roles.clear();
  for (const auto& name : settings.Strings("roles")) {
    auto role = guard::ParseRole(name);
    if (!role) return settings.Invalid("roles", role.error().message);
    parsed.roles.insert(*role);
  }
  guard::GuardOptions options;
  options.model_path = settings.String("model");
  options.signatures_path = settings.String("signatures");
  const std::string second_stage = settings.String("second_stage");
  options.second_stage = second_stage != "none";
  options.second_stage_path = second_stage == "none" ? std::string() : second_stage;
  options.max_input_bytes = static_cast<size_t>(settings.Integer("max_input_bytes"));
  // The filter decides about unexamined text itself (it also knows about the piece cap).
  options.on_oversize = guard::Oversize::kAllow;
  auto oversize = guard::ParseOversize(settings.String("on_oversize"));
  if (!oversize) return settings.Invalid("on_oversize", oversize.error().message);
  parsed.on_oversize = *oversize;
  options.allowlist = settings.StringListMap("allow");
  for (const auto& [role_name, value] : settings.ObjectMap("thresholds")) {
    auto role = guard::ParseRole(role_name);
    if (!role) return settings.Invalid("thresholds." + role_name, role.error().message);
    guard::Thresholds t{value.Number("flag"), value.Number("block")};
    if (!(t.flag <= t.block)) return settings.Invalid("thresholds." + role_name, "need 0 <= flag <= block");
    options.thresholds[*role] = t;
  }
  for (const auto& entry : settings.Strings("categories")) {
    if (auto category = guard::ParseCategoryAction(entry, options.category_actions); !category)
      return settings.Invalid("categories", category.error().message);
  }
  // Detectors nobody acts on are not run.
  options.injection = options.signatures = options.hidden_text = options.adversarial_suffix = options.system_prompt =
      parsed.injection != Action::kOff;
  options.pii = parsed.pii != Action::kOff;
  options.secrets = parsed.secrets != Action::kOff || parsed.output_secrets != Action::kOff;
  auto detectors = guard::Guard::Create(options);
  if (!detectors) return MakeError(detectors.error().code, "guard: " + detectors.error().message);
  return std::shared_ptr<Filter>(std::make_shared<GuardFilter>(*detectors, std::move(parsed), options.max_input_bytes));
}

}  // namespace

const FilterDescriptor& GuardFilterDescriptor() {
  static const std::vector<std::string> kRoles = {"system", "user", "assistant", "tool", "document"};
  // OpenAI's names, read as system and tool.
  static const std::vector<std::string> kRoleNames = {"system",   "user",      "assistant", "tool",
                                                      "document", "developer", "function"};
  static const FilterDescriptor descriptor{
      "guard",
      "The guard detectors (docs/guard.md) on every message by role: prompt injection, PII and credentials flagged, "
      "redacted or refused; a canary in the system prompt; canary, system-prompt and credential leaks stopped in "
      "answers, streamed or whole.",
      {
          {.key = "injection",
           .type = SettingType::kString,
           .doc = "prompt injection (classifier, signatures, hidden text)",
           .default_value = "block",
           .allowed = {"off", "flag", "block"}},
          {.key = "pii",
           .type = SettingType::kString,
           .doc = "personal data in requests",
           .default_value = "flag",
           .allowed = {"off", "flag", "redact", "block"}},
          {.key = "secrets",
           .type = SettingType::kString,
           .doc = "credentials in requests",
           .default_value = "block",
           .allowed = {"off", "flag", "redact", "block"}},
          {.key = "redaction",
           .type = SettingType::kString,
           .doc = "how redacted text is replaced (`vault` restores it in answers)",
           .default_value = "mask",
           .allowed = {"mask", "hash", "vault"}},
          {.key = "output_secrets",
           .type = SettingType::kString,
           .doc = "credentials in the model's output end the answer",
           .default_value = "block",
           .allowed = {"off", "flag", "block"}},
          {"canary", SettingType::kBool, "put a fresh canary into the system prompt and watch for it", true},
          {"canary_template", SettingType::kString, "the text appended to the system prompt; contains `{canary}`",
           "\n\n<!-- {canary} -->"},
          {.key = "prompt_leak_overlap",
           .type = SettingType::kNumber,
           .doc = "word 5-gram overlap with the system prompt that ends an answer; 0 disables",
           .default_value = 0.5,
           .min = 0,
           .max = 1},
          {.key = "roles",
           .type = SettingType::kStringList,
           .doc = "the roles whose messages are examined",
           .default_value = kRoles,
           .allowed = kRoleNames},
          {.key = "thresholds",
           .type = SettingType::kObjectMap,
           .doc = "classifier thresholds per role, instead of the model file's",
           .default_value = nlohmann::json::object(),
           .allowed = kRoleNames,
           .fields =
               {
                   {.key = "flag",
                    .type = SettingType::kNumber,
                    .doc = "score from which a message is flagged",
                    .default_value = 0.5,
                    .min = 0},
                   {.key = "block",
                    .type = SettingType::kNumber,
                    .doc = "score from which a message is blocked (at least flag)",
                    .default_value = 0.9,
                    .min = 0},
               }},
          {.key = "categories",
           .type = SettingType::kStringList,
           .doc = "category policy, `CATEGORY=ACTION`: the most a category may do (`block`, `flag`, `allow`); "
                  "by default a harmful request alone is flagged and every other category may block",
           .default_value = nlohmann::json::array()},
          {"model", SettingType::kString, "a classifier model file instead of the built-in one", ""},
          {"signatures", SettingType::kString, "a signature rules file instead of the built-in one", ""},
          {"second_stage", SettingType::kString,
           "the second stage's trees (a file, or `none`); empty: the built-in ones, which run only with the "
           "built-in `model`",
           ""},
          {.key = "max_input_bytes",
           .type = SettingType::kInteger,
           .doc = "bytes of each text examined (see `on_oversize`)",
           .default_value = 1 << 20,
           .min = 1},
          {.key = "on_oversize",
           .type = SettingType::kString,
           .doc = "a request with text the guard does not examine (past `max_input_bytes`, or more than 1,024 "
                  "texts): refused 413 `input_too_large`, flagged `guard.oversize`, or allowed on its head alone",
           .default_value = "block",
           .allowed = {"block", "flag", "allow"}},
          {"allow", SettingType::kStringListMap,
           "entity (`EMAIL`, `PHONE`, ... or `*`) -> values never redacted or reported", nlohmann::json::object()},
      },
      Create};
  return descriptor;
}

}  // namespace modelguard::gateway
