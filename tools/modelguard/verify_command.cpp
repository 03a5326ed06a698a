#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/integrity/verify.h"
#include "tools/modelguard/commands.h"

namespace modelguard::cli {
namespace {

struct VerifyArgs {
  integrity::VerifyOptions options;
  std::string format = "text";
};

const char* KindName(integrity::FileDifference::Kind k) {
  switch (k) {
    case integrity::FileDifference::kMissing: return "missing";
    case integrity::FileDifference::kExtra: return "extra";
    case integrity::FileDifference::kModified: return "modified";
  }
  return "?";
}

int RunVerifyKey(const VerifyArgs& args) {
  if (args.format != "text" && args.format != "json") {
    std::cerr << "modelguard verify: --format must be text or json\n";
    return 2;
  }
  auto report = integrity::VerifyWithKey(args.options);
  if (!report) {
    std::cerr << "modelguard verify: " << report.error().message << "\n";
    return 2;
  }
  if (args.format == "json") {
    nlohmann::ordered_json doc;
    doc["schema"] = "modelguard.verify/v1";
    doc["verified"] = report->ok();
    doc["signature_valid"] = report->signature_valid;
    doc["manifest_matches"] = report->manifest_matches;
    doc["subject_digest"] = report->subject_digest;
    doc["computed_digest"] = report->computed_digest;
    auto diffs = nlohmann::ordered_json::array();
    for (const auto& d : report->differences) {
      diffs.push_back({{"kind", KindName(d.kind)}, {"name", d.name}, {"signed", d.signed_digest}, {"actual", d.actual_digest}});
    }
    doc["differences"] = std::move(diffs);
    doc["problems"] = report->problems;
    std::cout << doc.dump(2) << "\n";
  } else {
    std::cout << (report->ok() ? "verified" : "VERIFICATION FAILED") << ": " << args.options.model_path << "\n";
    std::cout << "  signature: " << (report->signature_valid ? "valid" : "INVALID") << "\n";
    std::cout << "  signed root digest:   " << report->subject_digest << "\n";
    std::cout << "  computed root digest: " << report->computed_digest << "\n";
    for (const auto& d : report->differences) {
      std::cout << "  " << KindName(d.kind) << ": " << d.name;
      if (!d.signed_digest.empty()) std::cout << "  signed " << d.signed_digest;
      if (!d.actual_digest.empty()) std::cout << "  actual " << d.actual_digest;
      std::cout << "\n";
    }
    for (const auto& p : report->problems) std::cout << "  " << p << "\n";
  }
  return report->ok() ? 0 : 1;
}

}  // namespace

Action RegisterVerify(CLI::App& app) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* cmd = app.add_subcommand("verify", "Verify an OpenSSF model-signing bundle against the model");
  cmd->require_subcommand(1);
  CLI::App* key = cmd->add_subcommand("key", "Bundle signed with a private key (ECDSA P-256/P-384/P-521, Ed25519)");
  key->add_option("path", args->options.model_path, "Model file or directory")->required();
  key->add_option("--signature", args->options.bundle_path, "Sigstore bundle (model.sig)")->required();
  key->add_option("--public-key", args->options.public_key_path, "PEM public key")->required();
  key->add_option("--ignore", args->options.extra_ignores, "Further paths to leave out; repeatable");
  key->add_flag("--ignore-unsigned-files", args->options.ignore_unsigned_files, "Files not covered by the signature are not a failure");
  key->add_option("-f,--format", args->format, "text or json")->capture_default_str();
  key->footer("Example:\n  modelguard verify key ./my-model --signature my-model/model.sig --public-key signer.pub\n"
              "Exit 0 verified, 1 bad signature or changed model (with a diff), 2 usage or I/O error.");
  return [args] { return RunVerifyKey(*args); };
}

}  // namespace modelguard::cli
