#include "replay/lock_owner.h"

#include <gtest/gtest.h>

#include <cstring>

#include "bpf/trace_abi.h"

namespace fxs {
namespace {

struct GlibcMutex {  // x86-64 pthread_mutex_t's first 20 bytes
  int32_t lock, count, owner, nusers, kind;
};

LockOwner of_mutex(GlibcMutex m, uint64_t expected = 2, bool glibc = true, unsigned opi = FXS_OP_FUTEX_WAIT) {
  uint8_t b[kLockOwnerBytes];
  std::memcpy(b, &m, sizeof(b));
  return lock_owner(opi, expected, b, sizeof(b), glibc);
}

TEST(LockOwner, GlibcMutexWaiterNamesTheOwner) {
  LockOwner o = of_mutex({2, 0, 4242, 1, 0});
  EXPECT_EQ(o.tid, 4242u);
  EXPECT_EQ(o.source, "glibc mutex __owner");
  EXPECT_EQ(of_mutex({2, 1, 7, 1, 1 | 128}).tid, 7u);  // recursive, process-shared
}

TEST(LockOwner, AnythingElseNamesNobody) {
  EXPECT_EQ(of_mutex({2, 0, 4242, 1, 0}, 0).tid, 0u);                     // not glibc's "locked, waiters"
  EXPECT_EQ(of_mutex({2, 0, 4242, 1, 0}, 2, false).tid, 0u);              // no glibc in the process
  EXPECT_EQ(of_mutex({2, 0, 4242, 1, 0}, 2, true, FXS_OP_FUTEX_WAIT_BITSET).tid, 0u);  // condvar, join
  EXPECT_EQ(of_mutex({2, 0, 0, 1, 0}).tid, 0u);                           // no owner written
  EXPECT_EQ(of_mutex({2, 0, 4242, 0, 0}).tid, 0u);                        // no user
  EXPECT_EQ(of_mutex({2, 0, 4242, 1, 16}).tid, 0u);                       // robust: the word says, not __owner
  EXPECT_EQ(of_mutex({2, 0, 4242, 1, 0x12345}).tid, 0u);                  // not a mutex kind
  EXPECT_EQ(of_mutex({0, 0, 4242, 1, 0}).tid, 0u);                        // unlocked by now
  uint8_t short_read[8] = {2};
  EXPECT_EQ(lock_owner(FXS_OP_FUTEX_WAIT, 2, short_read, sizeof(short_read), true).tid, 0u);
}

TEST(LockOwner, PiWordIsTheOwnersTid) {
  const uint32_t word = 0x80000000u | 0x40000000u | 1234;  // FUTEX_WAITERS | FUTEX_OWNER_DIED | tid
  uint8_t b[4];
  std::memcpy(b, &word, 4);
  for (unsigned opi : {unsigned(FXS_OP_FUTEX_LOCK_PI), unsigned(FXS_OP_FUTEX_LOCK_PI2)}) {
    LockOwner o = lock_owner(opi, 0, b, 4, false);
    EXPECT_EQ(o.tid, 1234u);
    EXPECT_EQ(o.source, "pi word");
  }
}

}  // namespace
}  // namespace fxs
