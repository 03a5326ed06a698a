#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/core/cancel.h"
#include "modelguard/integrity/signing.h"
#include "tools/modelguard/cli_util.h"
#include "tools/modelguard/commands.h"
#include "tools/modelguard/integrity_output.h"
#include "tools/modelguard/manifest_args.h"

namespace modelguard::cli {
namespace {

struct SignArgs {
  integrity::SignOptions options;
  ManifestArgs manifest;
  std::string format = "text";
  std::string log;
};

int RunSign(SignArgs& args, bool certificate) {
  cancel::InstallSignalHandlers();  // SIGINT/SIGTERM: stop hashing, exit 2, write nothing
  auto manifest_options = ToManifestOptions(args.manifest, "sign");
  if (!manifest_options) return 2;
  args.options.manifest = *manifest_options;
  if (!certificate) {
    args.options.signing_certificate_path.clear();
    args.options.certificate_chain_paths.clear();
  }
  auto result = integrity::SignModel(args.options);
  if (!result) {
    std::cerr << "modelguard sign: " << result.error().message << "\n";
    return 2;
  }
  if (!args.log.empty()) {
    if (auto logged = AppendToLog(args.log, result->bundle_json, "model-signature"); !logged) {
      std::cerr << "modelguard sign: the signature was written but not logged: " << logged.error().message << "\n";
      return 2;
    }
  }
  if (args.format == "json") {
    nlohmann::ordered_json doc;
    doc["schema"] = "modelguard.sign/v1";
    doc["model"] = args.options.model_path;
    doc["signature"] = args.options.signature_path;
    doc["root_digest"] = result->root_digest;
    doc["key_hint"] = result->key_hint;
    doc["resources"] = result->resource_count;
    doc["bytes"] = result->bytes_hashed;
    std::cout << ReportJson(doc) << "\n";
  } else {
    std::cout << "signed " << args.options.model_path << " -> " << args.options.signature_path << "\n"
              << "  root digest: sha256:" << result->root_digest << " (" << result->resource_count << " resources, "
              << result->bytes_hashed << " bytes)\n"
              << "  key hint:    " << result->key_hint << "\n";
  }
  return 0;
}

void AddCommon(CLI::App* cmd, SignArgs& args) {
  cmd->add_option("path", args.options.model_path, "Model file or directory")->required();
  cmd->add_option("--private-key", args.options.private_key_path,
                  "PEM private key (ECDSA P-256/P-384/P-521 or Ed25519)")
      ->required();
  cmd->add_option("--signature", args.options.signature_path, "Where to write the Sigstore bundle")
      ->capture_default_str();
  AddManifestOptions(cmd, args.manifest);
  AddFormatOption(cmd, args.format, {"text", "json"});
  cmd->add_option("--log", args.log, "Append the bundle to this transparency log (SQLite)");
}

}  // namespace

Action AddSign(CLI::App& command) {
  auto key_args = std::make_shared<SignArgs>();
  auto cert_args = std::make_shared<SignArgs>();
  CLI::App* cmd = &command;
  cmd->require_subcommand(1);
  constexpr const char* kExit = "0 signed, 2 usage, key or I/O error";
  Describe(cmd, "One subcommand per kind of signer: key, certificate.",
           {"modelguard sign key ./my-model --private-key signer.pem --signature my-model/model.sig"}, kExit);
  CLI::App* key = cmd->add_subcommand("key", "Sign with a private key; the bundle names the key by hint");
  AddCommon(key, *key_args);
  Describe(key, "Verify with: modelguard verify key ./my-model --signature my-model/model.sig --public-key signer.pub",
           {"modelguard sign key ./my-model --private-key signer.pem --signature my-model/model.sig"}, kExit);
  CLI::App* cert = cmd->add_subcommand("certificate", "Sign with a private key and its X.509 certificate chain");
  AddCommon(cert, *cert_args);
  cert->add_option("--signing-certificate", cert_args->options.signing_certificate_path,
                   "PEM certificate of the private key")
      ->required();
  cert->add_option("--certificate-chain", cert_args->options.certificate_chain_paths,
                   "PEM intermediates (and roots) to embed; repeatable");
  Describe(cert, "",
           {"modelguard sign certificate ./my-model --private-key k.pem --signing-certificate k.crt \\\n"
            "      --certificate-chain intermediate.pem --certificate-chain root.pem --signature my-model/model.sig"},
           kExit);
  return [key, key_args, cert_args] {
    if (key->parsed()) return RunSign(*key_args, false);
    return RunSign(*cert_args, true);
  };
}

}  // namespace modelguard::cli
