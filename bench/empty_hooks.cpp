// fxs_empty_hooks: runs a command with two empty BPF programs on the raw
// sys_enter and sys_exit tracepoints (or sys_exit alone), for bench/overhead.py's
// floors: what any tracer on every system call costs before it does anything.
//
// usage (root): fxs_empty_hooks [--exit-only] -- COMMAND [ARGS...]
// Exits with the command's status.
#include <bpf/libbpf.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>

#include "empty_hooks.skel.h"

extern char** environ;

namespace {

struct SkeletonDeleter {
  void operator()(empty_hooks_bpf* s) const { empty_hooks_bpf::destroy(s); }
};

int usage() {
  std::fprintf(stderr, "usage: fxs_empty_hooks [--exit-only] -- COMMAND [ARGS...]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool exit_only = false;
  int i = 1;
  for (; i < argc && std::strcmp(argv[i], "--") != 0; i++) {
    if (std::strcmp(argv[i], "--exit-only") == 0)
      exit_only = true;
    else
      return usage();
  }
  if (i + 1 >= argc) return usage();
  char** command = argv + i + 1;

  std::unique_ptr<empty_hooks_bpf, SkeletonDeleter> skel(empty_hooks_bpf::open());
  if (!skel) {
    std::perror("fxs_empty_hooks: open the BPF object");
    return 1;
  }
  bpf_program__set_autoload(skel->progs.empty_sys_enter, !exit_only);
  if (int err = empty_hooks_bpf::load(skel.get())) {
    std::fprintf(stderr, "fxs_empty_hooks: load: %s (run as root)\n", std::strerror(-err));
    return 1;
  }
  if (int err = empty_hooks_bpf::attach(skel.get())) {
    std::fprintf(stderr, "fxs_empty_hooks: attach: %s\n", std::strerror(-err));
    return 1;
  }
  pid_t pid;
  if (int err = posix_spawnp(&pid, command[0], nullptr, nullptr, command, environ)) {
    std::fprintf(stderr, "fxs_empty_hooks: cannot run %s: %s\n", command[0], std::strerror(err));
    return 127;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) {
    std::perror("fxs_empty_hooks: waitpid");
    return 1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
