// wait_for_graph.h: who waits for whom, from one look at a process's threads.
// A thread blocked in a futex call whose lock names its holder points at that
// holder; following those edges gives chains (the holder is itself stuck, or
// gone) and cycles (deadlocks). Each blocked thread waits on one lock, so each
// thread has at most one outgoing edge and every cycle is found exactly once.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fxs {

// One thread as seen at one instant (/proc, or a trace's snapshot records).
struct ThreadSnapshot {
  uint32_t pid = 0, tid = 0;
  std::string comm;
  char state = '?';             // /proc/TID/stat: R running, S sleeping, D disk, T stopped, ...
  int64_t syscall = -1;         // the system call it is in, -1 if none (or running)
  // Inside a futex call (futex, futex_waitv, futex_wait): the op and every word.
  bool in_futex = false;
  std::string op;               // "FUTEX_WAIT", "FUTEX_LOCK_PI", "futex_waitv", ...
  std::vector<uint64_t> uaddrs;
  uint64_t expected = 0;        // the value the wait expects (FUTEX_WAIT's val)
  uint32_t owner_tid = 0;       // who holds the lock, 0 if the word's layout does not say
  std::string owner_source;     // how it is known: "pi word", "glibc mutex __owner"
  uint64_t since_ns = 0;        // when the wait began, 0 if before the recording
  std::vector<std::string> stack;  // innermost first: "[k] ..." kernel frames, then user frames
};

struct Deadlock {
  std::vector<uint32_t> threads;  // in cycle order, from the lowest tid: threads[i] waits
  std::vector<uint64_t> futexes;  // on futexes[i], held by threads[i + 1] (the last by the first)
};

// A blocked thread whose lock's holder is not simply running: the holders in
// order, and what the last one is doing.
struct WaitChain {
  uint32_t tid = 0;
  uint64_t uaddr = 0;
  std::vector<uint32_t> holders;  // holders[0] holds tid's lock, holders[1] holders[0]'s, ...
  std::string end;                // "exited", "blocked in read", "futex without a known owner", ...
  // At most this many holders are followed (a file may hold a chain of
  // every thread: following each to its end would be quadratic); then `end`
  // is "longer than 64 holders".
  static constexpr size_t kMaxHolders = 64;
};

struct WaitForGraph {
  std::vector<Deadlock> deadlocks;  // by lowest tid
  std::vector<WaitChain> chains;    // by tid; threads inside a deadlock have none
};

WaitForGraph analyze_wait_for(const std::vector<ThreadSnapshot>& threads);

// The threads by tid (pointers into `threads`).
std::map<uint32_t, const ThreadSnapshot*> threads_by_tid(const std::vector<ThreadSnapshot>& threads);

// What a thread that is not waiting on a futex is doing: "running",
// "blocked in read", "stopped", ...
std::string thread_activity(const ThreadSnapshot& t);

}  // namespace fxs
