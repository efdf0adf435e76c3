// thread_snapshot.h: one look at every thread of a process, without stopping
// it: the system call each is in (/proc/TID/syscall), for futex calls the
// words and the lock's holder (replay/lock_owner.h, reading the process's
// memory), and the stacks of the blocked ones: the kernel's (/proc/TID/stack)
// and the user's, unwound with DWARF from the stack and instruction pointers
// the kernel saved at the system call and the top of the stack.
#pragma once

#include <sys/types.h>

#include <vector>

#include "replay/error.h"
#include "replay/wait_for_graph.h"

namespace fxs {

class StackSymbolizer;

// Every thread of process `pid`; stacks only with a symbolizer.
// stop_for_frame_pointer: stop each blocked thread for a moment with ptrace
// to read its frame pointer, which /proc does not give, so that user stacks
// walk on through code built with frame pointers (its blocked call restarts,
// as after a signal). Not while recording: that restart would be in the trace.
Result<std::vector<ThreadSnapshot>> snapshot_threads(pid_t pid, StackSymbolizer* stacks,
                                                     bool stop_for_frame_pointer = false);

}  // namespace fxs
