// A command started for `record -- COMMAND`: forked first, held until tracing
// is attached, then exec'd, so not one of its futex calls is missed.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "replay/error.h"

namespace fxs {

class ChildProcess {
 public:
  // Forks; the child waits for release() before exec'ing argv.
  static Result<ChildProcess> spawn_held(const std::vector<std::string>& argv);
  ChildProcess(ChildProcess&&) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess();  // kills a child that was never released

  pid_t pid() const { return pid_; }
  // Lets the child exec; fails if exec failed (e.g. command not found).
  Status release();
  // Non-blocking: true once the child has exited (status then valid).
  bool poll_exit();
  // Blocks until the child exits.
  void wait();
  // Shell-style exit status: code, or 128 + signal.
  int exit_status() const { return status_; }
  void signal(int sig) const;

 private:
  ChildProcess() = default;
  pid_t pid_ = -1;
  int go_fd_ = -1;    // write end: releasing closes it after one byte
  int exec_fd_ = -1;  // read end: the child's exec errno, or EOF on success
  bool released_ = false;
  bool exited_ = false;
  int status_ = 0;
  std::string name_;
};

}  // namespace fxs
