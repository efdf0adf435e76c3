// lock_owner.h: who holds a lock, read from the lock's own memory, only where
// its layout says so for certain; otherwise nobody is named.
//  - PI futexes (FUTEX_LOCK_PI, FUTEX_LOCK_PI2): the word is the owner's TID
//    (FUTEX_TID_MASK), with FUTEX_WAITERS and FUTEX_OWNER_DIED above it.
//  - glibc's pthread_mutex_t on x86-64 (unchanged since glibc 2.3): int __lock
//    at 0, unsigned __count at 4, int __owner (TID) at 8, unsigned __nusers at
//    12, int __kind at 16. A waiter blocks in FUTEX_WAIT expecting 2 ("locked,
//    with waiters"). Only a normal, recursive, error-checking or adaptive kind
//    (no robust, PI or PP bits) in a process that maps glibc counts.
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

}  // namespace fxs
