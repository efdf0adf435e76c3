#include "collector/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fxs {
namespace {

int decode_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return 1;
}

}  // namespace

Result<ChildProcess> ChildProcess::spawn_held(const std::vector<std::string>& argv) {
  if (argv.empty()) return Error{"no command given after --"};
  int go[2], ex[2];
  if (pipe2(go, O_CLOEXEC)) return Error{errno_message("pipe", errno)};
  if (pipe2(ex, O_CLOEXEC)) {
    close(go[0]);
    close(go[1]);
    return Error{errno_message("pipe", errno)};
  }
  pid_t pid = fork();
  if (pid < 0) return Error{errno_message("fork", errno)};
  if (pid == 0) {
    close(go[1]);
    close(ex[0]);
    char c;
    // Held here until the tracer is attached; EOF without a byte means "abort".
    if (read(go[0], &c, 1) != 1) _exit(127);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    int e = errno;
    ssize_t w = write(ex[1], &e, sizeof(e));
    (void)w;
    _exit(127);
  }
  close(go[0]);
  close(ex[1]);
  ChildProcess c;
  c.pid_ = pid;
  c.go_fd_ = go[1];
  c.exec_fd_ = ex[0];
  c.name_ = argv[0];
  return c;
}

ChildProcess::ChildProcess(ChildProcess&& o) noexcept
    : pid_(o.pid_), go_fd_(o.go_fd_), exec_fd_(o.exec_fd_), released_(o.released_),
      exited_(o.exited_), status_(o.status_), name_(std::move(o.name_)) {
  o.pid_ = -1;
  o.go_fd_ = o.exec_fd_ = -1;
}

ChildProcess::~ChildProcess() {
  if (go_fd_ >= 0) close(go_fd_);  // an unreleased child reads EOF and exits 127
  if (exec_fd_ >= 0) close(exec_fd_);
  if (pid_ > 0 && !exited_ && !released_) {
    int st;
    waitpid(pid_, &st, 0);
  }
}

Status ChildProcess::release() {
  char c = 1;
  if (write(go_fd_, &c, 1) != 1) return Error{errno_message("start " + name_, errno)};
  close(go_fd_);
  go_fd_ = -1;
  released_ = true;
  int e = 0;
  ssize_t n;
  do {
    n = read(exec_fd_, &e, sizeof(e));
  } while (n < 0 && errno == EINTR);
  close(exec_fd_);
  exec_fd_ = -1;
  if (n == sizeof(e)) {
    wait();
    return Error{"cannot run '" + name_ + "': " + std::strerror(e) +
                 " (check the command name and PATH)"};
  }
  return {};
}

bool ChildProcess::poll_exit() {
  if (exited_) return true;
  int st;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    status_ = decode_status(st);
  }
  return exited_;
}

void ChildProcess::wait() {
  if (exited_) return;
  int st;
  pid_t r;
  do {
    r = waitpid(pid_, &st, 0);
  } while (r < 0 && errno == EINTR);
  exited_ = true;
  status_ = r == pid_ ? decode_status(st) : 1;
}

void ChildProcess::signal(int sig) const {
  if (pid_ > 0 && !exited_) kill(pid_, sig);
}

}  // namespace fxs
