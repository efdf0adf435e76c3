// thread_state_record.h: FXS_REC_THREAD_STATE (bpf/trace_abi.h) to and from a
// ThreadSnapshot, in one place. Decoding checks every length: the record may
// come from a hostile file.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "bpf/trace_abi.h"
#include "replay/wait_for_graph.h"

namespace fxs {

std::vector<uint8_t> encode_thread_state(const ThreadSnapshot& t, uint8_t when, uint64_t ts_ns);

struct DecodedThreadState {
  uint8_t when = FXS_SNAPSHOT_END;
  uint64_t ts_ns = 0;
  ThreadSnapshot thread;
};
// nullopt if `h` is no thread state record, or a malformed one.
std::optional<DecodedThreadState> decode_thread_state(const fxs_rec_hdr* h);

}  // namespace fxs
