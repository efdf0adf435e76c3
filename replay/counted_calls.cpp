#include "replay/counted_calls.h"

#include <cstring>

#include "replay/trace_format.h"

namespace fxs {

size_t decoded_bytes(const uint8_t* rec, const fxs_rec_hdr& h) {
  if (h.type != FXS_REC_FUTEX_COUNT || h.size < sizeof(fxs_futex_count_rec)) return h.size;
  uint32_t count;
  std::memcpy(&count, rec + offsetof(fxs_futex_count_rec, count), sizeof count);
  return count <= FXS_COUNTED_MAX ? size_t{count} * sizeof(fxs_futex_rec) : 0;
}

void write_counted_calls(const fxs_futex_count_rec& c, uint8_t* out) {
  fxs_futex_rec r{};
  r.hdr = {FXS_REC_FUTEX, sizeof(fxs_futex_rec), 0};
  r.tgid = c.tgid;
  r.tid = c.tid;
  r.uaddr = c.uaddr;
  r.val = c.val;
  r.val2 = c.val2;
  r.val3 = c.val3;
  r.ret = c.ret;
  r.op = c.op;
  r.enter_cpu = c.enter_cpu;
  r.exit_cpu = c.exit_cpu;
  r.enter_node = c.enter_node;
  r.exit_node = c.exit_node;
  r.syscall = c.syscall;
  r.opi = c.opi;
  r.has_timeout = c.has_timeout;
  r.bucket_where = c.bucket_where;
  r.bucket_index = c.bucket_index;
  r.ustack_id = -1;
  // A damaged span (last before first) is read as none: every call at first_ns.
  const uint64_t span = c.last_ns >= c.first_ns ? c.last_ns - c.first_ns : 0;
  const uint64_t steps = c.count > 1 ? c.count - 1 : 1;
  for (uint32_t i = 0; i < c.count; i++) {
    r.enter_ns = r.exit_ns = c.first_ns + uint64_t((unsigned __int128)span * i / steps);
    std::memcpy(out + size_t{i} * sizeof r, &r, sizeof r);
  }
}

std::string expand_counted_calls(std::vector<uint8_t>& records) {
  size_t total = 0;
  for_each_chunk_record(records.data(), records.size(),
                        [&](const uint8_t* rec, const fxs_rec_hdr& h) { total += decoded_bytes(rec, h); });
  if (total > kMaxExpandedChunkBytes)
    return "its counted calls come to " + std::to_string(total) + " bytes of records, more than the " +
           std::to_string(kMaxExpandedChunkBytes >> 20) + " MiB a chunk may hold";
  std::vector<uint8_t> out(total);
  size_t at = 0;
  for_each_chunk_record(records.data(), records.size(), [&](const uint8_t* rec, const fxs_rec_hdr& h) {
    const size_t n = decoded_bytes(rec, h);
    if (h.type == FXS_REC_FUTEX_COUNT && h.size >= sizeof(fxs_futex_count_rec)) {
      fxs_futex_count_rec c;
      std::memcpy(&c, rec, sizeof c);
      if (n) write_counted_calls(c, out.data() + at);
    } else {
      std::memcpy(out.data() + at, rec, n);
    }
    at += n;
  });
  records.swap(out);
  return {};
}

}  // namespace fxs
