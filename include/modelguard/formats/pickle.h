#pragma once
// A symbolic pickle machine: executes every opcode of protocols 0-5 the way CPython's _pickle does,
// but with symbolic values, so it sees every import and call the real unpickler would perform.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "modelguard/formats/format.h"

namespace modelguard::formats::pickle {

struct StreamSummary {
  uint64_t start = 0;
  uint64_t end = 0;        // offset after STOP, or where the stream broke
  bool completed = false;  // reached STOP
  int protocol = 0;        // last PROTO seen (0 if none)
  uint64_t opcodes = 0;
  std::string error;  // empty when completed
};

struct MachineOptions {
  // joblib's Unpickler reads raw array bytes (or a nested pickle) right after BUILD of a
  // NumpyArrayWrapper; the machine follows it when the wrapper class is imported.
  bool follow_joblib_arrays = true;
};

// Runs one pickle stream starting at `start`. Facts go to ctx. Never throws.
StreamSummary RunStream(ByteView data, uint64_t start, AnalysisContext& ctx, const MachineOptions& options = {});

// Runs consecutive streams as stacked loaders do (PyTorch legacy writes five in a row). The first
// stream breaking is a parse error; later bytes that do not form a pickle are trailing data.
std::vector<StreamSummary> RunAllStreams(ByteView data, AnalysisContext& ctx, const MachineOptions& options = {},
                                         uint64_t start = 0);

// True when the first opcode decodes as CPython would accept it and the stream looks deliberate
// (reaches STOP, imports something, or runs several opcodes cleanly). Used for sniffing.
bool LooksLikePickle(ByteView data);

}  // namespace modelguard::formats::pickle
