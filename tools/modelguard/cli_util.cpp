#include "tools/modelguard/cli_util.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "modelguard/core/io.h"

namespace modelguard::cli {
namespace {

// One process runs one command, so the verbosity its flags chose is process-wide.
Verbosity g_verbosity = Verbosity::kNormal;

// Discards what is written to it: Note() under --quiet, Detail() without --verbose.
class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return traits_type::not_eof(c); }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};

std::ostream& NullStream() {
  static NullBuffer buffer;
  static std::ostream stream(&buffer);
  return stream;
}

}  // namespace

void Describe(CLI::App* command, const std::string& notes, std::initializer_list<std::string> examples,
              const std::string& exit_codes) {
  std::string footer = notes;
  if (!footer.empty() && footer.back() != '\n') footer += '\n';
  footer += examples.size() > 1 ? "Examples:\n" : "Example:\n";
  for (const auto& example : examples) footer += "  " + example + "\n";
  footer += "Exit codes: " + exit_codes + ".";
  command->footer(footer);
}

CLI::Option* AddFormatOption(CLI::App* command, std::string& format, const std::vector<std::string>& allowed) {
  if (format.empty()) format = allowed.front();
  std::string list;
  for (size_t i = 0; i < allowed.size(); ++i)
    list += (i == 0 ? "" : i + 1 == allowed.size() ? " or " : ", ") + allowed[i];
  return command->add_option("-f,--format", format, "Output format: " + list)
      ->check(CLI::IsMember(allowed))
      ->capture_default_str();
}

Verbosity CurrentVerbosity() { return g_verbosity; }
void SetVerbosity(Verbosity verbosity) { g_verbosity = verbosity; }

void AddVerbosityFlags(CLI::App* command) {
  auto* quiet = command->add_flag_callback(
      "-q,--quiet", [] { SetVerbosity(Verbosity::kQuiet); }, "No progress or notes on stderr (errors still print)");
  auto* verbose = command->add_flag_callback(
      "-v,--verbose", [] { SetVerbosity(Verbosity::kVerbose); }, "More detail on stderr");
  quiet->excludes(verbose);
  verbose->excludes(quiet);
}

std::ostream& Note() { return Quiet() ? NullStream() : std::cerr; }
std::ostream& Detail() { return Verbose() ? std::cerr : NullStream(); }

// Buffers what the command writes and hands it to the AtomicFile in large pieces, keeping the first error.
class Output::FileBuffer : public std::streambuf {
 public:
  explicit FileBuffer(AtomicFile file) : file_(std::move(file)) { setp(buffer_, buffer_ + sizeof buffer_); }
  Status Commit() {
    if (sync() != 0) return error_;
    return file_.Commit();
  }

 protected:
  int overflow(int c) override {
    if (sync() != 0) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override {
    if (!error_) return -1;
    const auto pending = static_cast<size_t>(pptr() - pbase());
    if (pending) error_ = file_.Write({pbase(), pending});
    setp(buffer_, buffer_ + sizeof buffer_);
    return error_ ? 0 : -1;
  }

 private:
  AtomicFile file_;
  Status error_ = Ok{};
  char buffer_[1 << 16];
};

Output::Output(const char* command) : command_(command) {}
Output::~Output() = default;

bool Output::Open(const std::string& path, const std::vector<std::string>& inputs, std::optional<uint32_t> mode) {
  if (path.empty() || path == "-") return true;
  for (const auto& input : inputs) {
    if (SameFile(path, input)) {
      std::cerr << "modelguard " << command_ << ": '" << path << "' is also an input ('" << input
                << "'); write the result elsewhere\n";
      return false;
    }
  }
  auto file = AtomicFile::Create(path, mode);
  if (!file) {
    std::cerr << "modelguard " << command_ << ": " << file.error().message << "\n";
    return false;
  }
  buffer_ = std::make_unique<FileBuffer>(std::move(*file));
  file_stream_ = std::make_unique<std::ostream>(buffer_.get());
  return true;
}

bool Output::Close() {
  if (!buffer_) return FlushStandardOutput();
  auto committed = buffer_->Commit();
  file_stream_.reset();
  buffer_.reset();
  if (!committed) {
    std::cerr << "modelguard " << command_ << ": " << committed.error().message << "\n";
    return false;
  }
  return true;
}

bool FlushStandardOutput() {
  errno = 0;
  std::cout.flush();
  const bool flushed = std::fflush(stdout) == 0;
  const int error = errno;
  if (std::cout && flushed && !std::ferror(stdout)) return true;
  std::cerr << "modelguard: cannot write to standard output"
            << (error ? std::string(": ") + std::strerror(error) : std::string()) << "\n";
  // Said once: later checks of the same stream stay quiet.
  std::cout.clear();
  std::clearerr(stdout);
  return false;
}

bool SameFile(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

Status CheckReportFolder(const std::string& directory, const std::vector<std::string>& names,
                         const std::vector<std::string>& inputs, const std::string& option) {
  std::error_code error;
  if (std::filesystem::exists(directory, error) && !std::filesystem::is_directory(directory, error))
    return MakeError(ErrorCode::kInvalidArgument, option + " " + directory + " exists and is not a directory");
  for (const std::string& name : names)
    for (const std::string& input : inputs)
      if (!input.empty() && SameFile(directory + "/" + name, input))
        return MakeError(ErrorCode::kInvalidArgument,
                         option + " would write " + directory + "/" + name + " over the input " + input);
  return Ok{};
}

Status WriteReportFolder(const std::string& directory, const std::vector<std::pair<std::string, std::string>>& files,
                         const std::vector<std::string>& inputs, const std::string& option) {
  std::vector<std::string> names;
  for (const auto& file : files) names.push_back(file.first);
  MG_TRY(CheckReportFolder(directory, names, inputs, option));
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return MakeError(ErrorCode::kIo, option + " " + directory + ": " + error.message());
  for (const auto& [name, content] : files) MG_TRY(WriteFileAtomic(directory + "/" + name, content));
  return Ok{};
}

bool CheckInputFile(const std::string& path, const char* command) {
  if (path == "-") return true;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    std::cerr << "modelguard " << command << ": cannot read '" << path << "': " << std::strerror(errno) << "\n";
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    std::cerr << "modelguard " << command << ": '" << path << "' is a directory, not a file\n";
    return false;
  }
  return true;
}

std::string ReportJson(const nlohmann::json& doc, int indent) {
  return doc.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ReportJson(const nlohmann::ordered_json& doc, int indent) {
  return doc.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::vector<std::string> SplitCommaList(const std::string& text, bool keep_empty) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    std::string item = text.substr(start, comma - start);
    if (keep_empty || !item.empty()) items.push_back(std::move(item));
    start = comma + 1;
  }
  if (text.empty() && keep_empty) items.clear();
  return items;
}

}  // namespace modelguard::cli
