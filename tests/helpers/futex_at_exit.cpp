// fxs-test-futex-at-exit: makes one futex call on a static word (so a
// recording sees this process run and reads its mappings), waits a moment,
// then uses a word on the heap for the first time and exits at once: what a
// thread join or a last unlock does as a program ends. The recorder drains
// that last call after the process is gone, yet it must still name the word
// by its mapping. Prints "heap word 0x..." on stdout.
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

int main() {
  // Allocated first: the heap mapping that holds it exists from here on.
  auto* heap_word = static_cast<uint32_t*>(std::malloc(sizeof(uint32_t)));
  *heap_word = 0;
  static uint32_t early = 0;
  syscall(SYS_futex, &early, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  usleep(400000);  // the recorder drains the first record meanwhile, and reads the mappings
  std::printf("heap word 0x%" PRIxPTR "\n", reinterpret_cast<uintptr_t>(heap_word));
  std::fflush(stdout);
  syscall(SYS_futex, heap_word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  _exit(0);  // at once: no atexit work that would give the recorder time
}
