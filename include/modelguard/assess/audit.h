#pragma once
// `modelguard data audit`: runs the data-audit methods (poisoning.h) on one dataset, combines their scores
// into one ranking of suspicious samples, and writes what a reviewer needs: report.json, report.html, and a
// cleaned copy of the dataset with a manifest of what was removed.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "modelguard/assess/poisoning.h"

namespace modelguard::assess::poisoning {

inline constexpr const char* kAuditSchema = "modelguard.data-audit/v1";

struct AuditReport {
  std::string dataset;  // the spec, as given
  std::string model;    // the model's path ("" without one)
  std::vector<MethodResult> results;
  // Per sample: CombineScores; NaN when no method scored it.
  std::vector<double> combined;
  std::vector<size_t> ranking;  // sample indices, most suspicious first (samples no method scored: last)
  size_t flagged_samples = 0;   // flagged by at least one method
  bool model_flagged = false;   // some model-level method judged the model backdoored
  double seconds = 0;
};

// The combined score: F + S * R. R is the mean over methods of the sample's rank-normalised score within its
// class (rank / class size, in (0, 1]; ties share their mean rank): methods score on unrelated scales, and
// one class's scale says nothing about another's. F is the number of methods that flagged the sample, so a
// sample flagged by more methods always comes first. S is the share of the sample's class that some method
// flagged: rank-normalising per class makes every class's top look equally suspicious, while poison
// concentrates in the classes the methods flag (a method that removes a fixed share of every class, as
// spectral signatures does, raises S everywhere alike).
std::vector<double> CombineScores(const std::vector<MethodResult>& results, const Dataset& data);

// Indices ordered by descending combined score, ties by index; NaN last.
std::vector<size_t> RankByScore(const std::vector<double>& combined);

// Runs the named methods (each must be in Methods()) in the given order.
Result<AuditReport> RunAudit(const AuditInput& input, const std::vector<std::string>& methods);

// report.json: schema, dataset, model, methods (name, summary, reference, flagged count, details), and the
// `top` highest-ranked samples (index, class, per-method scores and flags, combined score, rank).
nlohmann::ordered_json AuditToJson(const AuditReport& report, const Dataset& data, size_t top);

// One sample's entry as AuditToJson writes it (rank counts from 1).
nlohmann::ordered_json SampleJson(const AuditReport& report, const Dataset& data, size_t sample, size_t rank);

// report.json and report.html (score histograms per class, the methods' pictures, the top samples as images).
Status WriteAuditReport(const AuditReport& report, const Dataset& data, const std::string& directory);

// The dataset without the `remove_top` highest-ranked samples: OUT/features.npy (float32, samples x the
// sample shape), OUT/labels.npy (int64) and OUT/removed.json (what was removed and why).
Status WriteCleanDataset(const AuditReport& report, const Dataset& data, size_t remove_top,
                         const std::string& directory);

// An NPY (format 1.0) file: `descr` is numpy's type string ("<f4", "<i8"), `data` the little-endian values.
std::string NpyBytes(const std::string& descr, const std::vector<int64_t>& shape, const void* data, size_t bytes);

}  // namespace modelguard::assess::poisoning
