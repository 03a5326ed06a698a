#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/core/cancel.h"
#include "modelguard/core/io.h"
#include "modelguard/integrity/verify.h"
#include "modelguard/seal/seal.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"
#include "tools/modelguard/integrity_output.h"
#include "tools/modelguard/seal_args.h"

namespace modelguard::cli {
namespace {

struct VerifyArgs {
  integrity::VerifyOptions options;
  std::string format = "text";
  std::string log;
  SealKeyArgs seal_key;
};

int RunVerify(VerifyArgs& args) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop hashing, exit 2, write nothing
  auto seal_key = SealReadKeySource(args.seal_key);
  if (!seal_key) {
    std::cerr << "modelguard verify: " << seal_key.error().message << "\n";
    return 2;
  }
  if (*seal_key) args.options.sealed = SealedReaderFor(**seal_key);
  auto report = integrity::Verify(args.options);
  if (!report) {
    std::cerr << "modelguard verify: " << report.error().message << "\n";
    return 2;
  }
  if (!report->manifest_matches && !*seal_key) {
    // The likeliest reason a signed model's bytes differ: it was sealed after signing.
    for (const auto& name : seal::SealedFilesAt(args.options.model_path)) {
      report->warnings.push_back((name.empty() ? args.options.model_path : name) +
                                 " is a sealed model file (modelguard seal): a signature over the model covers its "
                                 "plaintext; give its key (--seal-key-file ...) to verify that");
    }
  }
  if (!args.log.empty()) {
    // The event records the verdict, not the model: digests and signer identify what was checked.
    nlohmann::ordered_json event{{"event", "model-verification"},
                                 {"model", args.options.model_path},
                                 {"verified", report->ok()},
                                 {"signer", report->signer},
                                 {"signed_digest", report->subject_digest},
                                 {"computed_digest", report->computed_digest},
                                 {"time", static_cast<int64_t>(std::time(nullptr))}};
    if (auto logged = AppendToLog(args.log, ReportJson(event, -1), "model-verification"); !logged) {
      std::cerr << "modelguard verify: cannot log the result: " << logged.error().message << "\n";
      return 2;
    }
  }
  if (args.format == "json") {
    nlohmann::ordered_json doc;
    doc["schema"] = "modelguard.verify/v1";
    doc["verified"] = report->ok();
    doc["signature_valid"] = report->signature_valid;
    doc["manifest_matches"] = report->manifest_matches;
    doc["signer"] = report->signer;
    doc["predicate_type"] = report->predicate_type;
    doc["subject_digest"] = report->subject_digest;
    doc["computed_digest"] = report->computed_digest;
    doc["differences"] = DifferencesJson(report->differences);
    doc["checks"] = report->checks;
    doc["warnings"] = report->warnings;
    doc["problems"] = report->problems;
    std::cout << ReportJson(doc) << "\n";
  } else {
    std::cout << (report->ok() ? "verified" : "VERIFICATION FAILED") << ": "
              << EscapeControlCharacters(args.options.model_path) << "\n";
    std::cout << "  signature: " << (report->signature_valid ? "valid" : "INVALID") << "\n";
    // The signer's name comes from the bundle's certificate: escaped like every name in text output.
    if (!report->signer.empty()) std::cout << "  signer: " << EscapeControlCharacters(report->signer) << "\n";
    for (const auto& c : report->checks) std::cout << "  checked: " << EscapeControlCharacters(c) << "\n";
    std::cout << "  signed root digest:   " << report->subject_digest << "\n";
    std::cout << "  computed root digest: " << report->computed_digest << "\n";
    PrintDifferences(std::cout, report->differences);
    for (const auto& p : report->problems) std::cout << "  problem: " << EscapeControlCharacters(p) << "\n";
    for (const auto& w : report->warnings) std::cout << "  warning: " << EscapeControlCharacters(w) << "\n";
  }
  return report->ok() ? 0 : 1;
}

}  // namespace

namespace {

void AddCommon(CLI::App* cmd, VerifyArgs& args) {
  cmd->add_option("path", args.options.model_path, "Model file or directory")->required();
  cmd->add_option("--signature", args.options.bundle_path, "Sigstore bundle (model.sig)")->required();
  cmd->add_option("--ignore", args.options.extra_ignores, "Further paths to leave out; repeatable");
  cmd->add_flag("--ignore-unsigned-files", args.options.ignore_unsigned_files,
                "Files not covered by the signature are not a failure");
  AddFormatOption(cmd, args.format, {"text", "json"});
  cmd->add_option("--log", args.log, "Append the verification result to this transparency log (SQLite)");
  AddSealReadOptions(cmd, args.seal_key);
}

}  // namespace

Action AddVerify(CLI::App& command) {
  auto key_args = std::make_shared<VerifyArgs>();
  auto cert_args = std::make_shared<VerifyArgs>();
  auto sigstore_args = std::make_shared<VerifyArgs>();
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  constexpr const char* kExit = "0 verified, 1 bad signature or changed model (with a diff), 2 usage or I/O error";
  Describe(cmd, "One subcommand per kind of signer: key, certificate, sigstore.",
           {"modelguard verify key ./my-model --signature my-model/model.sig --public-key signer.pub"}, kExit);
  CLI::App* key = cmd->add_subcommand("key", "Bundle signed with a private key (ECDSA P-256/P-384/P-521, Ed25519)");
  AddCommon(key, *key_args);
  key->add_option("--public-key", key_args->options.public_key_path, "PEM public key")->required();
  Describe(
      key, "",
      {"modelguard verify key ./my-model --signature my-model/model.sig --public-key signer.pub",
       "modelguard verify key model.pt.sealed --signature model.sig --public-key signer.pub --seal-key-file k.key"},
      kExit);

  CLI::App* cert = cmd->add_subcommand("certificate", "Bundle signed with a certificate from your own PKI");
  AddCommon(cert, *cert_args);
  cert->add_option("--certificate-chain", cert_args->options.certificate_chain_paths,
                   "PEM CA certificates to trust; repeatable")
      ->required();
  Describe(cert, "",
           {"modelguard verify certificate ./my-model --signature my-model/model.sig --certificate-chain ca.pem",
            "modelguard verify certificate --certificate-chain ca.pem ./my-model --signature model.sig "
            "--certificate-chain intermediate.pem"},
           kExit);

  CLI::App* sigstore =
      cmd->add_subcommand("sigstore", "Keyless bundle: Fulcio certificate and Rekor entry, checked offline");
  AddCommon(sigstore, *sigstore_args);
  sigstore->add_option("--identity", sigstore_args->options.identity, "Expected signer identity (certificate SAN)")
      ->required();
  sigstore->add_option("--identity-provider", sigstore_args->options.identity_provider, "Expected OIDC issuer")
      ->required();
  sigstore->add_option(
      "--trust-root", sigstore_args->options.trust_root_path,
      "Sigstore trusted_root.json; without it the Fulcio chain and the log's signatures are not checked");
  Describe(sigstore, "",
           {"modelguard verify sigstore ./my-model --signature model.sig --identity me@example.com \\\n"
            "      --identity-provider https://accounts.google.com --trust-root trusted_root.json"},
           kExit);
  return [=] {
    if (key->parsed()) {
      key_args->options.method = integrity::VerifyMethod::kKey;
      return RunVerify(*key_args);
    }
    if (cert->parsed()) {
      cert_args->options.method = integrity::VerifyMethod::kCertificate;
      return RunVerify(*cert_args);
    }
    sigstore_args->options.method = integrity::VerifyMethod::kSigstore;
    return RunVerify(*sigstore_args);
  };
}

}  // namespace modelguard::cli
