#include "run_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace fxs::test {
namespace {

// In a forked child: become argv, or exit 127 as a shell would.
[[noreturn]] void exec_argv(const std::vector<std::string>& argv) {
  std::vector<char*> a;
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  execvp(a[0], a.data());
  _exit(127);
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, int timeout_s) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe");
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    exec_argv(argv);
  }
  close(out[1]);
  close(err[1]);
  CommandResult r;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  time_t deadline = time(nullptr) + timeout_s;
  while (open_fds > 0) {
    if (time(nullptr) > deadline) {
      kill(pid, SIGKILL);
      r.err += "\n[test harness: killed after timeout]";
      break;
    }
    if (poll(fds, 2, 1000) <= 0) continue;
    for (int i = 0; i < 2; i++) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      char buf[65536];
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        sinks[i]->append(buf, size_t(n));
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        open_fds--;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) close(f.fd);
  int st = 0;
  waitpid(pid, &st, 0);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

BackgroundCommand::BackgroundCommand(const std::vector<std::string>& argv) {
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork");
  if (pid_ == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(devnull, 2);
    exec_argv(argv);
  }
}

BackgroundCommand::~BackgroundCommand() {
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

nlohmann::json tagged_json_from(const std::string& out, const std::string& tag) {
  size_t p = out.find(tag);
  if (p == std::string::npos) return nlohmann::json();
  size_t e = out.find('\n', p);
  size_t from = p + tag.size();
  return nlohmann::json::parse(out.substr(from, e == std::string::npos ? std::string::npos : e - from));
}

nlohmann::json truth_from(const std::string& out) { return tagged_json_from(out, "FXS_TRUTH "); }

std::string probe_lacks(const std::string& futexscope, const std::string& fact, const std::string& why) {
  CommandResult probe = run_command({futexscope, "probe", "--format", "json"});
  if (probe.status != 0) {
    ADD_FAILURE() << "futexscope probe failed: " << probe.err;
    return "futexscope probe failed";
  }
  return nlohmann::json::parse(probe.out)[fact].get<bool>() ? std::string() : why;
}

const nlohmann::json* find_futex(const nlohmann::json& report, long pid, const std::string& uaddr) {
  if (!report.contains("futexes")) return nullptr;
  for (const auto& f : report["futexes"])
    if (f["pid"].get<long>() == pid && f["uaddr"].get<std::string>() == uaddr) return &f;
  return nullptr;
}

}  // namespace fxs::test
