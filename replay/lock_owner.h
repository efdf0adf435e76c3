// lock_owner.h: who holds a lock, read from the lock's own memory, only where
// its layout says so for certain; otherwise nobody is named.
//  - PI futexes (FUTEX_LOCK_PI, FUTEX_LOCK_PI2): the word is the owner's TID
//    (FUTEX_TID_MASK), with FUTEX_WAITERS and FUTEX_OWNER_DIED above it.
//  - glibc's pthread_mutex_t on x86-64 (unchanged since glibc 2.3): int __lock
//    at 0, unsigned __count at 4, int __owner (TID) at 8, unsigned __nusers at
//    12, int __kind at 16. A waiter blocks in FUTEX_WAIT expecting 2 ("locked,
//    with waiters"). Only a normal, recursive, error-checking or adaptive kind
//    (no robust, PI or PP bits) in a process that maps glibc counts.
//  - glibc's PI mutex (__kind has PTHREAD_MUTEX_PRIO_INHERIT_NP): the lock
//    word is the owner's TID and __owner repeats it. When FUTEX_LOCK_PI fails
//    with EDEADLK (the kernel found the cycle), glibc parks the thread for
//    good in a FUTEX_WAIT on a zero word of its own stack, the mutex pointer
//    still in that stack: parked_on_glibc_pi_deadlock() recognises the park,
//    glibc_pi_mutex_owner() a candidate mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace fxs {

inline constexpr size_t kLockOwnerBytes = 20;  // what lock_owner() may look at

struct LockOwner {
  uint32_t tid = 0;    // 0: not known
  std::string source;  // "pi word", "glibc mutex __owner"
};

// `word` holds the kLockOwnerBytes at the waited address (fewer: `n`).
LockOwner lock_owner(unsigned opi, uint64_t expected, const uint8_t* word, size_t n, bool process_uses_glibc);

// A wait that is glibc's park after EDEADLK: a FUTEX_WAIT or FUTEX_WAIT_BITSET
// expecting 0 on a word within the first 4 KiB above the thread's stack pointer.
bool parked_on_glibc_pi_deadlock(unsigned opi, uint64_t expected, uint64_t uaddr, uint64_t sp);
// The owner of the glibc PI mutex whose first kLockOwnerBytes are `m`, 0 if
// `m` is not one (word and __owner must agree on a TID, __kind must say PI).
uint32_t glibc_pi_mutex_owner(const uint8_t* m, size_t n);
inline constexpr const char* kPiDeadlockSource = "pi word (FUTEX_LOCK_PI refused: EDEADLK)";

}  // namespace fxs
