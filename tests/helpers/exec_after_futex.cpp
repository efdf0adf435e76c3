// fxs-test-exec-after-futex PROGRAM [ARGS...]: makes one futex call (a
// FUTEX_WAKE that wakes nobody), so a recording names this process and reads
// its mappings, then exec's PROGRAM in the same process: what a pyenv or
// rbenv shim does before the real interpreter runs. The futex names and
// stacks of PROGRAM must be PROGRAM's, not this one's.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s PROGRAM [ARGS...]\n", argv[0]);
    return 2;
  }
  static uint32_t word = 0;
  syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  usleep(200000);  // the recorder drains the first record and reads these mappings
  execv(argv[1], argv + 1);
  std::fprintf(stderr, "%s: exec %s: %s\n", argv[0], argv[1], std::strerror(errno));
  return 127;
}
