// fd_output.h: an std::ostream onto a file descriptor that remembers why a
// write failed. std::ofstream only says that one did (badbit), and errno is
// long gone by the time the caller looks: "write failed" named neither the
// file nor the cause (`export -o /dev/full`).
#pragma once

#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "replay/error.h"

namespace fxs {

class FdOutput : private std::streambuf, public std::ostream {
 public:
  // Creates or truncates `path` ("-": standard output, not closed).
  static Result<std::unique_ptr<FdOutput>> open(const std::string& path);
  ~FdOutput() override;
  FdOutput(const FdOutput&) = delete;
  FdOutput& operator=(const FdOutput&) = delete;

  // Writes what is buffered and closes; the first failure of any write, as
  // "write PATH: strerror" ("close PATH: ..." for a late NFS error).
  Status close();

 private:
  FdOutput(int fd, std::string name);
  int overflow(int c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override;
  bool write_all(const char* p, size_t n);  // false (and err_ set) on a failure

  int fd_;
  std::string name_;
  int err_ = 0;             // errno of the first failed write
  std::vector<char> buf_;
};

}  // namespace fxs
