// `modelguard watermark detect`: is a token sequence watermarked (Kirchenbauer et al. 2023)? The ids come
// from a file of ids (--tokens) or from a text tokenized as the model does (--text with --tokenizer). The
// scheme and the tokenizer are src/watermark's; this file only reads options and prints.
#include <cstdio>
#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "modelguard/core/io.h"
#include "modelguard/watermark/tokenizer.h"
#include "modelguard/watermark/watermark.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

// A text file is read whole, up to this size (one text: one sequence).
constexpr uint64_t kMaxTextBytes = uint64_t{64} << 20;

struct DetectArgs {
  std::string tokens;
  std::string text;       // with tokenizer: instead of tokens
  std::string tokenizer;  // tokenizer.json or a tiktoken ranks file
  std::string split_pattern;
  bool vocab_size_given = false;
  uint64_t vocab_size = 0;
  double gamma = 0.25;
  uint64_t key = watermark::kReferenceHashKey;
  double z_threshold = 4.0;
  uint64_t window = 50;
  bool ignore_repeated_bigrams = false;
  std::string format = "text";
  std::string output;
};

std::string Fixed(double value, int digits) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << value;
  return out.str();
}

int Fail(const std::string& message) {
  std::cerr << "modelguard watermark detect: " << message << "\n";
  return 2;
}

// The text of `args.text` as one sequence of the tokenizer's ids.
Result<std::vector<uint64_t>> TokenizeText(const DetectArgs& args, const watermark::Tokenizer& tokenizer) {
  MG_ASSIGN_OR_RETURN(const std::string text, ReadFile(args.text, kMaxTextBytes));
  if (text.empty()) return MakeError(ErrorCode::kParse, "no text: the file is empty");
  MG_ASSIGN_OR_RETURN(const auto ids, tokenizer.Encode(text));
  return std::vector<uint64_t>(ids.begin(), ids.end());
}

int RunDetect(const DetectArgs& args) {
  constexpr const char* kCommand = "watermark detect";
  const bool from_text = !args.text.empty();
  if (from_text == !args.tokens.empty()) return Fail("give either --tokens, or --text with --tokenizer");
  if (from_text != !args.tokenizer.empty())
    return Fail(from_text ? "--text needs --tokenizer (the model's tokenizer.json or tiktoken ranks file)"
                          : "--tokenizer goes with --text (--tokens are ids already)");
  if (!args.split_pattern.empty() && !from_text) return Fail("--split-pattern goes with --tokenizer");
  if (!from_text && !args.vocab_size_given) return Fail("--vocab-size is required with --tokens");
  if (!CheckInputFile(from_text ? args.text : args.tokens, kCommand)) return 2;
  std::optional<watermark::Tokenizer> tokenizer;
  if (from_text) {
    if (!CheckInputFile(args.tokenizer, kCommand)) return 2;
    if (args.tokenizer == "-") return Fail("--tokenizer must be a file, not standard input");
    Result<watermark::Tokenizer> loaded = MakeError(ErrorCode::kInvalidArgument, "");
    if (args.split_pattern.empty()) {
      loaded = watermark::Tokenizer::Load(args.tokenizer);
    } else {
      auto pattern = watermark::ParseSplitPattern(args.split_pattern);
      if (!pattern) return Fail("--split-pattern: " + pattern.error().message);
      loaded = watermark::Tokenizer::Load(args.tokenizer, *pattern);
    }
    if (!loaded) return Fail(EscapeControlCharacters(args.tokenizer) + ": " + loaded.error().message);
    tokenizer = std::move(*loaded);
  }
  const uint64_t vocab_size = args.vocab_size_given ? args.vocab_size : tokenizer->vocab_size();
  const watermark::Scheme scheme{.vocab_size = vocab_size, .gamma = args.gamma, .hash_key = args.key};
  if (auto checked = watermark::Check(scheme); !checked) return Fail(checked.error().message);
  std::vector<std::vector<uint64_t>> sequences;
  if (from_text) {
    auto ids = TokenizeText(args, *tokenizer);
    if (!ids) return Fail(EscapeControlCharacters(args.text) + ": " + ids.error().message);
    sequences.push_back(std::move(*ids));
  } else {
    auto text = ReadFile(args.tokens);
    if (!text) return Fail(text.error().message);
    auto parsed = watermark::ParseTokenSequences(*text);
    if (!parsed) return Fail(EscapeControlCharacters(args.tokens) + ": " + parsed.error().message);
    sequences = std::move(*parsed);
  }
  watermark::GreenLists lists(scheme);
  watermark::DetectOptions options;
  options.z_threshold = args.z_threshold;
  options.window = args.window;
  options.ignore_repeated_bigrams = args.ignore_repeated_bigrams;
  std::vector<watermark::Detection> detections;
  for (size_t i = 0; i < sequences.size(); ++i) {
    auto detection = watermark::Detect(lists, sequences[i], options);
    if (!detection) {
      std::string where = from_text ? EscapeControlCharacters(args.text) : "sequence " + std::to_string(i + 1);
      if (from_text && args.vocab_size_given)
        where += " (tokenized with a vocabulary of " + std::to_string(tokenizer->vocab_size()) + ")";
      return Fail(where + ": " + detection.error().message);
    }
    detections.push_back(std::move(*detection));
  }
  Output output(kCommand);
  if (!output.Open(args.output, from_text ? std::vector<std::string>{args.text, args.tokenizer}
                                          : std::vector<std::string>{args.tokens}))
    return 2;
  bool any = false;
  for (const auto& d : detections) any |= d.watermarked;
  if (args.format == "json") {
    nlohmann::ordered_json doc{{"schema", "modelguard.watermark-detect/v1"},
                               {"scheme",
                                {{"name", "kirchenbauer-2023"},
                                 {"vocab_size", scheme.vocab_size},
                                 {"gamma", scheme.gamma},
                                 {"key", scheme.hash_key},
                                 {"green_list_size", watermark::GreenListSize(scheme)}}},
                               {"z_threshold", args.z_threshold},
                               {"window", args.window},
                               {"ignore_repeated_bigrams", args.ignore_repeated_bigrams},
                               {"watermarked", any}};
    if (tokenizer)
      doc["tokenizer"] = {{"format", tokenizer->is_tiktoken() ? "tiktoken" : "tokenizer.json"},
                          {"split_pattern", watermark::ToString(tokenizer->split_pattern())},
                          {"vocab_size", tokenizer->vocab_size()}};
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& d : detections) {
      nlohmann::ordered_json windows = nlohmann::ordered_json::array(), spans = nlohmann::ordered_json::array();
      for (const auto& w : d.windows)
        windows.push_back({{"begin", w.begin}, {"end", w.end}, {"scored", w.scored}, {"green", w.green}, {"z", w.z}});
      for (const auto& s : d.spans) spans.push_back({{"begin", s.begin}, {"end", s.end}, {"z", s.z}});
      list.push_back({{"tokens", d.tokens},
                      {"scored", d.scored},
                      {"green", d.green},
                      {"green_fraction", d.green_fraction},
                      {"z", d.z},
                      {"p_value", d.p_value},
                      {"watermarked", d.watermarked},
                      {"spans", spans},
                      {"windows", windows}});
    }
    doc["sequences"] = list;
    output.stream() << ReportJson(doc) << "\n";
  } else {
    for (size_t i = 0; i < detections.size(); ++i) {
      const auto& d = detections[i];
      if (detections.size() > 1) output.stream() << "sequence " << i + 1 << ": ";
      output.stream() << (d.watermarked ? "WATERMARKED" : "no watermark") << ": z " << Fixed(d.z, 4) << " (p "
                      << d.p_value << "), " << d.green << " of " << d.scored << " scored tokens green ("
                      << Fixed(100 * d.green_fraction, 1) << " %, " << Fixed(100 * args.gamma, 1)
                      << " % expected without a watermark)\n";
      for (const auto& s : d.spans)
        output.stream() << "  watermarked span: tokens " << s.begin << " to " << s.end << ", z " << Fixed(s.z, 4)
                        << "\n";
    }
  }
  if (!output.Close()) return 2;
  return any ? 1 : 0;
}

}  // namespace

Action AddWatermark(CLI::App& command) {
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  constexpr const char* kExit = "0 no watermark found, 1 a sequence is watermarked (z above --z-threshold), 2 error";
  Describe(cmd, "",
           {"modelguard watermark detect --tokens answer.json --vocab-size 50272",
            "modelguard watermark detect --text answer.txt --tokenizer tokenizer.json"},
           kExit);
  auto args = std::make_shared<DetectArgs>();
  CLI::App* detect =
      cmd->add_subcommand("detect", "Score token ids for the green-list watermark of Kirchenbauer et al.");
  detect->add_option("--tokens", args->tokens,
                     "Token ids: a JSON array, JSON Lines of arrays (one sequence each), or numbers separated by "
                     "white space or commas");
  detect->add_option("--text", args->text,
                     "A text (UTF-8, the whole file is one sequence), tokenized with --tokenizer; instead of "
                     "--tokens");
  detect->add_option("--tokenizer", args->tokenizer,
                     "The model's tokenizer for --text: a Hugging Face tokenizer.json (byte-level BPE: GPT-2, "
                     "RoBERTa/OPT, Llama 3, Qwen 2) or a tiktoken ranks file (r50k/gpt2, p50k, cl100k_base)");
  detect->add_option("--split-pattern", args->split_pattern,
                     "The pre-tokenizer of a tiktoken ranks file: gpt2, cl100k or qwen2 (default: from the number "
                     "of ranks of a known encoding)");
  detect->add_option_function<uint64_t>(
      "--vocab-size",
      [args](const uint64_t& value) {
        args->vocab_size = value;
        args->vocab_size_given = true;
      },
      "The generating model's vocabulary size (required with --tokens; with --tokenizer, its highest id + 1 "
      "unless given: models often pad theirs, OPT's 50265 to 50272)");
  detect->add_option("--gamma", args->gamma, "Green share of the vocabulary")->capture_default_str();
  detect->add_option("--key", args->key, "Hash key (the reference implementation's default)")->capture_default_str();
  detect->add_option("--z-threshold", args->z_threshold, "z above this: watermarked")->capture_default_str();
  detect->add_option("--window", args->window, "Scored tokens per window for locating spans (0: none)")
      ->capture_default_str();
  detect->add_flag("--ignore-repeated-bigrams", args->ignore_repeated_bigrams,
                   "Score each (previous, token) pair once, against repetitive text");
  detect->add_option("-o,--output", args->output, "Write the result to this file instead of standard output");
  AddFormatOption(detect, args->format, {"text", "json"});
  Describe(detect,
           "The green lists are those of the authors' reference implementation on the CPU (torch.randperm after "
           "manual_seed(key * previous token)), so its watermarked texts are detected. A --text is tokenized as "
           "the model's tokenizer does, without special tokens: \"<|endoftext|>\" in it is plain text, and no "
           "BOS is added. Tokenizers other than byte-level BPE with a GPT-2, cl100k/Llama 3 or Qwen 2 split "
           "pattern are refused.",
           {"modelguard watermark detect --tokens answer.json --vocab-size 50272",
            "modelguard watermark detect --tokens answers.jsonl --vocab-size 32000 --gamma 0.5 --format json",
            "modelguard watermark detect --text answer.txt --tokenizer opt-1.3b/tokenizer.json --vocab-size 50272",
            "modelguard watermark detect --text answer.txt --tokenizer cl100k_base.tiktoken"},
           kExit);
  return [args] { return RunDetect(*args); };
}

}  // namespace modelguard::cli
