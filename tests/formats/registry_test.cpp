// The format descriptors and everything derived from them: detection order, the scanner's tables, the
// polyglot probes and the fact kinds. A tiny test-only format, added to a catalog the way formats.def adds
// a real one, shows that a new format reaches every derived table without any other edit (the checklist
// of docs/extending.md, "Adding a model format").
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <type_traits>

#include "modelguard/formats/catalog.h"
#include "modelguard/formats/format.h"
#include "test_support.h"

namespace modelguard::formats {
namespace {

std::set<std::string_view> Set(const std::vector<std::string_view>* v) {
  return v == nullptr ? std::set<std::string_view>{} : std::set<std::string_view>(v->begin(), v->end());
}

// The formats that existed when the scanner's tables were derived; a format added later adds to the
// tables without breaking these checks.
const std::set<std::string_view> kPinned = {"pytorch-zip", "keras",   "skops",  "zip",         "npy",
                                            "gguf",        "tflite",  "hdf5",   "safetensors", "onnx",
                                            "compressed",  "archive", "pickle", "tensorflow",  "config"};

std::set<std::string_view> Pinned(const std::vector<std::string_view>* v) {
  std::set<std::string_view> out;
  for (std::string_view f : Set(v)) {
    if (kPinned.contains(f)) out.insert(f);
  }
  return out;
}

TEST(FormatRegistry, DetectionOrderIsTheDescriptorsRankAndRanksAreUnique) {
  std::set<int> ranks;
  std::set<std::string_view> names;
  int previous = -1;
  for (const auto& a : Registry()) {
    const FormatDescriptor& d = a->descriptor();
    EXPECT_TRUE(ranks.insert(d.detection_rank).second) << d.name << " shares rank " << d.detection_rank;
    EXPECT_TRUE(names.insert(d.name).second) << d.name << " is registered twice";
    EXPECT_GT(d.detection_rank, previous) << d.name;
    previous = d.detection_rank;
    EXPECT_FALSE(d.summary.empty()) << d.name;
    EXPECT_EQ(FindAnalyzer(d.name), a.get());
  }
  // The order that existed before descriptors (specific zip layouts before zip, free text last); formats
  // added since may sit anywhere between.
  const std::vector<std::string_view> before = {"pytorch-zip", "keras",   "skops",  "zip",         "npy",
                                                "gguf",        "tflite",  "hdf5",   "safetensors", "onnx",
                                                "compressed",  "archive", "pickle", "tensorflow",  "config"};
  std::vector<std::string_view> order;
  for (const auto& a : Registry()) {
    if (std::find(before.begin(), before.end(), a->name()) != before.end()) order.push_back(a->name());
  }
  EXPECT_EQ(order, before);
}

TEST(FormatRegistry, FamiliesRankTheirSpecialisationsFirst) {
  // A layout inside a container must be asked before the container, or the container always wins.
  for (const auto& base : Registry()) {
    if (!base->descriptor().polyglot_probe) continue;
    for (const auto& a : Registry()) {
      if (a.get() == base.get() || a->descriptor().family != base->descriptor().family) continue;
      EXPECT_LT(a->descriptor().detection_rank, base->descriptor().detection_rank) << a->name();
    }
  }
}

// The tables the scanner held by hand before they were derived; the derivation must reproduce them.
TEST(FormatCatalog, ReproducesTheScannerTables) {
  const FormatCatalog& catalog = FormatCatalog::Registered();
  const std::map<std::string_view, std::set<std::string_view>> extensions = {
      {".safetensors", {"safetensors"}},
      {".gguf", {"gguf"}},
      {".onnx", {"onnx"}},
      {".npy", {"npy"}},
      {".npz", {"zip"}},
      {".pt", {"pytorch-zip", "pickle", "archive"}},
      {".pth", {"pytorch-zip", "pickle", "archive"}},
      {".ckpt", {"pytorch-zip", "pickle", "zip"}},
      {".pkl", {"pickle", "compressed"}},
      {".pickle", {"pickle", "compressed"}},
      {".joblib", {"pickle", "compressed"}},
      {".h5", {"hdf5"}},
      {".hdf5", {"hdf5"}},
      {".keras", {"keras", "zip"}},
      {".skops", {"skops"}},
      {".tflite", {"tflite"}},
      {".zip", {"zip", "pytorch-zip", "keras"}},
      {".7z", {"archive"}},
      {".tar", {"archive"}},
      {".nemo", {"archive", "compressed"}}};
  for (const auto& [ext, formats] : extensions) {
    EXPECT_EQ(Pinned(catalog.FormatsForExtension(ext)), formats) << ext;
  }
  // And the pinned formats claim nothing else.
  for (const FormatDescriptor* d : catalog.descriptors()) {
    if (!kPinned.contains(d->name)) continue;
    for (std::string_view ext : d->extensions) EXPECT_TRUE(extensions.contains(ext)) << d->name << " claims " << ext;
  }
  EXPECT_EQ(catalog.FormatsForExtension(".bin"), nullptr);

  const std::set<std::string_view> weights = {"pickle", "pytorch-zip", "safetensors", "gguf", "onnx",       "keras",
                                              "hdf5",   "tflite",      "tensorflow",  "npy",  "compressed", "skops"};
  for (std::string_view f : kPinned) EXPECT_EQ(catalog.CarriesWeights(f), weights.contains(f)) << f;

  const std::map<std::string_view, std::set<std::string_view>> libraries = {
      {"transformers", {"safetensors", "pytorch-zip", "pickle", "hdf5", "tensorflow"}},
      {"diffusers", {"safetensors", "pytorch-zip", "pickle"}},
      {"sentence-transformers", {"safetensors", "pytorch-zip", "pickle"}},
      {"peft", {"safetensors", "pytorch-zip"}},
      {"timm", {"safetensors", "pytorch-zip", "pickle"}},
      {"gguf", {"gguf"}},
      {"llama.cpp", {"gguf"}},
      {"onnx", {"onnx"}},
      {"transformers.js", {"onnx"}},
      {"keras", {"keras", "hdf5", "tensorflow"}},
      {"tf-keras", {"keras", "hdf5", "tensorflow"}},
      {"tflite", {"tflite"}},
      {"sklearn", {"pickle", "skops", "compressed"}},
      {"scikit-learn", {"pickle", "skops", "compressed"}},
      {"nemo", {"archive"}}};
  for (const auto& [library, formats] : libraries) {
    EXPECT_EQ(Pinned(catalog.FormatsForLibrary(library)), formats) << library;
  }
  EXPECT_EQ(catalog.FormatsForLibrary("my-own-library"), nullptr);
  EXPECT_TRUE(catalog.LoadedByALibrary("archive"));
  EXPECT_FALSE(catalog.LoadedByALibrary("zip"));
}

TEST(FormatRegistry, PolyglotsAreProbedAsZipAndPickleOutsideTheirFamily) {
  // A pickle with a zip appended: torch.load sees the pickle, zipfile sees the archive.
  std::vector<uint8_t> bytes = testing::Bytes(std::string_view("\x80\x02X\x02\x00\x00\x00hi.", 11));
  const auto zip = testing::ReadFile(testing::FixtureDir() + "/benign/torch_state_dict.pt");
  ASSERT_FALSE(zip.empty());
  bytes.insert(bytes.end(), zip.begin(), zip.end());
  auto facts = testing::Analyze(bytes);
  EXPECT_TRUE(testing::HasFact(facts, fact::kPolyglot, "zip"));
  // A PyTorch archive is also a zip, but of the zip family: that is not a polyglot.
  facts = testing::Analyze(zip);
  EXPECT_FALSE(testing::HasFact(facts, fact::kPolyglot));
}

// A format that exists only in this test: "magic" files start with "MGTEST".
constexpr FactKind kTestMagicSeen{"test-format.seen"};
class TestOnlyAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "test-format",
        .summary = "a format declared by a test",
        .detection_rank = 55,
        .extensions = {".mgtest", ".npy"},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {"test-library", "transformers"},
        .facts = {kTestMagicSeen},
    };
    return d;
  }
  SniffResult Sniff(ByteView data) const override {
    return data.size() >= 6 && std::equal(data.begin(), data.begin() + 6, "MGTEST") ? SniffResult::kStrong
                                                                                    : SniffResult::kNo;
  }
  void Analyze(ByteView, AnalysisContext& ctx) const override { ctx.Emit(kTestMagicSeen, 0, "", "seen"); }
};

TEST(FormatCatalog, ATestOnlyFormatReachesEveryDerivedTable) {
  static const TestOnlyAnalyzer test_format;
  std::vector<const FormatAnalyzer*> analyzers;
  std::vector<const FormatDescriptor*> descriptors;
  for (const auto& a : Registry()) analyzers.push_back(a.get());
  analyzers.push_back(&test_format);
  std::stable_sort(analyzers.begin(), analyzers.end(), [](const FormatAnalyzer* a, const FormatAnalyzer* b) {
    return a->descriptor().detection_rank < b->descriptor().detection_rank;
  });
  for (const FormatAnalyzer* a : analyzers) descriptors.push_back(&a->descriptor());
  const FormatCatalog catalog(descriptors);

  // Detection.
  const auto magic = testing::Bytes("MGTEST and then anything");
  EXPECT_EQ(DetectAmong(analyzers, magic), &test_format);
  EXPECT_EQ(Detect(magic), nullptr) << "the registered catalog must not know the test format";
  const FormatAnalyzer* gguf = DetectAmong(analyzers, testing::Bytes(std::string_view("GGUF\x03\x00\x00\x00", 8)));
  ASSERT_NE(gguf, nullptr);
  EXPECT_EQ(gguf->name(), "gguf");
  // Extensions: its own, and one it shares with npy.
  EXPECT_EQ(Set(catalog.FormatsForExtension(".mgtest")), (std::set<std::string_view>{"test-format"}));
  EXPECT_TRUE(Set(catalog.FormatsForExtension(".npy")).contains("npy"));
  EXPECT_TRUE(Set(catalog.FormatsForExtension(".npy")).contains("test-format"));
  // Weights and model-card libraries.
  EXPECT_TRUE(catalog.CarriesWeights("test-format"));
  EXPECT_EQ(Set(catalog.FormatsForLibrary("test-library")), (std::set<std::string_view>{"test-format"}));
  EXPECT_TRUE(Set(catalog.FormatsForLibrary("transformers")).contains("test-format"));
  // Fact kinds and the docs table.
  const auto kinds = catalog.FactKinds();
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), kTestMagicSeen), kinds.end());
  const std::string table = catalog.MarkdownTable();
  EXPECT_NE(table.find("| `test-format` | 55 | a format declared by a test | `.mgtest`, `.npy` |"), std::string::npos)
      << table;
  EXPECT_LT(table.find("`npy`"), table.find("`test-format`"));
  EXPECT_LT(table.find("`test-format`"), table.find("`gguf`"));
}

// `ctx.Emit("zip.x", ...)` and kinds built from run-time text do not compile.
static_assert(!std::is_convertible_v<const char*, FactKind>);
static_assert(!std::is_convertible_v<std::string_view, FactKind>);
static_assert(!std::is_constructible_v<FactKind, std::string>);
static_assert(!std::is_default_constructible_v<FactKind>);

TEST(FactKinds, EveryFormatDeclaresWhatItEmits) {
  const auto kinds = FormatCatalog::Registered().FactKinds();
  std::set<std::string_view> ids;
  for (const FactKind& k : kinds) EXPECT_TRUE(ids.insert(k.id()).second) << k << " declared twice";
  // Each format's own kinds carry its prefix or a loader it drives (hydra through config, torchscript
  // through pytorch-zip, keras through hdf5).
  for (const FormatDescriptor* d : FormatCatalog::Registered().descriptors()) {
    for (const FactKind& k : d->facts) {
      EXPECT_NE(k.id().find('.'), std::string_view::npos) << d->name << " declares " << k;
    }
  }
  EXPECT_TRUE(ids.contains("zip.crc-mismatch"));
  EXPECT_TRUE(ids.contains("pickle.import"));
  EXPECT_TRUE(ids.contains("polyglot"));
}

}  // namespace
}  // namespace modelguard::formats
