// fxs-test-release-at-exit: the main thread waits on a word that a second
// thread sets and wakes as the last thing it does before it exits: how
// Python's Thread.join (a lock its thread releases on the way out) waits.
// The recording must see that wait released at exit, not contention.
// Prints "join word 0x..." on stdout.
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cinttypes>
#include <cstdint>
#include <cstdio>

namespace {

std::atomic<uint32_t> g_done{0};

long futex(std::atomic<uint32_t>* w, int op, uint32_t val) {
  return syscall(SYS_futex, reinterpret_cast<uint32_t*>(w), op, val, nullptr, nullptr, 0);
}

void* worker(void*) {
  usleep(100000);  // the main thread is asleep on the word by now
  g_done.store(1);
  futex(&g_done, FUTEX_WAKE_PRIVATE, 1);
  return nullptr;  // and exits at once
}

}  // namespace

int main() {
  std::printf("join word 0x%" PRIxPTR "\n", reinterpret_cast<uintptr_t>(&g_done));
  std::fflush(stdout);
  pthread_t t;
  if (pthread_create(&t, nullptr, worker, nullptr) != 0) return 1;
  while (g_done.load() == 0) futex(&g_done, FUTEX_WAIT_PRIVATE, 0);
  pthread_join(t, nullptr);
  return 0;
}
