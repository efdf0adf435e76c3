// contention_note.h: what a futex's paired wakes say about contention, in
// the words the text report and the window's Futex tab share.
#pragma once

#include <string>

#include "replay/wake_model.h"

namespace fxs {

// "contended: 1.2 ms blocked in the 40 waits another thread's wake ended",
// or, for a word whose every wait was released as its waker exited,
// "released at exit: each of its 3 waits was woken by a thread as it exited
// (a join by another name, not contention)"; "" when no wake call ended a wait.
std::string contention_note(const FutexWakes& w);

}  // namespace fxs
