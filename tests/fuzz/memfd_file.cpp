#include "fuzz/memfd_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace fxs::fuzz {

namespace {

[[noreturn]] void die(const char* what) {
  std::perror(what);
  std::abort();
}

}  // namespace

MemfdFile::MemfdFile() {
  fd_ = memfd_create("fxs-fuzz", MFD_CLOEXEC);
  if (fd_ < 0) die("memfd_create");
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

MemfdFile::~MemfdFile() { ::close(fd_); }

void MemfdFile::clear() {
  if (ftruncate(fd_, 0) != 0) die("ftruncate");
  // dup_fd()'s writers share this offset: the next one must start at 0.
  if (lseek(fd_, 0, SEEK_SET) != 0) die("lseek");
}

void MemfdFile::assign(const uint8_t* data, size_t size) {
  clear();
  for (size_t off = 0; off < size;) {
    ssize_t n = pwrite(fd_, data + off, size - off, static_cast<off_t>(off));
    if (n <= 0) die("pwrite");
    off += static_cast<size_t>(n);
  }
}

int MemfdFile::dup_fd() const {
  int fd = ::dup(fd_);
  if (fd < 0) die("dup");
  return fd;
}

}  // namespace fxs::fuzz
