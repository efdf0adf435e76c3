// wake_record.h: a FXS_REC_WAKE record as the sched_waking program writes
// it, for the models' unit tests. Fields not named stay zero.
#pragma once

#include <cstdint>

#include "bpf/trace_abi.h"

namespace fxs::test {

// In process `tgid`, thread `waker` (in a call `waker_opi` on `waker_uaddr`;
// FXS_OP_NONE: not in a futex call, e.g. a timer) woke thread `wakee`'s wait
// (`wakee_opi` on `wakee_uaddr`, entered at `wait_enter`) at `ts`, on `cpu`.
struct Wake {
  uint32_t tgid = 0;
  uint32_t waker = 0, wakee = 0;
  uint8_t waker_opi = FXS_OP_FUTEX_WAKE, wakee_opi = FXS_OP_FUTEX_WAIT;
  uint64_t waker_uaddr = 0, wakee_uaddr = 0;
  uint64_t wait_enter = 0, ts = 0;
  uint16_t cpu = 0;
};

inline fxs_wake_rec wake_record(const Wake& o) {
  fxs_wake_rec w{};
  w.hdr = {FXS_REC_WAKE, sizeof(w), 0};
  w.ts_ns = o.ts;
  w.cpu = o.cpu;
  w.waker_tgid = o.tgid;
  w.waker_tid = o.waker;
  w.waker_opi = o.waker_opi;
  w.waker_uaddr = o.waker_uaddr;
  w.wakee_tgid = o.tgid;
  w.wakee_tid = o.wakee;
  w.wakee_opi = o.wakee_opi;
  w.wakee_uaddr = o.wakee_uaddr;
  w.wait_enter_ns = o.wait_enter;
  return w;
}

}  // namespace fxs::test
