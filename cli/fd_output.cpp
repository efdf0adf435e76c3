#include "cli/fd_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace fxs {

namespace {
constexpr size_t kBufferBytes = 1 << 16;
}  // namespace

Result<std::unique_ptr<FdOutput>> FdOutput::open(const std::string& path) {
  if (path == "-") return std::unique_ptr<FdOutput>(new FdOutput(STDOUT_FILENO, "standard output"));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error{errno_message("cannot write " + path, errno)};
  return std::unique_ptr<FdOutput>(new FdOutput(fd, path));
}

FdOutput::FdOutput(int fd, std::string name) : std::ostream(this), fd_(fd), name_(std::move(name)), buf_(kBufferBytes) {
  setp(buf_.data(), buf_.data() + buf_.size());
}

FdOutput::~FdOutput() { (void)close(); }

bool FdOutput::write_all(const char* p, size_t n) {
  while (n > 0 && err_ == 0) {
    ssize_t k = ::write(fd_, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) {
      err_ = k < 0 ? errno : EIO;
      break;
    }
    p += k;
    n -= size_t(k);
  }
  return err_ == 0;
}

int FdOutput::sync() {
  bool ok = write_all(pbase(), size_t(pptr() - pbase()));
  setp(buf_.data(), buf_.data() + buf_.size());
  return ok ? 0 : -1;
}

int FdOutput::overflow(int c) {
  if (sync() != 0) return std::char_traits<char>::eof();
  if (c != std::char_traits<char>::eof()) {
    *pptr() = char(c);
    pbump(1);
  }
  return std::char_traits<char>::not_eof(c);
}

std::streamsize FdOutput::xsputn(const char* s, std::streamsize n) {
  // Large pieces go straight to the file rather than through the buffer.
  if (n >= std::streamsize(buf_.size())) {
    if (sync() != 0 || !write_all(s, size_t(n))) return 0;
    return n;
  }
  return std::streambuf::xsputn(s, n);
}

Status FdOutput::close() {
  if (fd_ < 0) return err_ ? Status(Error{errno_message("write " + name_, err_)}) : Status();
  (void)sync();
  int fd = fd_;
  fd_ = -1;
  if (fd != STDOUT_FILENO && ::close(fd) != 0 && err_ == 0)
    return Error{errno_message("close " + name_, errno)};
  if (err_) return Error{errno_message("write " + name_, err_)};
  return {};
}

}  // namespace fxs
