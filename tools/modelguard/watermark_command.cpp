// `modelguard watermark detect`: is a token sequence watermarked (Kirchenbauer et al. 2023)? The scheme is
// src/watermark's; this file only reads options and prints.
#include <cstdio>
#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "modelguard/core/io.h"
#include "modelguard/watermark/watermark.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

struct DetectArgs {
  std::string tokens;
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

int RunDetect(const DetectArgs& args) {
  constexpr const char* kCommand = "watermark detect";
  if (!CheckInputFile(args.tokens, kCommand)) return 2;
  const watermark::Scheme scheme{.vocab_size = args.vocab_size, .gamma = args.gamma, .hash_key = args.key};
  if (auto checked = watermark::Check(scheme); !checked) {
    std::cerr << "modelguard watermark detect: " << checked.error().message << "\n";
    return 2;
  }
  auto text = ReadFile(args.tokens);
  if (!text) {
    std::cerr << "modelguard watermark detect: " << text.error().message << "\n";
    return 2;
  }
  auto sequences = watermark::ParseTokenSequences(*text);
  if (!sequences) {
    std::cerr << "modelguard watermark detect: " << EscapeControlCharacters(args.tokens) << ": "
              << sequences.error().message << "\n";
    return 2;
  }
  watermark::GreenLists lists(scheme);
  watermark::DetectOptions options;
  options.z_threshold = args.z_threshold;
  options.window = args.window;
  options.ignore_repeated_bigrams = args.ignore_repeated_bigrams;
  std::vector<watermark::Detection> detections;
  for (size_t i = 0; i < sequences->size(); ++i) {
    auto detection = watermark::Detect(lists, (*sequences)[i], options);
    if (!detection) {
      std::cerr << "modelguard watermark detect: sequence " << i + 1 << ": " << detection.error().message << "\n";
      return 2;
    }
    detections.push_back(std::move(*detection));
  }
  Output output(kCommand);
  if (!output.Open(args.output, {args.tokens})) return 2;
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
  Describe(cmd, "", {"modelguard watermark detect --tokens answer.json --vocab-size 50272"}, kExit);
  auto args = std::make_shared<DetectArgs>();
  CLI::App* detect =
      cmd->add_subcommand("detect", "Score token ids for the green-list watermark of Kirchenbauer et al.");
  detect
      ->add_option("--tokens", args->tokens,
                   "Token ids: a JSON array, JSON Lines of arrays (one sequence each), or numbers separated by "
                   "white space or commas")
      ->required();
  detect->add_option("--vocab-size", args->vocab_size, "The generating model's vocabulary size")->required();
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
           "manual_seed(key * previous token)), so its watermarked texts are detected.",
           {"modelguard watermark detect --tokens answer.json --vocab-size 50272",
            "modelguard watermark detect --tokens answers.jsonl --vocab-size 32000 --gamma 0.5 --format json"},
           kExit);
  return [args] { return RunDetect(*args); };
}

}  // namespace modelguard::cli
