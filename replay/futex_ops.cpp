#include "replay/futex_ops.h"

#include <array>

namespace fxs {

namespace {

constexpr std::array<const char*, kNumOps> kOpNames = {
    "FUTEX_WAIT",           "FUTEX_WAKE",        "FUTEX_FD",
    "FUTEX_REQUEUE",        "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP",
    "FUTEX_LOCK_PI",        "FUTEX_UNLOCK_PI",   "FUTEX_TRYLOCK_PI",
    "FUTEX_WAIT_BITSET",    "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
    "FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2",    "futex_waitv",
    "futex_wait",           "futex_wake",        "futex_requeue",
    "FUTEX_UNKNOWN",
};
static_assert(FXS_OP_UNKNOWN == kNumOps - 1, "FUTEX_UNKNOWN is the last op");

}  // namespace

const char* op_name(unsigned opi) {
  return opi < kNumOps ? kOpNames[opi] : kOpNames[FXS_OP_UNKNOWN];
}

std::optional<unsigned> op_from_name(std::string_view name) {
  for (unsigned i = 0; i < kNumOps; i++)
    if (name == kOpNames[i]) return i;
  return std::nullopt;
}

FutexOpWord decode_futex_op(uint32_t op_word) {
  FutexOpWord w;
  w.cmd = op_word & FXS_FUTEX_CMD_MASK;
  w.private_flag = (op_word & FXS_FUTEX_PRIVATE_FLAG) != 0;
  w.clock_realtime = (op_word & FXS_FUTEX_CLOCK_REALTIME) != 0;
  w.other_flags = op_word & ~uint32_t{FXS_FUTEX_CMD_MASK | FXS_FUTEX_PRIVATE_FLAG |
                                      FXS_FUTEX_CLOCK_REALTIME};
  w.opi = fxs_op_of_futex_cmd(w.cmd);
  return w;
}

uint8_t op_index(uint8_t syscall, uint32_t op_word) {
  switch (syscall) {
    case FXS_SC_FUTEX: return decode_futex_op(op_word).opi;
    case FXS_SC_FUTEX_WAITV: return FXS_OP_FUTEX2_WAITV;
    case FXS_SC_FUTEX_WAIT: return FXS_OP_FUTEX2_WAIT;
    case FXS_SC_FUTEX_WAKE: return FXS_OP_FUTEX2_WAKE;
    case FXS_SC_FUTEX_REQUEUE: return FXS_OP_FUTEX2_REQUEUE;
    default: return FXS_OP_UNKNOWN;
  }
}

}  // namespace fxs
