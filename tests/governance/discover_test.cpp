// Discovery's recognisers on file contents (what each language's import looks like, what is not an import),
// the asset rules' validation, evidence summaries, register matching, and the store's discovery bookkeeping
// (cache, gone, revived) on SQLite.
#include "modelguard/governance/discover.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "modelguard/governance/evidence.h"
#include "modelguard/governance/store.h"
#include "test_support.h"

namespace modelguard::governance {
namespace {

namespace fs = std::filesystem;
using Found = std::set<std::tuple<std::string, std::string, uint64_t>>;  // kind, value, line

const AssetRules& Rules() {
  static const auto rules = DefaultAssetRules();
  EXPECT_TRUE(rules.ok()) << rules.error().message;
  return **rules;
}

Found Find(std::string_view path, std::string_view text) {
  Found out;
  for (const Asset& a : FindAssets(Rules(), path, text)) out.insert({a.kind, a.value, a.line});
  return out;
}

TEST(GovernanceDiscover, PythonImportsNamesAndEndpoints) {
  const Found found = Find("svc/app.py",
                           "import os\n"
                           "from google.generativeai import GenerativeModel\n"
                           "import torch.nn as nn\n"
                           "x = AutoTokenizer.from_pretrained(\"Qwen/Qwen2.5-7B\")\n"
                           "url = 'https://my-res.openai.azure.com/openai'\n"
                           "model = 'claude-sonnet-4-5'\n");
  EXPECT_EQ(found, (Found{{"sdk", "google-genai", 2},
                          {"sdk", "pytorch", 3},
                          {"model-id", "Qwen/Qwen2.5-7B", 4},
                          {"endpoint", "my-res.openai.azure.com", 5},
                          {"model-id", "claude-sonnet-4-5", 6}}));
}

TEST(GovernanceDiscover, WordsAreNotImports) {
  // A module name in prose, in a comment, inside another name or in another language's syntax is no import.
  EXPECT_TRUE(Find("a.py", "# we evaluated openai and anthropic\nimport openairesearch\nx = 'openai'\n").empty());
  EXPECT_TRUE(Find("a.go", "import openai\n").empty());
  EXPECT_TRUE(Find("README.md", "import openai\nfrom anthropic import Anthropic\n").empty());
  EXPECT_TRUE(Find("a.ts", "import x from \"openai-compatible-thing\";\n").empty());
}

TEST(GovernanceDiscover, OtherLanguages) {
  EXPECT_EQ(Find("main.go", "import (\n\t\"fmt\"\n\topenai \"github.com/sashabaranov/go-openai\"\n)\n"),
            (Found{{"sdk", "openai", 3}}));
  EXPECT_EQ(Find("App.java", "package x;\nimport dev.langchain4j.model.chat.ChatModel;\n"),
            (Found{{"sdk", "langchain", 2}}));
  EXPECT_EQ(Find("a.mjs", "const { OpenAI } = require('openai');\nconst g = await import(\"@google/genai\");\n"),
            (Found{{"sdk", "openai", 1}, {"sdk", "google-genai", 2}}));
  EXPECT_EQ(Find("config.toml", "[mcp_servers.docs]\ncommand = \"npx\"\n"), (Found{{"mcp-server", "docs", 1}}));
  EXPECT_EQ(Find("settings.yaml", "llm:\n  model: gpt-4.1-mini\n"), (Found{{"model-id", "gpt-4.1-mini", 2}}));
}

TEST(GovernanceDiscover, AMegabyteLineIsReadAtItsEnds) {
  // A minified line: the match spans it, the value at its end is still found, and nothing recurses deeply.
  const std::string line = "x = pipeline(" + std::string(2 << 20, 'a') + ", model=\"org/tiny-model\")\n";
  EXPECT_EQ(Find("bundle.js", line), (Found{{"model-id", "org/tiny-model", 1}}));
}

TEST(GovernanceDiscover, ToolsAndMcpServers) {
  const Found tools =
      Find("agent.py",
           "@function_tool\n"
           "async def cancel_booking(ref: str):\n"
           "    ...\n"
           "TOOLS = [{\"name\": \"search_docs\", \"description\": \"Search\", \"input_schema\": {}}]\n");
  EXPECT_EQ(tools, (Found{{"agent-tool", "cancel_booking", 1}, {"agent-tool", "search_docs", 4}}));
  const Found servers = Find("claude_desktop_config.json",
                             "{\n  \"mcpServers\": {\n    \"git\": {\"command\": \"uvx\"},\n    \"web\": {\"url\": "
                             "\"https://x\"}\n  }\n}\n");
  EXPECT_EQ(servers, (Found{{"mcp-server", "git", 3}, {"mcp-server", "web", 4}}));
}

TEST(GovernanceDiscover, CredentialsAreAiOnesAndRedacted) {
  const auto assets = FindAssets(Rules(), ".env",
                                 "GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789\n"
                                 "HF_TOKEN=hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567\n"
                                 "COHERE_API_KEY=Zq8Lm3Rt7Yp2Wx5Vb9Nc4Kd6Hj1Gf0Sa\n"
                                 "SESSION_SECRET=Zq8Lm3Rt7Yp2Wx5Vb9Nc4Kd6Hj1Gf0Sb\n");
  std::set<std::pair<std::string, uint64_t>> found;
  for (const auto& a : assets) {
    ASSERT_EQ(a.kind, "credential");
    EXPECT_EQ(a.value.find("KlMnOp"), std::string::npos) << a.value;  // never the whole key
    found.insert({a.detail, a.line});
  }
  // GitHub's and a session secret are credentials, but not AI API keys: the data scan reports those.
  EXPECT_EQ(found, (std::set<std::pair<std::string, uint64_t>>{{"HF_TOKEN", 2}, {"SECRET", 3}}));
}

TEST(GovernanceDiscover, ModelFilesByContentNotName) {
  const std::string npy = std::string("\x93NUMPY\x01\x00", 8) + "v\x00" +
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }" + std::string(59, ' ') + "\n" +
                          std::string(4, '\0');
  const auto as_text = FindAssets(Rules(), "notes.txt", npy);
  ASSERT_EQ(as_text.size(), 1u);
  EXPECT_EQ(as_text[0].kind, "model-file");
  EXPECT_EQ(as_text[0].value, "npy");
  EXPECT_TRUE(as_text[0].digest.starts_with("sha256:"));
  // Protocol-0 pickle text named as source code stays source code.
  EXPECT_TRUE(FindAssets(Rules(), "a.py", "(dp0\nS'a'\np1\nI1\ns.").empty());
}

TEST(GovernanceDiscover, AssetRulesAreValidated) {
  const auto error = [](const std::string& text) {
    auto rules = CompileAssetRules(text);
    return rules.ok() ? std::string() : rules.error().message;
  };
  EXPECT_NE(error("[]"), "");
  EXPECT_NE(error(R"({"schema":"modelguard.ai-assets/v1"})").find("file_types"), std::string::npos);
  EXPECT_NE(error(R"({"schema":"modelguard.ai-assets/v1","file_types":{"cobol":[".cbl"]}})").find("cobol"),
            std::string::npos);
  EXPECT_NE(error(R"({"schema":"modelguard.ai-assets/v1","file_types":{},"rules":[{"id":"x","kind":"model-id",)"
                  R"("in":["python"],"pattern":"a","extract":"no group"}]})")
                .find("group"),
            std::string::npos);
  EXPECT_NE(error(R"J({"schema":"modelguard.ai-assets/v1","file_types":{},"rules":[{"id":"x","kind":"model-id",)J"
                  R"J("in":["python"],"pattern":"(unclosed","extract":"(a)"}]})J"),
            "");
}

TEST(GovernanceEvidence, SummariesOfResults) {
  auto scan = SummarizeEvidence(
      R"({"schema":"modelguard.scan/v1","files":[{"findings":[{"rule":"pickle.dangerous-import","severity":"critical"},)"
      R"({"rule":"scan.extension-mismatch","severity":"low"}]}]})");
  ASSERT_TRUE(scan.ok()) << scan.error().message;
  EXPECT_EQ(scan->kind, "modelguard.scan/v1");
  const auto summary = nlohmann::json::parse(scan->summary_json);
  EXPECT_EQ(summary["verdict"], "fail");
  EXPECT_EQ(summary["findings"]["critical"], 1);
  EXPECT_EQ(summary["rules"], nlohmann::json({"pickle.dangerous-import", "scan.extension-mismatch"}));
  auto verified =
      SummarizeEvidence(R"({"schema":"modelguard.verify/v1","verified":true,"time":"2026-11-30T10:00:00Z"})");
  ASSERT_TRUE(verified.ok());
  EXPECT_EQ(nlohmann::json::parse(verified->summary_json)["verdict"], "pass");
  EXPECT_EQ(verified->produced, 1796032800);
  auto assess = SummarizeEvidence(R"({"tool":"modelguard assess","verdicts":[{"risk":"evasion","level":"high"}]})");
  ASSERT_TRUE(assess.ok());
  EXPECT_EQ(assess->kind, "assess");
  EXPECT_EQ(nlohmann::json::parse(assess->summary_json)["rules"], nlohmann::json({"assess.evasion"}));
  EXPECT_FALSE(SummarizeEvidence(R"({"hello":"world"})").ok());
  EXPECT_FALSE(SummarizeEvidence("not json").ok());
  EXPECT_FALSE(SummarizeEvidence(std::string(200, '[')).ok());
  // JSON is UTF-8: bytes that are not are no modelguard result.
  auto bad =
      SummarizeEvidence("{\"schema\":\"modelguard.scan/v1\",\"f\":[{\"rule\":\"x\xff\",\"severity\":\"high\"}]}");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("not JSON"), std::string::npos) << bad.error().message;
}

TEST(GovernanceStore, MatchesByIdentifier) {
  Model model;
  model.identifiers = {
      {"digest", "sha256:ab"}, {"model-id", "gpt-4o"}, {"endpoint", "api.openai.com"}, {"path", "/repo/svc/chat"}};
  Asset asset;
  asset.kind = "model-file";
  asset.digest = "sha256:ab";
  EXPECT_TRUE(Matches(model, asset));
  asset = {};
  asset.kind = "model-id";
  asset.value = "gpt-4o";
  EXPECT_TRUE(Matches(model, asset));
  asset.value = "gpt-4o-mini";
  asset.file = "/repo/svc/chatbot/a.py";  // a sibling directory sharing a prefix is not under the path
  EXPECT_FALSE(Matches(model, asset));
  asset.file = "/repo/svc/chat/a.py";
  EXPECT_TRUE(Matches(model, asset));
  asset = {};
  asset.kind = "sdk";
  asset.value = "api.openai.com";  // an endpoint identifier names endpoints only
  EXPECT_FALSE(Matches(model, asset));
}

TEST(GovernanceStore, SnapshotNamesTheFirstOwnerInService) {
  const std::string dir = ::modelguard::testing::TempDir("governance_owners");
  auto store = Store::Open(dir + "/g.db");
  ASSERT_TRUE(store.ok()) << store.error().message;
  const auto asset = [](std::string kind, std::string file, std::string value, std::string digest = "") {
    Asset a;
    a.kind = std::move(kind);
    a.file = std::move(file);
    a.value = std::move(value);
    a.digest = std::move(digest);
    return a;
  };
  FileFindings app{
      "/repo/svc/chat/app.py", 1, 1, false, {asset("sdk", "", "openai"), asset("endpoint", "", "api.openai.com")}};
  FileFindings other{"/repo/svc/chatbot/x.py", 1, 1, false, {asset("model-id", "", "gpt-4o")}};
  FileFindings weights{"/models/w.npy", 1, 1, false, {asset("model-file", "", "npy", "sha256:aa")}};
  ASSERT_TRUE((*store)->RecordFiles("/", {app, other, weights}, 100).ok());
  Model b;  // by name after "a-*": loses every key both claim
  b.name = "b-bot";
  b.identifiers = {{"path", "/repo/svc/chat/"}, {"model-id", "gpt-4o"}, {"digest", "sha256:aa"}};
  Model a;
  a.name = "a-retired";
  a.identifiers = {{"digest", "sha256:aa"}, {"path", "/"}};
  a.retired = 5;  // retired: claims nothing
  Model c;
  c.name = "c-api";
  c.identifiers = {{"endpoint", "api.openai.com"}};
  for (const Model* m : {&b, &a, &c}) ASSERT_TRUE((*store)->AddModel(*m).ok());
  auto snapshot = (*store)->Snapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.error().message;
  std::map<std::string, std::string> owner;
  for (const Asset& x : snapshot->assets) {
    owner[x.value] = x.registered_as;
    bool any = false;  // the index agrees with Matches, model by model
    for (const Model& m : snapshot->models) {
      if (m.retired == 0 && Matches(m, x)) {
        EXPECT_EQ(x.registered_as, m.name) << x.value;
        any = true;
        break;
      }
    }
    if (!any) {
      EXPECT_EQ(x.registered_as, "") << x.value;
    }
  }
  EXPECT_EQ(owner["openai"], "b-bot");          // under its path
  EXPECT_EQ(owner["api.openai.com"], "b-bot");  // path and endpoint: the first by name
  EXPECT_EQ(owner["gpt-4o"], "b-bot");          // by model id; /repo/svc/chatbot is not under /repo/svc/chat
  EXPECT_EQ(owner["npy"], "b-bot");             // by digest; the retired model claims nothing
}

TEST(GovernanceStore, DiscoveryCacheGoneAndRevived) {
  const std::string dir = ::modelguard::testing::TempDir("governance_store");
  const fs::path tree = fs::path(dir) / "tree";
  fs::create_directories(tree / "a");
  const auto write = [](const fs::path& path, const std::string& text) { std::ofstream(path) << text; };
  write(tree / "a" / "x.py", "import openai\n");
  write(tree / "a" / "y.py", "print(1)\n");
  auto store = Store::Open(dir + "/g.db");
  ASSERT_TRUE(store.ok()) << store.error().message;
  DiscoverOptions options;
  options.threads = 2;
  auto first = Discover(**store, tree.string(), options);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->run.files, 2u);
  EXPECT_EQ(first->run.read, 2u);
  EXPECT_EQ(first->added, 1u);
  auto second = Discover(**store, tree.string(), options);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->run.read, 0u);
  EXPECT_EQ(second->added + second->gone, 0u);
  // Rewritten without the import (a different size): gone; with it again: back, first_seen kept.
  write(tree / "a" / "x.py", "import json\n# no ai\n");
  auto third = Discover(**store, tree.string(), options);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->run.read, 1u);
  EXPECT_EQ(third->gone, 1u);
  write(tree / "a" / "x.py", "\nimport openai\n");
  auto fourth = Discover(**store, tree.string(), options);
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(fourth->added, 1u);
  auto snapshot = (*store)->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  ASSERT_EQ(snapshot->assets.size(), 1u);
  EXPECT_FALSE(snapshot->assets[0].gone);
  EXPECT_EQ(snapshot->assets[0].line, 2u);
  EXPECT_LE(snapshot->assets[0].first_seen, snapshot->assets[0].last_seen);
  // A deleted file's assets are gone, and a missing database is never created by a reader.
  fs::remove(tree / "a" / "x.py");
  ASSERT_TRUE(Discover(**store, tree.string(), options).ok());
  snapshot = (*store)->Snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_TRUE(snapshot->assets[0].gone);
  EXPECT_FALSE(Store::Open(dir + "/missing.db", StoreOpen::kExisting).ok());
  EXPECT_FALSE(fs::exists(dir + "/missing.db"));
}

}  // namespace
}  // namespace modelguard::governance
