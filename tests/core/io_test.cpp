// AtomicFile (results written in pieces, replaced whole or not at all) and EscapeControlCharacters (names in
// text output). WriteFileAtomic's own cases are in bytes_test.cpp.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "modelguard/core/io.h"

namespace modelguard {
namespace {

namespace fs = std::filesystem;

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mg-atomic-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const char* name) const { return (dir_ / name).string(); }
  std::string Read(const std::string& path) const {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  size_t Entries() const {
    size_t n = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator(dir_)) ++n;
    return n;
  }
  fs::path dir_;
};

TEST_F(AtomicFileTest, PiecesReplaceTheTargetOnlyOnCommit) {
  const std::string path = Path("out");
  ASSERT_TRUE(WriteFileAtomic(path, "old"));
  auto file = AtomicFile::Create(path);
  ASSERT_TRUE(file);
  ASSERT_TRUE(file->Write("new "));
  ASSERT_TRUE(file->Write("content"));
  EXPECT_EQ(Read(path), "old");  // readers see the old content until the commit
  ASSERT_TRUE(file->Commit());
  EXPECT_EQ(Read(path), "new content");
  EXPECT_EQ(Entries(), 1u);
  EXPECT_FALSE(file->Write("late"));  // a committed file takes no more writes
}

TEST_F(AtomicFileTest, AbandonedWritesLeaveTheTargetAndNoTemporary) {
  const std::string path = Path("out");
  ASSERT_TRUE(WriteFileAtomic(path, "old"));
  {
    auto file = AtomicFile::Create(path);
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->Write("half a resul"));
  }  // destroyed without Commit: an error path
  EXPECT_EQ(Read(path), "old");
  EXPECT_EQ(Entries(), 1u);
  {
    auto file = AtomicFile::Create(Path("never"));
    ASSERT_TRUE(file);
    ASSERT_TRUE(file->Write("x"));
  }
  EXPECT_FALSE(fs::exists(Path("never")));
  EXPECT_EQ(Entries(), 1u);
}

TEST_F(AtomicFileTest, ModeIsForcedForFilesOfSecrets) {
  const std::string path = Path("vault.json");
  ASSERT_TRUE(WriteFileAtomic(path, "old"));
  ::chmod(path.c_str(), 0644);
  auto file = AtomicFile::Create(path, 0600);
  ASSERT_TRUE(file);
  ASSERT_TRUE(file->Write("secret"));
  ASSERT_TRUE(file->Commit());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AtomicFileTest, WritesThroughASymbolicLinkAndKeepsIt) {
  const std::string target = Path("target");
  const std::string link = Path("link");
  ASSERT_TRUE(WriteFileAtomic(target, "old"));
  fs::create_symlink("target", link);
  ASSERT_TRUE(WriteFileAtomic(link, "new"));
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(Read(target), "new");
}

TEST_F(AtomicFileTest, AFullDeviceFailsOnWriteOrCommit) {
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no /dev/full";
  auto file = AtomicFile::Create("/dev/full");
  ASSERT_TRUE(file);
  const bool wrote = static_cast<bool>(file->Write("bytes"));
  EXPECT_FALSE(wrote && file->Commit());
  EXPECT_FALSE(AtomicFile::Create(dir_.string()));  // a directory is no file to write
}

// A writer killed (SIGKILL: no destructor, no cleanup) in the middle of its write leaves the old content
// and no other file: the result is unnamed until the commit. Before, a ".out.PID.N.tmp" stayed behind.
TEST_F(AtomicFileTest, AWriterKilledMidWriteLeavesNoFileBehind) {
  for (const bool existing : {true, false}) {
    SCOPED_TRACE(existing ? "replacing a file" : "a new file");
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const std::string path = Path("out");
    if (existing) {
      ASSERT_TRUE(WriteFileAtomic(path, "old"));
    }
    int ready[2];
    ASSERT_EQ(::pipe(ready), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto file = AtomicFile::Create(path);
      const bool wrote = file && file->Write(std::string(1 << 20, 'n'));
      const char byte = wrote ? '1' : '0';
      (void)!::write(ready[1], &byte, 1);
      ::pause();  // killed here, between a write and the commit
      ::_exit(0);
    }
    ::close(ready[1]);
    char byte = 0;
    ASSERT_EQ(::read(ready[0], &byte, 1), 1);
    ::close(ready[0]);
    EXPECT_EQ(byte, '1');
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(Entries(), existing ? 1u : 0u);
    if (existing) {
      EXPECT_EQ(Read(path), "old");
    }
  }
}

TEST_F(AtomicFileTest, ReplacingAndCreatingLeaveOnlyTheResult) {
  const std::string path = Path("out");
  ASSERT_TRUE(WriteFileAtomic(path, "first"));   // created: linked straight at its name
  ASSERT_TRUE(WriteFileAtomic(path, "second"));  // replaced: linked at a temporary name, renamed over it
  EXPECT_EQ(Read(path), "second");
  EXPECT_EQ(Entries(), 1u);
}

TEST(IsValidUtf8, AcceptsWhatJsonCanHoldOnly) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("bad\xff\xfe"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // cut short
}

TEST(EscapeControlCharacters, EscapesWhatCouldDriveATerminalOrForgeALine) {
  EXPECT_EQ(EscapeControlCharacters("model.safetensors"), "model.safetensors");
  EXPECT_EQ(EscapeControlCharacters("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(EscapeControlCharacters("line\nforged: ok"), "line\\nforged: ok");
  EXPECT_EQ(EscapeControlCharacters("\r\t\x7f"), "\\r\\t\\x7f");
  EXPECT_EQ(EscapeControlCharacters(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(EscapeControlCharacters("back\\x1b"), "back\\\\x1b");  // a literal backslash cannot pass as an escape
  EXPECT_EQ(EscapeControlCharacters("csi\xc2\x9b"
                                    "31m"),
            "csi\\u009b31m");                                                          // UTF-8 C1 control
  EXPECT_EQ(EscapeControlCharacters("caf\xc3\xa9 \xc2\xa0"), "caf\xc3\xa9 \xc2\xa0");  // other UTF-8 kept
  // Bytes that are not UTF-8 are escaped, so the name stays exact and the output stays UTF-8.
  EXPECT_EQ(EscapeControlCharacters("bad\xff\xfe.bin"), "bad\\xff\\xfe.bin");
  EXPECT_EQ(EscapeControlCharacters("cut\xe2\x82"), "cut\\xe2\\x82");
}

}  // namespace
}  // namespace modelguard
