// Symbolic pickle machine. Opcode semantics follow CPython's Modules/_pickle.c (3.11): the stack with its
// mark fence, the memo as an index -> object table whose MEMOIZE key is the number of occupied slots,
// fix_imports for protocols < 3, and the exact argument decoding of each opcode (a GLOBAL line that is
// not UTF-8 stops CPython, so it stops us). Values are symbolic: containers keep only their first few
// items, strings their first few KiB, bytes only their length and offset, so memory stays bounded.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <unordered_set>

#include "modelguard/formats/npy.h"
#include "modelguard/formats/pickle.h"
#include "src/formats/pickle/compat.h"
#include "src/formats/pickle/nested.h"
#include "src/formats/pickle/text_decode.h"

namespace modelguard::formats::pickle {
namespace {

constexpr size_t kMaxKeptItems = 64;           // items kept per container; the rest are counted
constexpr uint64_t kDenseMemoSlack = 1 << 20;  // PUT beyond size+slack goes to the sparse memo
constexpr int kHighestProtocol = 5;
constexpr uint64_t kProbeOpcodes = 64;
// A probe limit that is never reached: the machine runs the whole stream without emitting facts.
constexpr uint64_t kSilentRun = std::numeric_limits<uint64_t>::max();

enum class Kind : uint8_t {
  kEmpty,  // unused memo slot
  kNone,
  kBool,
  kInt,
  kFloat,
  kStr,
  kBytes,
  kByteArray,
  kTuple,
  kList,
  kDict,
  kSet,
  kFrozenSet,
  kGlobal,      // result of find_class
  kObject,      // result of a call, an instance, or anything whose runtime type we cannot know
  kPersistent,  // result of persistent_load
};

struct Value {
  Kind kind = Kind::kNone;
  uint32_t node = 0;  // index into the arena for kinds that carry data
  int64_t num = 0;    // kInt/kBool value (saturated for big ints)
};

struct Node {
  std::string text;          // kGlobal: module
  std::string name;          // kGlobal: attribute name
  uint64_t length = 0;       // kBytes: full length; containers: total item count
  uint64_t offset = 0;       // kBytes: where the payload starts
  std::vector<Value> items;  // first kMaxKeptItems items (dict: key, value, key, value...)
  Value callable;            // kObject: what made it
  Value args;                // kObject: its arguments
  bool joblib_wrapper = false;
};

struct PickleError {
  uint64_t offset;
  std::string message;
};

bool IsDottedIdentifier(std::string_view s) {
  if (s.empty()) return false;
  bool start = true;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '.') {
      if (start) return false;
      start = true;
      continue;
    }
    const bool alpha = std::isalpha(u) || c == '_' || u >= 0x80;
    if (!alpha && !(std::isdigit(u) && !start)) return false;
    start = false;
  }
  return !start;
}

struct SharedState {
  std::unordered_set<std::string> reported;  // dedupe of repeated facts across streams of one buffer
};

class Machine {
 public:
  Machine(ByteView data, uint64_t start, AnalysisContext& ctx, const MachineOptions& options, SharedState& shared,
          uint64_t probe_limit = 0)
      : data_(data),
        pos_(start),
        start_(start),
        ctx_(ctx),
        options_(options),
        shared_(shared),
        probe_limit_(probe_limit) {}

  StreamSummary Run() {
    StreamSummary summary;
    summary.start = start_;
    try {
      summary.completed = Loop();
    } catch (const PickleError& e) {
      summary.error = e.message;
      error_offset_ = e.offset;
    } catch (const std::bad_alloc&) {
      summary.error = "out of memory while modelling the pickle";
      error_offset_ = op_start_;
    }
    summary.end = summary.error.empty() ? pos_ : error_offset_;
    summary.protocol = proto_;
    summary.opcodes = opcodes_;
    return summary;
  }

  bool saw_identifier_import() const { return saw_identifier_import_; }
  bool called_import() const { return called_import_; }
  uint64_t error_offset() const { return error_offset_; }

 private:
  // ---------- reading ----------
  [[noreturn]] void Fail(std::string message) const { throw PickleError{op_start_, std::move(message)}; }

  const uint8_t* Take(uint64_t n) {
    if (n > data_.size() - pos_) Fail("pickle data was truncated");
    const uint8_t* p = data_.data() + pos_;
    pos_ += n;
    return p;
  }
  uint8_t U8() { return *Take(1); }
  uint64_t LittleEndian(int bytes) {
    const uint8_t* p = Take(static_cast<uint64_t>(bytes));
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }
  // A text argument up to and excluding '\n'; CPython fails when there is no newline.
  std::string_view Line() {
    const uint8_t* begin = data_.data() + pos_;
    const void* nl = std::memchr(begin, '\n', data_.size() - pos_);
    if (nl == nullptr) Fail("pickle data was truncated (no newline)");
    const auto len = static_cast<uint64_t>(static_cast<const uint8_t*>(nl) - begin);
    pos_ += len + 1;
    return {reinterpret_cast<const char*>(begin), len};
  }

  // ---------- values ----------
  void CheckObjectBudget() const {
    if (nodes_.size() + strings_.size() >= ctx_.limits().max_pickle_objects) {
      Fail("pickle builds more objects than the configured limit (" + std::to_string(ctx_.limits().max_pickle_objects) +
           ")");
    }
  }
  Value NewNode(Kind kind, Node node) {
    CheckObjectBudget();
    nodes_.push_back(std::move(node));
    return Value{kind, static_cast<uint32_t>(nodes_.size() - 1), 0};
  }
  // Strings live in their own pool (a vocabulary pickle has millions): Value.num holds the full length,
  // so a kept prefix shorter than it marks a truncated string.
  Value Str(std::string text, uint64_t full_length) {
    if (text.size() > ctx_.limits().max_kept_string) text.resize(ctx_.limits().max_kept_string);
    CheckObjectBudget();
    strings_.push_back(std::move(text));
    return Value{Kind::kStr, static_cast<uint32_t>(strings_.size() - 1), static_cast<int64_t>(full_length)};
  }
  const std::string& Text(Value v) const { return strings_[v.node]; }
  bool Truncated(Value v) const { return static_cast<uint64_t>(v.num) > strings_[v.node].size(); }
  Value Bytes(Kind kind, uint64_t offset, uint64_t length) {
    Node n;
    n.offset = offset;
    n.length = length;
    return NewNode(kind, std::move(n));
  }
  Value Container(Kind kind, std::span<const Value> items) {
    Node n;
    n.length = items.size();
    n.items.assign(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), kMaxKeptItems)));
    return NewNode(kind, std::move(n));
  }
  void AddItems(Value target, std::span<const Value> items) {
    Node& n = nodes_[target.node];
    n.length += items.size();
    for (const Value& v : items) {
      if (n.items.size() >= kMaxKeptItems) break;
      n.items.push_back(v);
    }
  }
  Value Object(Value callable, Value args) {
    if (callable.kind == Kind::kGlobal) called_import_ = true;
    Node n;
    n.callable = callable;
    n.args = args;
    if (callable.kind == Kind::kGlobal) {
      const Node& g = nodes_[callable.node];
      n.joblib_wrapper = g.name == "NumpyArrayWrapper" &&
                         (g.text == "joblib.numpy_pickle" || g.text == "sklearn.externals.joblib.numpy_pickle");
    }
    return NewNode(Kind::kObject, std::move(n));
  }

  // ---------- stack with CPython's mark fence ----------
  size_t Fence() const { return marks_.empty() ? 0 : marks_.back(); }
  void Push(Value v) {
    if (stack_.size() >= ctx_.limits().max_pickle_stack_depth) Fail("pickle stack exceeds the configured limit");
    stack_.push_back(v);
  }
  Value Pop() {
    if (stack_.size() <= Fence()) Fail("unpickling stack underflow");
    Value v = stack_.back();
    stack_.pop_back();
    return v;
  }
  Value& Top() {
    if (stack_.size() <= Fence()) Fail("unpickling stack underflow");
    return stack_.back();
  }
  size_t Marker() {
    if (marks_.empty()) Fail("could not find MARK");
    const size_t m = marks_.back();
    marks_.pop_back();
    if (m > stack_.size()) Fail("MARK lies above the stack");  // invariant guard; pops respect the fence
    return m;
  }
  std::span<const Value> Above(size_t mark) const { return {stack_.data() + mark, stack_.size() - mark}; }

  // APPENDS / ADDITEMS: the items above the mark go into the container just below it. Anything else
  // there would have its extend()/add() called, which only an object (not a builtin scalar) can have.
  void ExtendMarked(Kind container, const char* error) {
    const size_t m = Marker();
    if (m == 0) Fail("unpickling stack underflow");
    const Value target = stack_[m - 1];
    if (target.kind == container)
      AddItems(target, Above(m));
    else if (target.kind != Kind::kObject && target.kind != Kind::kPersistent && m != stack_.size())
      Fail(error);
    stack_.resize(m);
  }

  // ---------- memo ----------
  Value MemoGet(uint64_t index) {
    if (index < memo_.size() && memo_[index].kind != Kind::kEmpty) return memo_[index];
    auto it = sparse_memo_.find(index);
    if (it == sparse_memo_.end()) Fail("memo value not found at index " + std::to_string(index));
    return it->second;
  }
  void MemoPut(uint64_t index, Value v) {
    bool occupied = false;
    if (index < memo_.size() + kDenseMemoSlack && !sparse_memo_.contains(index)) {
      if (index >= memo_.size()) memo_.resize(index + 1, Value{Kind::kEmpty, 0, 0});
      occupied = memo_[index].kind != Kind::kEmpty;
      memo_[index] = v;
    } else {
      auto [it, inserted] = sparse_memo_.insert_or_assign(index, v);
      occupied = !inserted;
    }
    if (!occupied) {
      if (++memo_len_ > ctx_.limits().max_pickle_memo_entries) Fail("pickle memo exceeds the configured limit");
    } else {
      EmitOnce(fact::kPickleMemoOverwrite, "", "",
               "memo index " + std::to_string(index) +
                   " is overwritten; later GETs see a different object than earlier ones");
    }
  }

  // ---------- facts ----------
  void EmitOnce(FactKind kind, const std::string& subject, const std::string& name, std::string detail) {
    if (probe_limit_ != 0) return;
    std::string key(kind.id());
    key += '\x1f';
    key += subject;
    key += '\x1f';
    key += name;
    if (!shared_.reported.insert(std::move(key)).second) return;
    ctx_.Emit(kind, op_start_, subject, std::move(detail), name);
  }

  Value Import(std::string module, std::string name, const char* how) {
    if (proto_ < 3) compat::MapPython2Name(module, name);
    if (IsDottedIdentifier(module) && IsDottedIdentifier(name)) saw_identifier_import_ = true;
    EmitOnce(fact::kPickleImport, module, name, std::string(how) + " imports " + module + "." + name);
    // An attribute an earlier BUILD rewrote resolves to the value written there, as in the loader.
    if (!rewritten_attributes_.empty()) {
      auto it = rewritten_attributes_.find(module + "." + name);
      if (it != rewritten_attributes_.end()) return it->second;
    }
    Node n;
    n.text = std::move(module);
    n.name = std::move(name);
    return NewNode(Kind::kGlobal, std::move(n));
  }

  // A value used as a module or attribute name: STACK_GLOBAL requires exact str at runtime.
  std::optional<std::string> KnownString(Value v, bool& could_be_string) {
    could_be_string = false;
    if (v.kind == Kind::kStr) {
      if (!Truncated(v)) return Text(v);
      could_be_string = true;  // too long to keep: treat as unresolvable
      return std::nullopt;
    }
    // Anything produced at load time -- a call result, or an attribute of an imported (possibly
    // rewritten) module -- may be a str when the loader runs.
    could_be_string = v.kind == Kind::kObject || v.kind == Kind::kPersistent || v.kind == Kind::kGlobal;
    return std::nullopt;
  }

  std::string Describe(Value v) const {
    switch (v.kind) {
      case Kind::kGlobal:
        return nodes_[v.node].text + "." + nodes_[v.node].name;
      case Kind::kObject: {
        const Node& n = nodes_[v.node];
        return n.callable.kind == Kind::kGlobal ? "result of " + Describe(n.callable) : "object";
      }
      case Kind::kStr:
        return "str";
      case Kind::kPersistent:
        return "persistent object";
      default:
        return "value";
    }
  }

  // ---------- numbers in text opcodes ----------
  static bool ParseDecimal(std::string_view s, int64_t& out, bool allow_l_suffix) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    if (allow_l_suffix && !s.empty() && (s.back() == 'L' || s.back() == 'l')) s.remove_suffix(1);
    bool neg = false;
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
      neg = s.front() == '-';
      s.remove_prefix(1);
    }
    if (s.empty()) return false;
    // Python int literals with base prefixes (INT uses base 0); we only need their validity.
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && std::strchr("xXoObB", s[1]) != nullptr) {
      base = (s[1] == 'x' || s[1] == 'X') ? 16 : (s[1] == 'o' || s[1] == 'O') ? 8 : 2;
      s.remove_prefix(2);
    }
    int64_t v = 0;
    bool any = false;
    for (char c : s) {
      if (c == '_') continue;
      int d = std::isdigit(static_cast<unsigned char>(c))    ? c - '0'
              : std::isxdigit(static_cast<unsigned char>(c)) ? (std::tolower(c) - 'a' + 10)
                                                             : 99;
      if (d >= base) return false;
      any = true;
      if (v < (std::numeric_limits<int64_t>::max() - d) / base)
        v = v * base + d;
      else
        v = std::numeric_limits<int64_t>::max();
    }
    out = neg ? -v : v;
    return any;
  }

  int64_t SignedLittleEndian(std::span<const uint8_t> bytes) {
    if (bytes.empty()) return 0;
    if (bytes.size() > 8)
      return (bytes.back() & 0x80) ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
    uint64_t v = 0;
    for (size_t i = bytes.size(); i-- > 0;) v = (v << 8) | bytes[i];
    if (bytes.size() < 8 && (bytes.back() & 0x80)) v |= ~uint64_t{0} << (8 * bytes.size());
    return static_cast<int64_t>(v);
  }

  // BUILD on a module or class: its state dict (or the slot-state half of a (state, slots) tuple)
  // becomes attributes, which later imports of module.attr return.
  void RecordRewrites(Value target, Value state) {
    const std::string prefix = nodes_[target.node].text + "." + nodes_[target.node].name + ".";
    std::vector<Value> dicts;
    if (state.kind == Kind::kDict) dicts.push_back(state);
    if (state.kind == Kind::kTuple) {
      for (const Value& v : nodes_[state.node].items) {
        if (v.kind == Kind::kDict) dicts.push_back(v);
      }
    }
    for (const Value& d : dicts) {
      const auto& items = nodes_[d.node].items;
      for (size_t i = 0; i + 1 < items.size(); i += 2) {
        if (items[i].kind == Kind::kStr) rewritten_attributes_[prefix + Text(items[i])] = items[i + 1];
      }
    }
  }

  // ---------- joblib ----------
  const Value* DictLookup(Value dict, std::string_view key) const {
    if (dict.kind != Kind::kDict) return nullptr;
    const auto& items = nodes_[dict.node].items;
    for (size_t i = 0; i + 1 < items.size(); i += 2) {
      if (items[i].kind == Kind::kStr && Text(items[i]) == key) return &items[i + 1];
    }
    return nullptr;
  }

  // joblib's NumpyArrayWrapper.read_array: raw bytes (after an alignment pad) or a nested pickle.
  void FollowJoblibArray(Value state) {
    const Value* dtype = DictLookup(state, "dtype");
    const Value* shape = DictLookup(state, "shape");
    if (dtype == nullptr || shape == nullptr || dtype->kind != Kind::kObject || shape->kind != Kind::kTuple) {
      Fail("joblib array wrapper without a readable dtype/shape; cannot locate the next opcode");
    }
    const Node& dtype_node = nodes_[dtype->node];
    std::string dtype_text;
    if (dtype_node.args.kind == Kind::kTuple && !nodes_[dtype_node.args.node].items.empty() &&
        nodes_[dtype_node.args.node].items[0].kind == Kind::kStr) {
      dtype_text = Text(nodes_[dtype_node.args.node].items[0]);
    }
    bool is_object = false;
    auto item_size = npy::ItemSize(dtype_text, &is_object);
    if (!item_size) Fail("joblib array wrapper with an unknown dtype '" + dtype_text + "'");
    if (is_object) {
      // The array was written with pickle.dump: a complete, independent pickle stream follows.
      Machine nested(data_, pos_, ctx_, options_, shared_, probe_limit_);
      StreamSummary s = nested.Run();
      if (!s.completed) {
        error_offset_ = nested.error_offset();
        throw PickleError{nested.error_offset(), "nested joblib object-array pickle: " + s.error};
      }
      pos_ = s.end;
      return;
    }
    if (DictLookup(state, "numpy_array_alignment_bytes") != nullptr) {
      const uint8_t pad = U8();
      Take(pad);
    }
    uint64_t count = 1;
    const Node& shape_node = nodes_[shape->node];
    if (shape_node.length != shape_node.items.size()) Fail("joblib array shape has too many dimensions");
    for (const Value& dim : shape_node.items) {
      if (dim.kind != Kind::kInt || dim.num < 0) Fail("joblib array shape is not a tuple of non-negative ints");
      const auto d = static_cast<uint64_t>(dim.num);
      if (d != 0 && count > std::numeric_limits<uint64_t>::max() / d) Fail("joblib array size overflows");
      count *= d;
    }
    if (*item_size != 0 && count > std::numeric_limits<uint64_t>::max() / *item_size)
      Fail("joblib array size overflows");
    Take(count * *item_size);
  }

  // ---------- pickles inside constants ----------
  // Called for every str/bytes constant, so it only looks at the first bytes unless they may start a
  // pickle or an encoding of one.
  void Nested(ByteView constant, const char* what) {
    if (probe_limit_ != 0 || constant.size() < nested::kMinConstant || !nested::MightCarry(constant)) return;
    AnalyzeNested(constant, what);
  }
  void AnalyzeNested(ByteView constant, const char* what);

  // ---------- the loop ----------
  bool Loop();
  void CheckFrame();

  ByteView data_;
  uint64_t pos_;
  uint64_t start_;
  uint64_t op_start_ = 0;
  uint64_t error_offset_ = 0;
  AnalysisContext& ctx_;
  const MachineOptions& options_;
  SharedState& shared_;
  uint64_t probe_limit_;
  int proto_ = 0;
  uint64_t opcodes_ = 0;
  uint64_t frame_end_ = 0;  // 0: no frame active
  bool saw_identifier_import_ = false;
  bool called_import_ = false;  // an imported callable was called (REDUCE, INST, OBJ, NEWOBJ)

  std::vector<Value> stack_;
  std::vector<size_t> marks_;
  std::vector<Value> memo_;
  std::unordered_map<uint64_t, Value> sparse_memo_;
  uint64_t memo_len_ = 0;
  std::vector<Node> nodes_;
  std::vector<std::string> strings_;
  std::unordered_map<std::string, Value> rewritten_attributes_;
};

// Whether bytes a constant decoded to are a pickle: the machine runs them silently under the same limits.
// With a protocol header, a stream that imports a named module or runs to STOP is one. Without a header
// (protocols 0 and 1, which is also what ordinary text looks like) the stream must import and then either
// reach STOP or call what it imported, as a payload that breaks right after its REDUCE does: text such as
// "cat\ndog\nbird" decodes as GLOBAL cat.dog and then breaks, and is not a pickle.
bool ConfirmNested(ByteView bytes, const Limits& limits) {
  std::vector<Fact> sink;
  AnalysisContext silent(limits, sink);
  MachineOptions options;
  SharedState shared;
  Machine machine(bytes, 0, silent, options, shared, kSilentRun);
  const StreamSummary s = machine.Run();
  if (!bytes.empty() && bytes[0] == 0x80) return s.completed || machine.saw_identifier_import();
  return machine.saw_identifier_import() && (s.completed || machine.called_import());
}

void Machine::AnalyzeNested(ByteView constant, const char* what) {
  nested::Budget& budget = nested::CurrentBudget();
  auto payload =
      nested::FindPayload(constant, ctx_, [this](ByteView bytes) { return ConfirmNested(bytes, ctx_.limits()); });
  if (!payload) return;
  if (budget.depth >= nested::kMaxDepth) {
    nested::ReportLimit(ctx_, op_start_,
                        "pickles nested more than " + std::to_string(nested::kMaxDepth) +
                            " levels deep inside constants; the innermost was not analysed");
    return;
  }
  if (budget.payloads >= nested::kMaxPayloads) {
    nested::ReportLimit(ctx_, op_start_,
                        "more than " + std::to_string(nested::kMaxPayloads) +
                            " nested pickles inside constants; the rest were not analysed");
    return;
  }
  ++budget.payloads;
  const std::string member =
      "pickle@" + std::to_string(op_start_) + (payload->chain.empty() ? "" : ":" + payload->chain);
  ctx_.Emit(fact::kPickleNestedPayload, op_start_, member,
            std::string("the ") + what + " constant at offset " + std::to_string(op_start_) + " holds a " +
                (payload->chain.empty() ? "" : payload->chain + "-encoded ") + "pickle of " +
                std::to_string(payload->bytes.size()) + " bytes; code that unpickles it runs what is reported under " +
                member);
  struct DepthGuard {
    nested::Budget& b;
    explicit DepthGuard(nested::Budget& budget) : b(budget) { ++b.depth; }
    ~DepthGuard() { --b.depth; }
  } guard(budget);
  MemberHint hint;
  hint.forced_format = "pickle";
  ctx_.AnalyzeMember(member, payload->bytes, hint);
}

void Machine::CheckFrame() {
  if (frame_end_ != 0 && op_start_ < frame_end_ && pos_ > frame_end_) {
    EmitOnce(fact::kPickleFrameMismatch, "", "",
             "an opcode crosses the end of its FRAME at offset " + std::to_string(frame_end_) +
                 " (CPython's C unpickler accepts it; pickle.py rejects it)");
    frame_end_ = 0;
  }
  if (frame_end_ != 0 && pos_ >= frame_end_) frame_end_ = 0;
}

bool Machine::Loop() {
  nodes_.reserve(64);
  nodes_.emplace_back();  // node 0 is a placeholder so that node==0 never names real data
  strings_.reserve(64);
  while (true) {
    if (probe_limit_ != 0 && opcodes_ >= probe_limit_) return false;
    op_start_ = pos_;
    if (pos_ >= data_.size()) Fail("pickle data was truncated (no STOP opcode)");
    const uint8_t op = data_[pos_++];
    ++opcodes_;
    switch (op) {
      case '(':  // MARK
        if (marks_.size() >= ctx_.limits().max_pickle_stack_depth) Fail("too many MARKs");
        marks_.push_back(stack_.size());
        break;
      case '.': {  // STOP
        Pop();
        CheckFrame();
        if (frame_end_ != 0 && pos_ < frame_end_) {
          EmitOnce(fact::kPickleFrameMismatch, "", "",
                   "STOP before the end of the current FRAME: " + std::to_string(frame_end_ - pos_) +
                       " framed bytes are skipped by pickle.py but read by "
                       "the next load of CPython's C unpickler");
        }
        return true;
      }
      case '0':  // POP: may pop a MARK, as CPython's load_pop does
        if (!marks_.empty() && marks_.back() == stack_.size()) {
          marks_.pop_back();
        } else {
          Pop();
        }
        break;
      case '1': {  // POP_MARK
        const size_t m = Marker();
        stack_.resize(m);
        break;
      }
      case '2':  // DUP
        Push(Top());
        break;
      case 'F': {  // FLOAT
        std::string text(Line());
        char* end = nullptr;
        (void)std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size()) Fail("could not convert string to float");
        Push(Value{Kind::kFloat, 0, 0});
        break;
      }
      case 'I': {  // INT
        std::string_view line = Line();
        if (line == "00" || line == "01") {
          Push(Value{Kind::kBool, 0, line == "01" ? 1 : 0});
          break;
        }
        int64_t v = 0;
        if (!ParseDecimal(line, v, false)) Fail("invalid literal for INT");
        Push(Value{Kind::kInt, 0, v});
        break;
      }
      case 'J':
        Push(Value{Kind::kInt, 0, static_cast<int32_t>(static_cast<uint32_t>(LittleEndian(4)))});
        break;
      case 'K':
        Push(Value{Kind::kInt, 0, static_cast<int64_t>(U8())});
        break;
      case 'M':
        Push(Value{Kind::kInt, 0, static_cast<int64_t>(LittleEndian(2))});
        break;
      case 'L': {  // LONG
        int64_t v = 0;
        if (!ParseDecimal(Line(), v, true)) Fail("invalid literal for LONG");
        Push(Value{Kind::kInt, 0, v});
        break;
      }
      case 0x8a: {  // LONG1
        const uint8_t n = U8();
        Push(Value{Kind::kInt, 0, SignedLittleEndian({Take(n), n})});
        break;
      }
      case 0x8b: {  // LONG4
        const auto n = static_cast<int32_t>(static_cast<uint32_t>(LittleEndian(4)));
        if (n < 0) Fail("LONG pickle has negative byte count");
        Push(Value{Kind::kInt, 0, SignedLittleEndian({Take(static_cast<uint64_t>(n)), static_cast<size_t>(n)})});
        break;
      }
      case 'N':
        Push(Value{Kind::kNone, 0, 0});
        break;
      case 0x88:
        Push(Value{Kind::kBool, 0, 1});
        break;
      case 0x89:
        Push(Value{Kind::kBool, 0, 0});
        break;
      case 'G':
        Take(8);
        Push(Value{Kind::kFloat, 0, 0});
        break;
      case 'P': {  // PERSID: ASCII id passed to persistent_load
        std::string_view line = Line();
        if (!text::IsAscii(line)) Fail("persistent IDs in protocol 0 must be ASCII strings");
        EmitOnce(fact::kPicklePersistentId, std::string(line.substr(0, 64)), "", "persistent_load is called");
        Push(Value{Kind::kPersistent, 0, 0});
        break;
      }
      case 'Q': {  // BINPERSID
        Value pid = Pop();
        std::string subject = "object";
        if (pid.kind == Kind::kTuple && !nodes_[pid.node].items.empty() &&
            nodes_[pid.node].items[0].kind == Kind::kStr) {
          subject = Text(nodes_[pid.node].items[0]);
        }
        EmitOnce(fact::kPicklePersistentId, subject, "", "persistent_load is called with a '" + subject + "' id");
        Push(Value{Kind::kPersistent, 0, 0});
        break;
      }
      case 'R': {  // REDUCE: callable(*args)
        Value args = Pop();
        Value callable = Pop();
        if (callable.kind != Kind::kGlobal && callable.kind != Kind::kObject && callable.kind != Kind::kPersistent) {
          Fail("REDUCE on a value that is not callable");
        }
        Push(Object(callable, args));
        break;
      }
      case 'S': {  // STRING: quoted, escape-decoded
        std::string_view line = Line();
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
        if (line.size() < 2 || line.front() != line.back() || (line.front() != '\'' && line.front() != '"')) {
          Fail("the STRING opcode argument must be quoted");
        }
        auto decoded = text::DecodeEscapes(line.substr(1, line.size() - 2));
        if (!decoded) Fail("invalid escape in STRING");
        Nested({reinterpret_cast<const uint8_t*>(decoded->data()), decoded->size()}, "STRING");
        const auto len = decoded->size();
        Push(Str(std::move(*decoded), len));
        break;
      }
      case 'T': {  // BINSTRING
        const auto n = static_cast<int32_t>(static_cast<uint32_t>(LittleEndian(4)));
        if (n < 0) Fail("BINSTRING pickle has negative byte count");
        const uint8_t* p = Take(static_cast<uint64_t>(n));
        Nested({p, static_cast<size_t>(n)}, "BINSTRING");
        const size_t keep = std::min<size_t>(static_cast<size_t>(n), ctx_.limits().max_kept_string);
        Push(Str(std::string(reinterpret_cast<const char*>(p), keep), static_cast<uint64_t>(n)));
        break;
      }
      case 'U': {  // SHORT_BINSTRING
        const uint8_t n = U8();
        const uint8_t* p = Take(n);
        Nested({p, n}, "SHORT_BINSTRING");
        Push(Str(std::string(reinterpret_cast<const char*>(p), n), n));
        break;
      }
      case 'V': {  // UNICODE: raw-unicode-escape
        auto decoded = text::DecodeRawUnicodeEscape(Line());
        if (!decoded) Fail("invalid raw-unicode-escape in UNICODE");
        Nested({reinterpret_cast<const uint8_t*>(decoded->data()), decoded->size()}, "UNICODE");
        const auto len = decoded->size();
        Push(Str(std::move(*decoded), len));
        break;
      }
      case 'X':
      case 0x8c:
      case 0x8d: {  // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
        const uint64_t n = op == 'X' ? LittleEndian(4) : op == 0x8c ? U8() : LittleEndian(8);
        if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          Fail("BINUNICODE8 exceeds system's maximum size");
        const uint8_t* p = Take(n);
        std::string_view s(reinterpret_cast<const char*>(p), n);
        if (!text::IsUtf8SurrogatePass(s)) Fail("'utf-8' codec can't decode BINUNICODE payload");
        Nested({p, static_cast<size_t>(n)}, "str");
        Push(Str(std::string(s.substr(0, ctx_.limits().max_kept_string)), n));
        break;
      }
      case 'B':
      case 'C':
      case 0x8e:
      case 0x96: {  // BINBYTES, SHORT_BINBYTES, BINBYTES8, BYTEARRAY8
        const uint64_t n = op == 'B' ? LittleEndian(4) : op == 'C' ? U8() : LittleEndian(8);
        if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
          Fail("byte count exceeds system's maximum size");
        const uint64_t at = pos_;
        Nested({Take(n), static_cast<size_t>(n)}, op == 0x96 ? "bytearray" : "bytes");  // never copied
        Push(Bytes(op == 0x96 ? Kind::kByteArray : Kind::kBytes, at, n));
        break;
      }
      case 'a': {  // APPEND
        if (stack_.size() < 2 || stack_.size() - 1 <= Fence()) Fail("unpickling stack underflow");
        Value v = Pop();
        Value target = Top();
        if (target.kind == Kind::kList)
          AddItems(target, {&v, 1});
        else if (target.kind != Kind::kObject && target.kind != Kind::kPersistent)
          Fail("APPEND to a value without append()");
        break;
      }
      case 'e':  // APPENDS
        ExtendMarked(Kind::kList, "APPENDS to a value without extend()");
        break;
      case 'b': {  // BUILD: inst.__setstate__(state) or setattr on inst
        Value state = Pop();
        Value& inst = Top();
        if (inst.kind == Kind::kGlobal) {
          EmitOnce(fact::kPickleGlobalMutation, nodes_[inst.node].text, nodes_[inst.node].name,
                   "BUILD sets attributes on the imported object " + Describe(inst) +
                       " itself, changing code other objects rely on");
          RecordRewrites(inst, state);
        } else if (inst.kind == Kind::kObject && nodes_[inst.node].joblib_wrapper && options_.follow_joblib_arrays) {
          // joblib commits the current frame before writing the array, so the frame ends here.
          CheckFrame();
          if (frame_end_ != 0) {
            EmitOnce(fact::kPickleFrameMismatch, "", "",
                     "joblib array data starts inside a FRAME; joblib reads it "
                     "from after the frame, other readers from inside it");
            frame_end_ = 0;
          }
          FollowJoblibArray(state);
        } else if (inst.kind != Kind::kObject && inst.kind != Kind::kPersistent && inst.kind != Kind::kList &&
                   inst.kind != Kind::kDict && inst.kind != Kind::kSet) {
          // Builtin scalars have no __dict__ and no __setstate__: CPython raises.
          if (inst.kind != Kind::kTuple && inst.kind != Kind::kFrozenSet) Fail("BUILD on an object without state");
        }
        break;
      }
      case 'd': {  // DICT
        const size_t m = Marker();
        auto items = Above(m);
        if (items.size() % 2 != 0) Fail("odd number of items for DICT");
        Value d = Container(Kind::kDict, items);
        nodes_[d.node].length = items.size() / 2;
        stack_.resize(m);
        Push(d);
        break;
      }
      case '}':
        Push(Container(Kind::kDict, {}));
        break;
      case ']':
        Push(Container(Kind::kList, {}));
        break;
      case ')':
        Push(Container(Kind::kTuple, {}));
        break;
      case 0x8f:
        Push(Container(Kind::kSet, {}));
        break;
      case 's': {  // SETITEM: dict, key and value all above the mark fence (CPython 3.12+ checks this)
        if (stack_.size() < Fence() + 3) Fail("unpickling stack underflow");
        Value v = stack_.back();
        Value k = stack_[stack_.size() - 2];
        stack_.resize(stack_.size() - 2);
        Value target = stack_.back();
        if (target.kind == Kind::kDict) {
          Value kv[2] = {k, v};
          AddItems(target, kv);
        } else if (target.kind != Kind::kObject && target.kind != Kind::kPersistent) {
          Fail("SETITEM on a value without __setitem__");
        }
        break;
      }
      case 'u': {  // SETITEMS
        const size_t m = Marker();
        if (m == 0) Fail("unpickling stack underflow");
        auto items = Above(m);
        if (items.size() % 2 != 0) Fail("odd number of items for SETITEMS");
        Value target = stack_[m - 1];
        if (target.kind == Kind::kDict)
          AddItems(target, items);
        else if (target.kind != Kind::kObject && target.kind != Kind::kPersistent && !items.empty()) {
          Fail("SETITEMS on a value without __setitem__");
        }
        stack_.resize(m);
        break;
      }
      case 0x90:  // ADDITEMS
        ExtendMarked(Kind::kSet, "ADDITEMS on a value without add()");
        break;
      case 0x91:
      case 'l':
      case 't': {  // FROZENSET, LIST, TUPLE
        const size_t m = Marker();
        Value c = Container(op == 0x91 ? Kind::kFrozenSet : op == 'l' ? Kind::kList : Kind::kTuple, Above(m));
        stack_.resize(m);
        Push(c);
        break;
      }
      case 0x85:
      case 0x86:
      case 0x87: {  // TUPLE1..3
        const size_t n = static_cast<size_t>(op - 0x84);
        if (stack_.size() < n || stack_.size() - n < Fence()) Fail("unpickling stack underflow");
        Value c = Container(Kind::kTuple, Above(stack_.size() - n));
        stack_.resize(stack_.size() - n);
        Push(c);
        break;
      }
      case 'c': {  // GLOBAL: "module\nname\n", UTF-8
        std::string_view module = Line();
        std::string_view name = Line();
        if (module.empty() || name.empty()) Fail("pickle data was truncated (empty GLOBAL line)");
        if (!text::IsUtf8Strict(module) || !text::IsUtf8Strict(name)) Fail("GLOBAL names are not valid UTF-8");
        Push(Import(std::string(module), std::string(name), "GLOBAL"));
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        Value name_v = Pop();
        Value module_v = Pop();
        bool module_dynamic = false;
        bool name_dynamic = false;
        auto module = KnownString(module_v, module_dynamic);
        auto name = KnownString(name_v, name_dynamic);
        if (module && name) {
          Push(Import(std::move(*module), std::move(*name), "STACK_GLOBAL"));
        } else if ((module || module_dynamic) && (name || name_dynamic)) {
          // Operands computed at load time: whatever they evaluate to gets imported.
          EmitOnce(fact::kPickleDynamicImport, module.value_or("<" + Describe(module_v) + ">"),
                   name.value_or("<" + Describe(name_v) + ">"),
                   "STACK_GLOBAL imports a name computed while unpickling (" + Describe(module_v) + ", " +
                       Describe(name_v) + "); the import cannot be known before loading");
          Node n;
          n.text = module.value_or("?");
          n.name = name.value_or("?");
          Push(NewNode(Kind::kGlobal, std::move(n)));
        } else {
          Fail("STACK_GLOBAL requires str");
        }
        break;
      }
      case 'i': {  // INST: "module\nname\n" then instantiate with the marked args
        std::string_view module = Line();
        std::string_view name = Line();
        if (module.empty() || name.empty()) Fail("pickle data was truncated (empty INST line)");
        if (!text::IsUtf8Strict(module) || !text::IsUtf8Strict(name)) Fail("INST names are not valid UTF-8");
        const size_t m = Marker();
        Value cls = Import(std::string(module), std::string(name), "INST");
        Value args = Container(Kind::kTuple, Above(m));
        stack_.resize(m);
        Push(Object(cls, args));
        break;
      }
      case 'o': {  // OBJ: cls is the first item after the mark
        const size_t m = Marker();
        if (stack_.size() <= m) Fail("unpickling stack underflow");
        Value cls = stack_[m];
        Value args = Container(Kind::kTuple, Above(m + 1));
        stack_.resize(m);
        Push(Object(cls, args));
        break;
      }
      case 0x81: {  // NEWOBJ
        Value args = Pop();
        Value cls = Pop();
        if (cls.kind != Kind::kGlobal && cls.kind != Kind::kObject && cls.kind != Kind::kPersistent) {
          Fail("NEWOBJ class argument isn't a type object");
        }
        Push(Object(cls, args));
        break;
      }
      case 0x92: {  // NEWOBJ_EX
        Pop();      // kwargs
        Value args = Pop();
        Value cls = Pop();
        if (cls.kind != Kind::kGlobal && cls.kind != Kind::kObject && cls.kind != Kind::kPersistent) {
          Fail("NEWOBJ_EX class argument must be a type");
        }
        Push(Object(cls, args));
        break;
      }
      case 0x82:
      case 0x83:
      case 0x84: {  // EXT1, EXT2, EXT4
        const int bytes = op == 0x82 ? 1 : op == 0x83 ? 2 : 4;
        const auto code = static_cast<int64_t>(bytes == 4 ? static_cast<int32_t>(static_cast<uint32_t>(LittleEndian(4)))
                                                          : static_cast<int64_t>(LittleEndian(bytes)));
        if (code <= 0) Fail("EXT specifies code <= 0");
        EmitOnce(fact::kPickleExtension, std::to_string(code), "",
                 "EXT" + std::to_string(bytes) + " imports whatever copyreg's extension registry maps code " +
                     std::to_string(code) + " to in the loading process");
        Push(Value{Kind::kObject, 0, 0});
        break;
      }
      case 'g': {  // GET
        int64_t idx = 0;
        if (!ParseDecimal(Line(), idx, false) || idx < 0) Fail("invalid GET index");
        Push(MemoGet(static_cast<uint64_t>(idx)));
        break;
      }
      case 'h':
        Push(MemoGet(U8()));
        break;
      case 'j':
        Push(MemoGet(LittleEndian(4)));
        break;
      case 'p': {  // PUT
        int64_t idx = 0;
        if (!ParseDecimal(Line(), idx, false)) Fail("invalid PUT index");
        if (idx < 0) Fail("negative PUT argument");
        MemoPut(static_cast<uint64_t>(idx), Top());
        break;
      }
      case 'q': {
        const uint64_t idx = U8();
        MemoPut(idx, Top());
        break;
      }
      case 'r': {
        const uint64_t idx = LittleEndian(4);
        MemoPut(idx, Top());
        break;
      }
      case 0x94:
        MemoPut(memo_len_, Top());
        break;      // MEMOIZE: key is the count of occupied slots
      case 0x95: {  // FRAME
        const uint64_t len = LittleEndian(8);
        if (frame_end_ != 0 && op_start_ < frame_end_) {
          EmitOnce(fact::kPickleFrameMismatch, "", "", "a FRAME starts before the previous one ended");
        }
        if (len > data_.size() - pos_) Fail("FRAME length " + std::to_string(len) + " exceeds the remaining data");
        frame_end_ = pos_ + len;
        continue;  // the frame's own header never crosses itself
      }
      case 0x80: {  // PROTO
        const uint8_t v = U8();
        if (v > kHighestProtocol) Fail("unsupported pickle protocol: " + std::to_string(v));
        proto_ = v;
        break;
      }
      case 0x97:  // NEXT_BUFFER
        EmitOnce(fact::kPickleOutOfBandBuffer, "", "", "NEXT_BUFFER needs out-of-band buffers the loader supplies");
        Fail("pickle stream refers to out-of-band data but no *buffers* argument was given");
      case 0x98:  // READONLY_BUFFER
        Top();
        break;
      default: {
        char shown[8];
        std::snprintf(shown, sizeof shown, "\\x%02x", op);
        Fail(std::string("invalid load key, '") +
             (op >= 0x20 && op < 0x7f ? std::string(1, static_cast<char>(op)) : shown) + "'");
      }
    }
    CheckFrame();
  }
}

}  // namespace

StreamSummary RunStream(ByteView data, uint64_t start, AnalysisContext& ctx, const MachineOptions& options) {
  const nested::OuterScope nested_scope;
  SharedState shared;
  return Machine(data, start, ctx, options, shared).Run();
}

namespace {

// torch.save's legacy format starts with a pickled LONG1 of this magic number and holds exactly five
// pickles (magic, protocol version, sys info, the object, storage keys); raw storage bytes follow, which
// torch.load never unpickles (torch/serialization.py, _legacy_load).
constexpr uint8_t kTorchLegacyMagic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
constexpr size_t kTorchLegacyStreams = 5;

bool IsTorchLegacy(ByteView data) {
  const size_t at = data.size() >= 2 && data[0] == 0x80 ? 2 : 0;
  return data.size() >= at + sizeof kTorchLegacyMagic &&
         std::equal(std::begin(kTorchLegacyMagic), std::end(kTorchLegacyMagic),
                    data.begin() + static_cast<std::ptrdiff_t>(at));
}

constexpr uint64_t kDeliberateOpcodes = 8;  // opcodes that random bytes rarely decode in a row

// Runs the first kProbeOpcodes opcodes without emitting anything. True when the stream looks deliberate:
// it reaches STOP, imports a dotted identifier, or decodes several opcodes cleanly. `first_opcode_ok`
// tells whether CPython would accept the very first opcode.
bool ProbeLooksDeliberate(ByteView data, bool* first_opcode_ok) {
  Limits limits;
  std::vector<Fact> sink;
  AnalysisContext probe_ctx(limits, sink);
  MachineOptions options;
  SharedState shared;
  Machine machine(data, 0, probe_ctx, options, shared, kProbeOpcodes);
  const StreamSummary s = machine.Run();
  *first_opcode_ok = s.error.empty() || machine.error_offset() > 0;
  return s.completed || machine.saw_identifier_import() || s.opcodes >= kDeliberateOpcodes;
}

// Whether bytes after a STOP are another pickle. Stricter than sniffing a whole file: raw tensor data
// often starts with 0x80 0x00..0x05 (an element count of 128, 384, ...), which looks like PROTO.
bool LooksLikeNextStream(ByteView data) {
  bool first_ok = false;
  return ProbeLooksDeliberate(data, &first_ok) && first_ok;
}

}  // namespace

std::vector<StreamSummary> RunAllStreams(ByteView data, AnalysisContext& ctx, const MachineOptions& options,
                                         uint64_t start) {
  const nested::OuterScope nested_scope;
  std::vector<StreamSummary> streams;
  SharedState shared;
  const size_t max_streams = IsTorchLegacy(data.subspan(start)) ? kTorchLegacyStreams : ctx.limits().max_pickle_streams;
  uint64_t pos = start;
  while (pos < data.size()) {
    if (streams.size() >= max_streams) {
      if (max_streams == kTorchLegacyStreams) {
        ctx.Emit(fact::kPickleTrailingData, pos, "",
                 std::to_string(data.size() - pos) +
                     " bytes of raw tensor storage follow the five pickles of a legacy torch.save file");
      } else {
        ctx.Emit(fact::kLimit, pos, "pickle",
                 "more than " + std::to_string(max_streams) + " consecutive pickle streams; the rest is not analysed");
      }
      break;
    }
    if (!streams.empty() && !LooksLikeNextStream(data.subspan(pos))) {
      ctx.Emit(fact::kPickleTrailingData, pos, "",
               std::to_string(data.size() - pos) +
                   " bytes after the last pickle stream are not a pickle (no loader unpickles them)");
      break;
    }
    Machine machine(data, pos, ctx, options, shared);
    StreamSummary s = machine.Run();
    streams.push_back(s);
    if (!s.completed) {
      ctx.Emit(fact::kParseError, s.end, "pickle",
               "pickle stream " + std::to_string(streams.size()) + " starting at offset " + std::to_string(s.start) +
                   " breaks: " + s.error +
                   ". Everything before this point was still analysed; loaders execute it "
                   "before failing.");
      break;
    }
    pos = s.end;
  }
  return streams;
}

bool LooksLikePickle(ByteView data) {
  if (data.empty()) return false;
  if (data.size() >= 2 && data[0] == 0x80 && data[1] <= kHighestProtocol) return true;
  bool first_ok = false;
  const bool deliberate = ProbeLooksDeliberate(data, &first_ok);
  return first_ok && deliberate;
}

}  // namespace modelguard::formats::pickle
