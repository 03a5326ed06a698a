#pragma once
// True labels of classifier predictions, joined to the gateway's audit events by request id (the event's
// `request_id`, which the client received as X-Modelguard-Request-Id). `monitor label` appends them to a
// JSON Lines file, one {"request_id": "...", "label": N} per line; `monitor serve` follows that file (the
// `labels` key) and hands each label to the stream monitor (StreamMonitor::Label).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::monitor {

struct TrueLabel {
  std::string request_id;  // 1 to 256 characters from A-Z a-z 0-9 . _ : -
  int64_t label = 0;       // the true class index: a whole number from 0 to 2^53
};

// kInvalidArgument naming what is wrong.
Status CheckLabel(const TrueLabel& label);
// A class index written in decimal digits (a label on a command line or in CSV): kInvalidArgument otherwise.
Result<int64_t> ParseClassIndex(std::string_view text);
// One line of a labels file (no newline): {"request_id":"…","label":N}.
std::string LabelLine(const TrueLabel& label);
// A line of a labels file; anything else is kParse.
Result<TrueLabel> ParseLabelLine(std::string_view line);
// A file of labels to add: JSON Lines as above, or CSV with a header naming the columns request_id and label
// (in any order, other columns ignored). Empty lines are skipped; any other bad line is an error naming its
// number, so a file is taken whole or not at all.
Result<std::vector<TrueLabel>> ParseLabelsFile(std::string_view text);
// Appends the labels' lines to `path` in one write (core/append_file.h), creating it if needed.
Status AppendLabels(const std::string& path, const std::vector<TrueLabel>& labels);

}  // namespace modelguard::monitor
