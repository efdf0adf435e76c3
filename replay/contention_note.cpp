#include "replay/contention_note.h"

#include "replay/format.h"

namespace fxs {

std::string contention_note(const FutexWakes& w) {
  if (w.join_like())
    return "released at exit: each of its " + std::to_string(w.released_at_exit) +
           " waits was woken by a thread as it exited (a join by another name, not contention)";
  if (w.by_futex_wake + w.by_pi_handoff)
    return "contended: " + format_ns(w.contended_wait_ns) + " blocked in the " +
           std::to_string(w.by_futex_wake + w.by_pi_handoff) + " waits another thread's wake ended";
  return "";
}

}  // namespace fxs
