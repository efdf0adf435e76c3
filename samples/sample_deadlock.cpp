// fxs-sample-deadlock: a process that hangs on purpose, in one of several
// ways, and prints what it is stuck on, for `futexscope stuck` and for
// `record -p PID` on a hung process. It never ends by itself: kill it.
//
//   --scenario abba     two threads, two glibc mutexes, taken in opposite order
//   --scenario cycle3   three threads, three mutexes, each waits on the next one's
//   --scenario condvar  a thread waits on a condition variable nobody signals
//   --scenario pipe     a thread holds a mutex while blocked in read() on a pipe
//                       nobody writes; another thread waits for that mutex
//   --scenario pi       abba with priority-inheritance mutexes: one thread blocks
//                       in FUTEX_LOCK_PI; the kernel sees the cycle and refuses
//                       the other (EDEADLK), which glibc then parks for good
//
// Once every thread is about to block it prints one line (each thread first
// publishes its tid, then takes its own lock, then waits at a barrier, then
// blocks on the lock it will never get):
//   FXS_TRUTH_STUCK {"pid","scenario","blocked":[{"tid","uaddr","owner_tid"}],
//                    "blocked_elsewhere":[{"tid","syscall"}],"deadlocks":[{"threads","futexes"}]}
// "uaddr" is the futex word (a glibc mutex's address is its lock word); for
// the condition variable, which word glibc waits on is its own business, so
// "uaddr_range" gives the pthread_cond_t's [start, end) instead and
// owner_tid is null. "deadlocks" lists each cycle from its lowest tid, in
// the order "threads[i] waits on futexes[i], held by threads[i + 1]".
// The main thread ends in pause(): not a futex, not in "blocked".
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string hex(const void* p) {
  char b[32];
  std::snprintf(b, sizeof(b), "0x%lx", reinterpret_cast<unsigned long>(p));
  return b;
}

struct Locker {
  pthread_mutex_t* own = nullptr;   // taken first, held forever
  pthread_mutex_t* want = nullptr;  // then waited for
  pid_t tid = 0;
};

pthread_barrier_t g_ready;
pthread_mutex_t g_mutex[3] = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER};
pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
int g_pipe[2];

void* locker(void* arg) {
  auto* l = static_cast<Locker*>(arg);
  l->tid = pid_t(syscall(SYS_gettid));
  if (l->own) pthread_mutex_lock(l->own);
  pthread_barrier_wait(&g_ready);
  if (l->want) pthread_mutex_lock(l->want);
  return nullptr;
}

void* cond_waiter(void* arg) {
  auto* l = static_cast<Locker*>(arg);
  l->tid = pid_t(syscall(SYS_gettid));
  pthread_mutex_lock(&g_mutex[0]);
  pthread_barrier_wait(&g_ready);
  pthread_cond_wait(&g_cond, &g_mutex[0]);  // releases the mutex; nobody signals
  return nullptr;
}

void* pipe_reader(void* arg) {
  auto* l = static_cast<Locker*>(arg);
  l->tid = pid_t(syscall(SYS_gettid));
  pthread_mutex_lock(&g_mutex[0]);
  pthread_barrier_wait(&g_ready);
  char c;
  while (read(g_pipe[0], &c, 1) != 0) {
  }
  return nullptr;
}

int usage() {
  std::fprintf(stderr, "usage: fxs-sample-deadlock --scenario abba|cycle3|condvar|pipe|pi\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string scenario = argc == 3 && !std::strcmp(argv[1], "--scenario") ? argv[2] : "";
  std::vector<Locker> threads;
  std::string blocked, elsewhere, deadlocks;
  auto entry = [](pid_t tid, const std::string& where, const std::string& owner) {
    return "{\"tid\":" + std::to_string(tid) + "," + where + ",\"owner_tid\":" + owner + "}";
  };
  pthread_t pt[3];
  if (scenario == "pi") {  // the same cycle as abba, on PI mutexes
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_setprotocol(&attr, PTHREAD_PRIO_INHERIT);
    for (auto& m : g_mutex) pthread_mutex_init(&m, &attr);
  }
  if (scenario == "abba" || scenario == "cycle3" || scenario == "pi") {
    const size_t n = scenario == "cycle3" ? 3 : 2;
    threads.resize(n);
    for (size_t i = 0; i < n; i++) threads[i] = {&g_mutex[i], &g_mutex[(i + 1) % n], 0};
    pthread_barrier_init(&g_ready, nullptr, unsigned(n + 1));
    for (size_t i = 0; i < n; i++) pthread_create(&pt[i], nullptr, locker, &threads[i]);
    pthread_barrier_wait(&g_ready);
    // Thread i waits on mutex i+1, held by thread i+1: the cycle, from its lowest tid.
    size_t lo = 0;
    for (size_t i = 0; i < n; i++) {
      const Locker& l = threads[i];
      const Locker& holder = threads[(i + 1) % n];
      blocked += std::string(i ? "," : "") +
                 entry(l.tid, "\"uaddr\":\"" + hex(l.want) + "\"", std::to_string(holder.tid));
      if (l.tid < threads[lo].tid) lo = i;
    }
    std::string tids, futexes;
    for (size_t k = 0; k < n; k++) {
      const Locker& l = threads[(lo + k) % n];
      tids += (k ? "," : "") + std::to_string(l.tid);
      futexes += std::string(k ? "," : "") + "\"" + hex(l.want) + "\"";
    }
    deadlocks = "{\"threads\":[" + tids + "],\"futexes\":[" + futexes + "]}";
  } else if (scenario == "condvar") {
    threads.resize(1);
    pthread_barrier_init(&g_ready, nullptr, 2);
    pthread_create(&pt[0], nullptr, cond_waiter, &threads[0]);
    pthread_barrier_wait(&g_ready);
    const char* c = reinterpret_cast<const char*>(&g_cond);
    blocked = entry(threads[0].tid, "\"uaddr_range\":[\"" + hex(c) + "\",\"" + hex(c + sizeof(g_cond)) + "\"]", "null");
  } else if (scenario == "pipe") {
    if (pipe(g_pipe) != 0) return 1;
    threads.resize(2);
    threads[1] = {nullptr, &g_mutex[0], 0};
    pthread_barrier_init(&g_ready, nullptr, 3);
    pthread_create(&pt[0], nullptr, pipe_reader, &threads[0]);
    pthread_create(&pt[1], nullptr, locker, &threads[1]);
    pthread_barrier_wait(&g_ready);
    blocked = entry(threads[1].tid, "\"uaddr\":\"" + hex(&g_mutex[0]) + "\"", std::to_string(threads[0].tid));
    elsewhere = "{\"tid\":" + std::to_string(threads[0].tid) + ",\"syscall\":\"read\"}";
  } else {
    return usage();
  }
  std::printf("FXS_TRUTH_STUCK {\"pid\":%d,\"scenario\":\"%s\",\"blocked\":[%s],\"blocked_elsewhere\":[%s],"
              "\"deadlocks\":[%s]}\n",
              int(getpid()), scenario.c_str(), blocked.c_str(), elsewhere.c_str(), deadlocks.c_str());
  std::fflush(stdout);
  for (;;) pause();
}
