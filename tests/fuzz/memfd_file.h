// memfd_file.h: a file that lives in memory, under a path that open() takes
// (/proc/self/fd/N), so the fuzz harness hands its bytes to the real
// file-reading entry points (write_report, export_chrome, ...) without
// touching the disk. Each open() of that path is a new file description
// with its own offset, like a file on disk.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace fxs::fuzz {

class MemfdFile {
 public:
  MemfdFile();  // aborts if memfd_create fails: the harness cannot run
  ~MemfdFile();
  MemfdFile(const MemfdFile&) = delete;
  MemfdFile& operator=(const MemfdFile&) = delete;

  // Replaces the contents with `data`.
  void assign(const uint8_t* data, size_t size);
  // A new fd on the same file (for writers that take ownership of theirs).
  int dup_fd() const;
  const std::string& path() const { return path_; }
  // Empties the file.
  void clear();

 private:
  int fd_ = -1;
  std::string path_;
};

}  // namespace fxs::fuzz
