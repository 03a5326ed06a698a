#include "modelguard/schema/json_schema.h"

#include <hs/hs.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <string_view>
#include <vector>

namespace modelguard::schema {
namespace {

using nlohmann::json;

enum TypeBit : unsigned {
  kNull = 1,
  kBoolean = 2,
  kObject = 4,
  kArray = 8,
  kNumber = 16,
  kString = 32,
  kInteger = 64,
};

// Keywords of 2020-12 (and of the drafts before it) that validate but are not implemented here: a schema
// that uses one is refused, since ignoring it would accept what it forbids.
constexpr std::string_view kUnsupportedKeywords[] = {
    "$dynamicRef",      "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor", "unevaluatedProperties",
    "unevaluatedItems", "extends",        "disallow",      "divisibleBy",      "$anchor",
};
// uniqueItems compares every pair: past this many items the check is refused rather than slow.
constexpr size_t kMaxUniqueItems = 4096;
// Subschema applications (and object members or array items visited) in one validation. A schema that
// applies itself through $ref under anyOf or oneOf is evaluated afresh for every alternative: without a
// budget {"items": {"oneOf": [{"$ref": "#"}, {"$ref": "#"}]}} over an array nested 80 deep takes 2^80
// steps, well inside the depth limit. Past the budget the instance is invalid. A schema without $ref is a
// tree and applies each of its nodes at most once per instance value, far below this for any plausible
// function call.
constexpr size_t kMaxEvaluationSteps = size_t{1} << 20;

struct Node {
  bool boolean_schema = false;  // true/false as a whole schema
  bool accepts = true;          // a boolean schema's value
  unsigned types = 0;           // 0: no "type"
  std::optional<std::vector<json>> enum_values;
  std::optional<json> const_value;
  std::map<std::string, int> properties;
  std::vector<std::pair<int, int>> pattern_properties;  // pattern index, schema
  int additional_properties = -1;
  int property_names = -1;
  std::vector<std::string> required;
  std::optional<size_t> min_properties, max_properties;
  std::vector<std::pair<std::string, std::vector<std::string>>> dependent_required;
  std::vector<std::pair<std::string, int>> dependent_schemas;
  std::vector<int> prefix_items;
  int items = -1;  // the items after prefix_items
  int contains = -1;
  size_t min_contains = 1;
  std::optional<size_t> max_contains;
  std::optional<size_t> min_items, max_items;
  bool unique_items = false;
  std::optional<size_t> min_length, max_length;
  int pattern = -1;
  std::optional<double> minimum, maximum, exclusive_minimum, exclusive_maximum, multiple_of;
  std::vector<int> all_of, any_of, one_of;
  int not_schema = -1, if_schema = -1, then_schema = -1, else_schema = -1;
  int ref = -1;
};

struct Pattern {
  std::string source;
  hs_database_t* database = nullptr;
};

// One segment of the instance path, on the stack of the validation: the path is spelled only when a
// violation is reported.
struct PathSegment {
  const PathSegment* parent;
  std::string_view name;  // a property, or the index's digits
};

std::string PointerEscape(std::string_view segment) {
  std::string out;
  for (char c : segment) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string SpellPath(const PathSegment* segment) {
  std::vector<std::string_view> parts;
  for (; segment; segment = segment->parent) parts.push_back(segment->name);
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += "/" + PointerEscape(*it);
  return out;
}

size_t CodePoints(const std::string& text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

std::optional<std::string> PercentDecode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int high = hex(text[i + 1]), low = hex(text[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// ECMA-262's `$` (without the m flag) matches at the very end only; PCRE's, which vectorscan follows, also
// before a final newline, which would let "abc\n" through "^[a-z]+$". Each `$` outside a character class
// becomes `\z`. A NUL (JSON's \u0000) becomes `\x00`: hs_compile reads a C string, so a raw NUL would cut
// the pattern short and "^a\u0000b$" would be compiled, and enforced, as "^a".
std::string ForVectorscan(std::string_view pattern) {
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\0') {
      out += "\\x00";
    } else if (c == '\\' && i + 1 < pattern.size() && pattern[i + 1] == '\0') {
      out += "\\x00";  // an identity escape: the NUL itself
      ++i;
    } else if (c == '\\' && i + 1 < pattern.size()) {
      out += c;
      out += pattern[++i];
    } else if (in_class) {
      in_class = c != ']';
      out += c;
    } else if (c == '[') {
      in_class = true;
      out += c;
      // A ']' right after '[' or '[^' is a literal member, not the end of the class.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];
    } else if (c == '$') {
      out += "\\z";
    } else {
      out += c;
    }
  }
  return out;
}

bool IsWhole(double value) { return std::isfinite(value) && std::floor(value) == value; }

// Whether `value` nests at most `limit` deep (a scalar: 0), found without recursion.
bool NestsWithin(const json& value, size_t limit) {
  std::vector<std::pair<const json*, size_t>> pending{{&value, 0}};
  while (!pending.empty()) {
    const auto [at, depth] = pending.back();
    pending.pop_back();
    if (depth > limit) return false;
    if (at->is_structured()) {
      for (const json& child : *at) pending.emplace_back(&child, depth + 1);
    }
  }
  return true;
}

}  // namespace

struct JsonSchema::Compiled {
  std::vector<Node> nodes;
  std::vector<Pattern> patterns;
  hs_scratch_t* prototype = nullptr;
  mutable std::mutex scratch_mutex;
  mutable std::vector<hs_scratch_t*> idle_scratch;
  size_t max_evaluation_depth = 256;

  ~Compiled() {
    for (hs_scratch_t* scratch : idle_scratch) hs_free_scratch(scratch);
    if (prototype) hs_free_scratch(prototype);
    for (auto& pattern : patterns) hs_free_database(pattern.database);
  }

  hs_scratch_t* TakeScratch() const {
    {
      std::lock_guard lock(scratch_mutex);
      if (!idle_scratch.empty()) {
        hs_scratch_t* scratch = idle_scratch.back();
        idle_scratch.pop_back();
        return scratch;
      }
    }
    hs_scratch_t* scratch = nullptr;
    return hs_clone_scratch(prototype, &scratch) == HS_SUCCESS ? scratch : nullptr;
  }
  void ReturnScratch(hs_scratch_t* scratch) const {
    std::lock_guard lock(scratch_mutex);
    idle_scratch.push_back(scratch);
  }
};

namespace {

class Compiler {
 public:
  Compiler(const json& root, const SchemaLimits& limits, JsonSchema::Compiled& out)
      : root_(root), limits_(limits), out_(out) {}

  Result<int> At(const json& schema, const std::string& pointer, size_t depth) {
    if (auto it = by_node_.find(&schema); it != by_node_.end()) return it->second;
    if (depth > limits_.max_depth)
      return MakeError(ErrorCode::kLimit, Where(pointer) + "nested deeper than " + std::to_string(limits_.max_depth));
    if (out_.nodes.size() >= limits_.max_subschemas)
      return MakeError(ErrorCode::kLimit, "more than " + std::to_string(limits_.max_subschemas) + " subschemas");
    const int index = static_cast<int>(out_.nodes.size());
    out_.nodes.emplace_back();
    by_node_[&schema] = index;  // before the children: a $ref back here (recursion) finds it
    Node node;
    if (schema.is_boolean()) {
      node.boolean_schema = true;
      node.accepts = schema.get<bool>();
    } else if (!schema.is_object()) {
      return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "a schema must be an object or a boolean");
    } else {
      auto compiled = Fill(schema, pointer, depth, node);
      if (!compiled) return compiled.error();
    }
    out_.nodes[static_cast<size_t>(index)] = std::move(node);
    return index;
  }

 private:
  static std::string Where(const std::string& pointer) { return "schema at #" + pointer + ": "; }

  Result<int> Child(const json& schema, const std::string& pointer, size_t depth) {
    return At(schema, pointer, depth + 1);
  }

  Result<std::optional<size_t>> Count(const json& schema, const char* key, const std::string& pointer) {
    if (!schema.contains(key)) return std::optional<size_t>();
    const json& value = schema[key];
    // 2020-12: a non-negative integer; 1.0 is one.
    if (!value.is_number() || value.get<double>() < 0 || !IsWhole(value.get<double>()))
      return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + key + " must be a non-negative integer");
    const double count = value.get<double>();
    return std::optional<size_t>(count > 1e18 ? static_cast<size_t>(1e18) : static_cast<size_t>(count));
  }

  Result<std::optional<double>> Number(const json& schema, const char* key, const std::string& pointer) {
    if (!schema.contains(key)) return std::optional<double>();
    if (!schema[key].is_number())
      return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + key + " must be a number");
    return std::optional<double>(schema[key].get<double>());
  }

  Result<std::vector<int>> List(const json& schema, const char* key, const std::string& pointer, size_t depth) {
    std::vector<int> out;
    const json& list = schema[key];
    if (!list.is_array() || list.empty())
      return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + key + " must be a non-empty array of schemas");
    for (size_t i = 0; i < list.size(); ++i) {
      auto child = Child(list[i], pointer + "/" + key + "/" + std::to_string(i), depth);
      if (!child) return child.error();
      out.push_back(*child);
    }
    return out;
  }

  Result<int> AddPattern(const json& value, const std::string& pointer) {
    if (!value.is_string())
      return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "a pattern must be a string");
    if (out_.patterns.size() >= limits_.max_patterns)
      return MakeError(ErrorCode::kLimit, "more than " + std::to_string(limits_.max_patterns) + " patterns");
    const std::string source = value.get<std::string>();
    const std::string expression = ForVectorscan(source);
    hs_database_t* database = nullptr;
    hs_compile_error_t* error = nullptr;
    // UTF-8 without UCP: \d and \w stay ASCII, as in ECMA-262. ECMA's \s also takes Unicode spaces (U+00A0,
    // U+FEFF, U+2028...) and its `.` excludes \r and U+2028; here \s is ASCII and `.` takes them: a pattern
    // relying on those differences judges them otherwise (docs/gateway.md says so).
    if (hs_compile(expression.c_str(), HS_FLAG_UTF8 | HS_FLAG_ALLOWEMPTY | HS_FLAG_SINGLEMATCH, HS_MODE_BLOCK, nullptr,
                   &database, &error) != HS_SUCCESS) {
      std::string why = error && error->message ? error->message : "cannot compile";
      hs_free_compile_error(error);
      return MakeError(ErrorCode::kUnsupported, Where(pointer) + "pattern \"" + source + "\": " + why);
    }
    if (hs_alloc_scratch(database, &out_.prototype) != HS_SUCCESS) {
      hs_free_database(database);
      return MakeError(ErrorCode::kLimit, Where(pointer) + "no memory for the pattern's scratch space");
    }
    out_.patterns.push_back(Pattern{source, database});
    return static_cast<int>(out_.patterns.size() - 1);
  }

  Result<int> Resolve(const std::string& reference, const std::string& pointer, size_t depth) {
    if (reference.empty() || reference[0] != '#')
      return MakeError(ErrorCode::kUnsupported, Where(pointer) + "$ref \"" + reference +
                                                    "\": only references inside the schema (#...) are supported");
    auto decoded = PercentDecode(std::string_view(reference).substr(1));
    if (!decoded || (!decoded->empty() && (*decoded)[0] != '/'))
      return MakeError(ErrorCode::kUnsupported,
                       Where(pointer) + "$ref \"" + reference + "\": only JSON pointers (#/...) are supported");
    const json* target = &root_;
    size_t start = 1;
    while (start <= decoded->size() && !decoded->empty()) {
      size_t end = decoded->find('/', start);
      if (end == std::string::npos) end = decoded->size();
      std::string segment;
      for (size_t i = start; i < end; ++i) {
        if ((*decoded)[i] == '~' && i + 1 < end && ((*decoded)[i + 1] == '0' || (*decoded)[i + 1] == '1')) {
          segment += (*decoded)[i + 1] == '0' ? '~' : '/';
          ++i;
        } else {
          segment += (*decoded)[i];
        }
      }
      if (target->is_object() && target->contains(segment)) {
        target = &(*target)[segment];
      } else if (target->is_array() && !segment.empty() &&
                 std::all_of(segment.begin(), segment.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
                 segment.size() < 10 && std::stoul(segment) < target->size()) {
        target = &(*target)[std::stoul(segment)];
      } else {
        return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "$ref \"" + reference + "\" names nothing");
      }
      start = end + 1;
    }
    return At(*target, *decoded, depth + 1);
  }

  Status Fill(const json& schema, const std::string& pointer, size_t depth, Node& node) {
    for (const auto& [key, value] : schema.items()) {
      for (std::string_view unsupported : kUnsupportedKeywords) {
        if (key == unsupported)
          return MakeError(ErrorCode::kUnsupported, Where(pointer) + "the keyword " + key + " is not supported");
      }
      (void)value;
    }
    if (schema.contains("$id") && !pointer.empty())
      return MakeError(ErrorCode::kUnsupported, Where(pointer) + "$id inside a schema is not supported");
    if (schema.contains("$ref")) {
      if (!schema["$ref"].is_string())
        return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "$ref must be a string");
      auto target = Resolve(schema["$ref"].get<std::string>(), pointer, depth);
      if (!target) return target.error();
      node.ref = *target;
    }
    for (const char* defs : {"$defs", "definitions"}) {
      if (!schema.contains(defs)) continue;
      if (!schema[defs].is_object())
        return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + defs + " must be an object");
      // Compiled even when nothing refers to them: a bad definition is a bad schema.
      for (const auto& [name, sub] : schema[defs].items()) {
        auto child = Child(sub, pointer + "/" + defs + "/" + PointerEscape(name), depth);
        if (!child) return child.error();
      }
    }
    if (schema.contains("type")) {
      const json& type = schema["type"];
      std::vector<std::string> names;
      if (type.is_string()) {
        names.push_back(type.get<std::string>());
      } else if (type.is_array() && !type.empty()) {
        for (const auto& t : type) {
          if (!t.is_string())
            return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "type names must be strings");
          names.push_back(t.get<std::string>());
        }
      } else {
        return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "type must be a name or a list of names");
      }
      static const std::map<std::string, unsigned, std::less<>> kTypes = {
          {"null", kNull},     {"boolean", kBoolean}, {"object", kObject},   {"array", kArray},
          {"number", kNumber}, {"string", kString},   {"integer", kInteger},
      };
      for (const auto& name : names) {
        auto it = kTypes.find(name);
        if (it == kTypes.end())
          return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "unknown type \"" + name + "\"");
        node.types |= it->second;
      }
    }
    // enum and const values are copied into the node, and nlohmann's copy recurses: one nested a hundred
    // thousand deep took the stack. They count as schema nesting, below the same limit.
    for (const char* key : {"enum", "const"}) {
      if (schema.contains(key) && !NestsWithin(schema[key], limits_.max_depth))
        return MakeError(ErrorCode::kLimit,
                         Where(pointer) + key + " value nested deeper than " + std::to_string(limits_.max_depth));
    }
    if (schema.contains("enum")) {
      if (!schema["enum"].is_array())
        return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "enum must be an array");
      node.enum_values = schema["enum"].get<std::vector<json>>();
    }
    if (schema.contains("const")) node.const_value = schema["const"];

    if (schema.contains("properties")) {
      if (!schema["properties"].is_object())
        return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "properties must be an object");
      for (const auto& [name, sub] : schema["properties"].items()) {
        auto child = Child(sub, pointer + "/properties/" + PointerEscape(name), depth);
        if (!child) return child.error();
        node.properties[name] = *child;
      }
    }
    if (schema.contains("patternProperties")) {
      if (!schema["patternProperties"].is_object())
        return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "patternProperties must be an object");
      for (const auto& [source, sub] : schema["patternProperties"].items()) {
        auto pattern = AddPattern(json(source), pointer + "/patternProperties");
        if (!pattern) return pattern.error();
        auto child = Child(sub, pointer + "/patternProperties/" + PointerEscape(source), depth);
        if (!child) return child.error();
        node.pattern_properties.emplace_back(*pattern, *child);
      }
    }
    for (auto [key, slot] : {std::pair<const char*, int*>{"additionalProperties", &node.additional_properties},
                             {"propertyNames", &node.property_names},
                             {"contains", &node.contains},
                             {"not", &node.not_schema},
                             {"if", &node.if_schema},
                             {"then", &node.then_schema},
                             {"else", &node.else_schema}}) {
      if (!schema.contains(key)) continue;
      auto child = Child(schema[key], pointer + "/" + key, depth);
      if (!child) return child.error();
      *slot = *child;
    }
    if (schema.contains("required")) {
      const json& required = schema["required"];
      if (!required.is_array())
        return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "required must be an array");
      for (const auto& name : required) {
        if (!name.is_string())
          return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "required must list property names");
        node.required.push_back(name.get<std::string>());
      }
    }
    auto read_dependencies = [&](const json& map, const std::string& at, bool arrays, bool schemas) -> Status {
      if (!map.is_object()) return MakeError(ErrorCode::kInvalidArgument, Where(at) + "must be an object");
      for (const auto& [name, value] : map.items()) {
        if (value.is_array() && arrays) {
          std::vector<std::string> names;
          for (const auto& n : value) {
            if (!n.is_string()) return MakeError(ErrorCode::kInvalidArgument, Where(at) + "must list property names");
            names.push_back(n.get<std::string>());
          }
          node.dependent_required.emplace_back(name, std::move(names));
        } else if (schemas && (value.is_object() || value.is_boolean())) {
          auto child = Child(value, at + "/" + PointerEscape(name), depth);
          if (!child) return child.error();
          node.dependent_schemas.emplace_back(name, *child);
        } else {
          return MakeError(ErrorCode::kInvalidArgument, Where(at) + name + ": wrong kind of value");
        }
      }
      return Ok{};
    };
    if (schema.contains("dependentRequired")) {
      if (auto read = read_dependencies(schema["dependentRequired"], pointer + "/dependentRequired", true, false);
          !read)
        return read.error();
    }
    if (schema.contains("dependentSchemas")) {
      if (auto read = read_dependencies(schema["dependentSchemas"], pointer + "/dependentSchemas", false, true); !read)
        return read.error();
    }
    if (schema.contains("dependencies")) {
      if (auto read = read_dependencies(schema["dependencies"], pointer + "/dependencies", true, true); !read)
        return read.error();
    }

    if (schema.contains("prefixItems")) {
      auto list = List(schema, "prefixItems", pointer, depth);
      if (!list) return list.error();
      node.prefix_items = std::move(*list);
    }
    if (schema.contains("items")) {
      if (schema["items"].is_array()) {  // draft 7: a schema per position, the rest in additionalItems
        if (schema.contains("prefixItems"))
          return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "items as an array beside prefixItems");
        const json& list = schema["items"];
        for (size_t i = 0; i < list.size(); ++i) {
          auto child = Child(list[i], pointer + "/items/" + std::to_string(i), depth);
          if (!child) return child.error();
          node.prefix_items.push_back(*child);
        }
        if (schema.contains("additionalItems")) {
          auto child = Child(schema["additionalItems"], pointer + "/additionalItems", depth);
          if (!child) return child.error();
          node.items = *child;
        }
      } else {
        auto child = Child(schema["items"], pointer + "/items", depth);
        if (!child) return child.error();
        node.items = *child;
      }
    }
    struct CountSlot {
      const char* key;
      std::optional<size_t>* slot;
    };
    for (CountSlot count : {CountSlot{"minProperties", &node.min_properties},
                            {"maxProperties", &node.max_properties},
                            {"minItems", &node.min_items},
                            {"maxItems", &node.max_items},
                            {"minLength", &node.min_length},
                            {"maxLength", &node.max_length},
                            {"maxContains", &node.max_contains}}) {
      auto value = Count(schema, count.key, pointer);
      if (!value) return value.error();
      *count.slot = *value;
    }
    if (auto min_contains = Count(schema, "minContains", pointer); !min_contains) {
      return min_contains.error();
    } else if (*min_contains) {
      node.min_contains = **min_contains;
    }
    if (schema.contains("uniqueItems")) {
      if (!schema["uniqueItems"].is_boolean())
        return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "uniqueItems must be true or false");
      node.unique_items = schema["uniqueItems"].get<bool>();
    }
    if (schema.contains("pattern")) {
      auto pattern = AddPattern(schema["pattern"], pointer + "/pattern");
      if (!pattern) return pattern.error();
      node.pattern = *pattern;
    }
    struct NumberSlot {
      const char* key;
      std::optional<double>* slot;
    };
    for (NumberSlot number : {NumberSlot{"minimum", &node.minimum},
                              {"maximum", &node.maximum},
                              {"exclusiveMinimum", &node.exclusive_minimum},
                              {"exclusiveMaximum", &node.exclusive_maximum},
                              {"multipleOf", &node.multiple_of}}) {
      if (schema.contains(number.key) && schema[number.key].is_boolean())
        return MakeError(ErrorCode::kUnsupported, Where(pointer) + number.key + " as a boolean is draft 4's form");
      auto value = Number(schema, number.key, pointer);
      if (!value) return value.error();
      *number.slot = *value;
    }
    if (node.multiple_of && !(*node.multiple_of > 0))
      return MakeError(ErrorCode::kInvalidArgument, Where(pointer) + "multipleOf must be greater than 0");
    for (auto [key, slot] : {std::pair<const char*, std::vector<int>*>{"allOf", &node.all_of},
                             {"anyOf", &node.any_of},
                             {"oneOf", &node.one_of}}) {
      if (!schema.contains(key)) continue;
      auto list = List(schema, key, pointer, depth);
      if (!list) return list.error();
      *slot = std::move(*list);
    }
    return Ok{};
  }

  const json& root_;
  const SchemaLimits& limits_;
  JsonSchema::Compiled& out_;
  // Keyed by the subschema itself, not by the pointer spelled: a $ref may name one place many ways
  // (#/allOf/0, #/allOf/00, #/allOf/000 ...), and each spelling compiled the subtree, copies of its enums
  // included, once more: up to max_subschemas copies of one large enum.
  std::map<const json*, int> by_node_;
};

class Validator {
 public:
  Validator(const JsonSchema::Compiled& compiled, hs_scratch_t* scratch) : compiled_(compiled), scratch_(scratch) {}

  // Whether `instance` is valid against node `index`; on failure `violation_` says where and why.
  bool Valid(const json& instance, int index, const PathSegment* path, size_t depth) {
    // Once cut short, the evaluation is over: everything answers false at once, and the violation stays the
    // cut's. Otherwise a `not` around the cut would turn the false into a pass ({"not": {"$ref": "#"}} was
    // valid or not by the parity of the depth limit), and anyOf and oneOf would go on to their remaining
    // alternatives, each cut again: {"oneOf": [{"$ref": "#"}, {"$ref": "#"}]} took 2^128 steps.
    if (cut_) return false;
    if (depth > compiled_.max_evaluation_depth)
      return Cut(path, "the schema applies itself more than " + std::to_string(compiled_.max_evaluation_depth) +
                           " times deep");
    if (!Spend(1, path)) return false;
    const Node& node = compiled_.nodes[static_cast<size_t>(index)];
    if (node.boolean_schema) return node.accepts || Fail(path, "false", "the schema false accepts nothing");
    if (node.ref >= 0 && !Valid(instance, node.ref, path, depth + 1)) return false;
    if (node.types && !TypeMatches(instance, node.types)) return Fail(path, "type", "wrong type");
    if (node.enum_values && std::none_of(node.enum_values->begin(), node.enum_values->end(),
                                         [&](const json& value) { return Equal(value, instance); }))
      return Fail(path, "enum", "not one of the allowed values");
    if (node.const_value && !Equal(*node.const_value, instance)) return Fail(path, "const", "not the required value");
    if (instance.is_object() && !ValidObject(instance, node, path, depth)) return false;
    if (instance.is_array() && !ValidArray(instance, node, path, depth)) return false;
    if (instance.is_string() && !ValidString(instance.get_ref<const std::string&>(), node, path)) return false;
    if (instance.is_number() && !ValidNumber(instance, node, path)) return false;
    for (int sub : node.all_of) {
      if (!Valid(instance, sub, path, depth + 1)) return false;
    }
    if (!node.any_of.empty()) {
      bool any = false;
      for (int sub : node.any_of) {
        if ((any = Quietly(instance, sub, path, depth))) break;
      }
      if (!any) return Fail(path, "anyOf", "matches none of the alternatives");
    }
    if (!node.one_of.empty()) {
      size_t matched = 0;
      for (int sub : node.one_of) matched += Quietly(instance, sub, path, depth);
      if (matched != 1) {
        return Fail(path, "oneOf",
                    matched == 0 ? "matches none of the alternatives"
                                 : "matches " + std::to_string(matched) + " alternatives, not exactly one");
      }
    }
    if (node.not_schema >= 0 && Quietly(instance, node.not_schema, path, depth))
      return Fail(path, "not", "matches a schema it must not");
    if (node.if_schema >= 0) {
      if (Quietly(instance, node.if_schema, path, depth)) {
        if (node.then_schema >= 0 && !Valid(instance, node.then_schema, path, depth + 1)) return false;
      } else if (node.else_schema >= 0 && !Valid(instance, node.else_schema, path, depth + 1)) {
        return false;
      }
    }
    return true;
  }

  std::optional<SchemaViolation> violation;

 private:
  bool Fail(const PathSegment* path, std::string keyword, std::string message) {
    if (!quiet_ && !cut_) violation = SchemaViolation{SpellPath(path), std::move(keyword), std::move(message)};
    return false;
  }
  // Ends the evaluation: the instance is invalid, even where the cut happened quietly (under not, anyOf...).
  bool Cut(const PathSegment* path, std::string message) {
    cut_ = true;
    violation = SchemaViolation{SpellPath(path), "$ref", std::move(message)};
    return false;
  }
  bool Spend(size_t steps, const PathSegment* path) {
    steps_ += steps;
    if (steps_ <= kMaxEvaluationSteps) return true;
    return Cut(path, "validation takes more than " + std::to_string(kMaxEvaluationSteps) +
                         " steps (a schema that applies itself over and over through $ref)");
  }
  bool Quietly(const json& instance, int index, const PathSegment* path, size_t depth) {
    const bool was_quiet = quiet_;
    quiet_ = true;
    const bool valid = Valid(instance, index, path, depth + 1);
    quiet_ = was_quiet;
    return valid;
  }

  static bool TypeMatches(const json& instance, unsigned types) {
    switch (instance.type()) {
      case json::value_t::null:
        return types & kNull;
      case json::value_t::boolean:
        return types & kBoolean;
      case json::value_t::object:
        return types & kObject;
      case json::value_t::array:
        return types & kArray;
      case json::value_t::string:
        return types & kString;
      case json::value_t::number_integer:
      case json::value_t::number_unsigned:
        return types & (kNumber | kInteger);
      case json::value_t::number_float:
        return (types & kNumber) || ((types & kInteger) && IsWhole(instance.get<double>()));
      default:
        return false;
    }
  }

  // JSON equality: numbers by value (1 equals 1.0), objects regardless of member order. The values pending
  // comparison are on a stack of its own, not the call stack: uniqueItems compares items of the instance,
  // which nests as deep as its sender likes (two arrays a hundred thousand deep took the stack).
  static bool Equal(const json& a, const json& b) {
    if (!a.is_structured() || !b.is_structured()) return ScalarEqual(a, b);
    std::vector<std::pair<const json*, const json*>> pending{{&a, &b}};
    while (!pending.empty()) {
      const auto [x, y] = pending.back();
      pending.pop_back();
      if (!x->is_structured() || !y->is_structured()) {
        if (!ScalarEqual(*x, *y)) return false;
      } else if (x->type() != y->type() || x->size() != y->size()) {
        return false;
      } else if (x->is_array()) {
        for (size_t i = 0; i < x->size(); ++i) pending.emplace_back(&(*x)[i], &(*y)[i]);
      } else {
        for (auto it = x->begin(); it != x->end(); ++it) {
          auto other = y->find(it.key());
          if (other == y->end()) return false;
          pending.emplace_back(&it.value(), &*other);
        }
      }
    }
    return true;
  }
  // Equality where one side at least is not an array or object.
  static bool ScalarEqual(const json& a, const json& b) {
    if (a.is_number() && b.is_number()) return a == b;
    return a.type() == b.type() && a == b;
  }

  bool Matches(int pattern, const std::string& text) {
    bool matched = false;
    const auto on_match = [](unsigned, unsigned long long, unsigned long long, unsigned, void* context) -> int {
      *static_cast<bool*>(context) = true;
      return 1;  // stop at the first match
    };
    hs_scan(compiled_.patterns[static_cast<size_t>(pattern)].database, text.data(), static_cast<unsigned>(text.size()),
            0, scratch_, on_match, &matched);
    return matched;
  }

  bool ValidObject(const json& instance, const Node& node, const PathSegment* path, size_t depth) {
    // Each member is visited (and matched against every patternProperties pattern) whatever the schema:
    // a large object under many applications is work too.
    if (!Spend(instance.size(), path)) return false;
    for (const auto& name : node.required) {
      if (!instance.contains(name)) return Fail(path, "required", "missing property \"" + name + "\"");
    }
    if (node.min_properties && instance.size() < *node.min_properties)
      return Fail(path, "minProperties", "fewer than " + std::to_string(*node.min_properties) + " properties");
    if (node.max_properties && instance.size() > *node.max_properties)
      return Fail(path, "maxProperties", "more than " + std::to_string(*node.max_properties) + " properties");
    for (const auto& [name, names] : node.dependent_required) {
      if (!instance.contains(name)) continue;
      for (const auto& needed : names) {
        if (!instance.contains(needed))
          return Fail(path, "dependentRequired", "\"" + name + "\" needs \"" + needed + "\"");
      }
    }
    for (const auto& [name, sub] : node.dependent_schemas) {
      if (instance.contains(name) && !Valid(instance, sub, path, depth + 1)) return false;
    }
    for (auto it = instance.begin(); it != instance.end(); ++it) {
      const std::string& name = it.key();
      const PathSegment here{path, name};
      bool evaluated = false;
      if (auto property = node.properties.find(name); property != node.properties.end()) {
        evaluated = true;
        if (!Valid(it.value(), property->second, &here, depth + 1)) return false;
      }
      for (const auto& [pattern, sub] : node.pattern_properties) {
        if (!Matches(pattern, name)) continue;
        evaluated = true;
        if (!Valid(it.value(), sub, &here, depth + 1)) return false;
      }
      if (!evaluated && node.additional_properties >= 0) {
        if (!Quietly(it.value(), node.additional_properties, &here, depth)) {
          // Said plainly: the common case is additionalProperties: false.
          return Fail(&here, "additionalProperties", "property \"" + name + "\" is not allowed");
        }
      }
      if (node.property_names >= 0 && !Valid(json(name), node.property_names, &here, depth + 1)) return false;
    }
    return true;
  }

  bool ValidArray(const json& instance, const Node& node, const PathSegment* path, size_t depth) {
    if (!Spend(instance.size(), path)) return false;
    if (node.min_items && instance.size() < *node.min_items)
      return Fail(path, "minItems", "fewer than " + std::to_string(*node.min_items) + " items");
    if (node.max_items && instance.size() > *node.max_items)
      return Fail(path, "maxItems", "more than " + std::to_string(*node.max_items) + " items");
    size_t matched = 0;
    for (size_t i = 0; i < instance.size(); ++i) {
      const std::string digits = std::to_string(i);
      const PathSegment here{path, digits};
      const int sub = i < node.prefix_items.size() ? node.prefix_items[i] : node.items;
      if (sub >= 0 && !Valid(instance[i], sub, &here, depth + 1)) return false;
      if (node.contains >= 0) matched += Quietly(instance[i], node.contains, &here, depth);
    }
    if (node.contains >= 0) {
      if (matched < node.min_contains)
        return Fail(path, "contains", "fewer than " + std::to_string(node.min_contains) + " items match \"contains\"");
      if (node.max_contains && matched > *node.max_contains)
        return Fail(path, "maxContains",
                    "more than " + std::to_string(*node.max_contains) + " items match \"contains\"");
    }
    if (node.unique_items && instance.size() > 1) {
      if (instance.size() > kMaxUniqueItems)
        return Fail(path, "uniqueItems", "more than " + std::to_string(kMaxUniqueItems) + " items to compare");
      for (size_t i = 0; i < instance.size(); ++i) {
        for (size_t j = i + 1; j < instance.size(); ++j) {
          if (Equal(instance[i], instance[j]))
            return Fail(path, "uniqueItems", "items " + std::to_string(i) + " and " + std::to_string(j) + " are equal");
        }
      }
    }
    return true;
  }

  bool ValidString(const std::string& text, const Node& node, const PathSegment* path) {
    if (node.min_length || node.max_length) {
      const size_t length = CodePoints(text);
      if (node.min_length && length < *node.min_length)
        return Fail(path, "minLength", "shorter than " + std::to_string(*node.min_length) + " characters");
      if (node.max_length && length > *node.max_length)
        return Fail(path, "maxLength", "longer than " + std::to_string(*node.max_length) + " characters");
    }
    if (node.pattern >= 0) {
      if (text.size() > UINT32_MAX) return Fail(path, "pattern", "too long to match");
      if (!Matches(node.pattern, text))
        return Fail(path, "pattern",
                    "does not match \"" + compiled_.patterns[static_cast<size_t>(node.pattern)].source + "\"");
    }
    return true;
  }

  bool ValidNumber(const json& instance, const Node& node, const PathSegment* path) {
    const double value = instance.get<double>();
    if (node.minimum && !(value >= *node.minimum)) return Fail(path, "minimum", "below the minimum");
    if (node.maximum && !(value <= *node.maximum)) return Fail(path, "maximum", "above the maximum");
    if (node.exclusive_minimum && !(value > *node.exclusive_minimum))
      return Fail(path, "exclusiveMinimum", "not above the exclusive minimum");
    if (node.exclusive_maximum && !(value < *node.exclusive_maximum))
      return Fail(path, "exclusiveMaximum", "not below the exclusive maximum");
    if (node.multiple_of) {
      const double divisor = *node.multiple_of;
      bool whole = false;
      if (instance.is_number_integer() && IsWhole(divisor) && divisor < 9.2e18) {
        // Both whole: exact, whatever the magnitude (a double quotient of 1000000001 / 2 rounds to whole).
        const auto d = static_cast<uint64_t>(divisor);
        uint64_t magnitude = 0;
        if (instance.is_number_unsigned()) {
          magnitude = instance.get<uint64_t>();
        } else {
          const int64_t n = instance.get<int64_t>();
          magnitude = n < 0 ? static_cast<uint64_t>(-(n + 1)) + 1 : static_cast<uint64_t>(n);
        }
        whole = magnitude % d == 0;
      } else {
        const double quotient = value / divisor;
        // A quotient too large to hold a fraction is not a proof of divisibility: refused, never waved
        // through. Otherwise a few units in the last place allow for decimal fractions (0.0075 / 0.0001 is
        // 74.99999999999999), and no more: 500000000.5 is not a multiple of 1.
        whole = std::isfinite(quotient) && std::fabs(quotient) < 9007199254740992.0 &&
                std::fabs(quotient - std::round(quotient)) <=
                    8 * 2.220446049250313e-16 * std::max(1.0, std::fabs(quotient));
      }
      if (!whole) return Fail(path, "multipleOf", "not a multiple of the divisor");
    }
    return true;
  }

  const JsonSchema::Compiled& compiled_;
  hs_scratch_t* scratch_;
  bool quiet_ = false;
  bool cut_ = false;  // evaluation ended early: too deep or past kMaxEvaluationSteps
  size_t steps_ = 0;
};

}  // namespace

Result<JsonSchema> JsonSchema::Compile(const nlohmann::json& schema, const SchemaLimits& limits) {
  auto compiled = std::make_shared<Compiled>();
  compiled->max_evaluation_depth = limits.max_evaluation_depth;
  Compiler compiler(schema, limits, *compiled);
  auto root = compiler.At(schema, "", 0);
  if (!root) return root.error();
  if (!compiled->patterns.empty() && !compiled->prototype)
    return MakeError(ErrorCode::kLimit, "no memory for the patterns' scratch space");
  return JsonSchema(std::move(compiled));
}

std::optional<SchemaViolation> JsonSchema::Validate(const nlohmann::json& instance) const {
  hs_scratch_t* scratch = nullptr;
  if (!compiled_->patterns.empty()) {
    scratch = compiled_->TakeScratch();
    if (!scratch) return SchemaViolation{"", "pattern", "no memory to match patterns"};
  }
  Validator validator(*compiled_, scratch);
  validator.Valid(instance, 0, nullptr, 0);
  if (scratch) compiled_->ReturnScratch(scratch);
  return validator.violation;
}

}  // namespace modelguard::schema
