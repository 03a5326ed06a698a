#pragma once
// A whole file's bytes for parsers that must see all of it: small files are read into a buffer, large ones
// mapped read-only and paged in as the parsers touch them (a 1 GB checkpoint whose tensors are skipped is
// mostly never read). No sequential-readahead hint: most formats read headers scattered through the file.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard {

// What a non-regular, non-directory file is ("FIFO (named pipe)", "socket", ...), for findings and errors.
std::string SpecialFileType(mode_t mode);

class FileBytes {
 public:
  // A path that is not a regular file once opened is a kUnsupported error naming its type (callers check
  // before opening; this catches one swapped in since). Opening never blocks on a FIFO and never follows a
  // symbolic link in the last component.
  static Result<FileBytes> Open(const std::string& path);
  FileBytes() = default;
  FileBytes(FileBytes&& other) noexcept;
  FileBytes& operator=(FileBytes&&) = delete;
  ~FileBytes();

  std::span<const uint8_t> view() const { return {data_, size_}; }
  std::string_view text() const { return {reinterpret_cast<const char*>(data_), size_}; }
  size_t size() const { return size_; }

 private:
  std::vector<uint8_t> buffer_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool mapped_ = false;
};

}  // namespace modelguard
