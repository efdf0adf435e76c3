#include "replay/thread_state_record.h"

#include <algorithm>
#include <cstring>

#include "replay/futex_ops.h"
#include "replay/lock_owner.h"
#include "replay/trace_text.h"

namespace fxs {
namespace {

const char* const kOwnerSources[] = {"", "pi word", "glibc mutex __owner", kPiDeadlockSource};
constexpr size_t kMaxRecord = 65528;  // hdr.size is 16 bits; a multiple of 8

}  // namespace

std::vector<uint8_t> encode_thread_state(const ThreadSnapshot& t, uint8_t when, uint64_t ts_ns) {
  fxs_thread_state_rec r{};
  r.ts_ns = ts_ns;
  r.since_ns = t.since_ns;
  r.expected = t.expected;
  r.syscall = t.syscall;
  r.tgid = t.pid;
  r.tid = t.tid;
  r.owner_tid = t.owner_tid;
  r.when = when;
  r.state = uint8_t(t.state);
  r.opi = FXS_OP_NONE;
  if (t.in_futex)
    if (auto opi = op_from_name(t.op)) r.opi = uint8_t(*opi);
  for (uint8_t i = 1; i < std::size(kOwnerSources); i++)
    if (t.owner_source == kOwnerSources[i]) r.owner_source = i;
  std::strncpy(r.comm, t.comm.c_str(), sizeof(r.comm) - 1);
  const size_t nu = std::min<size_t>(t.uaddrs.size(), 128);
  r.nr_uaddrs = uint32_t(nu);
  std::string stack;
  for (const auto& f : t.stack) stack += (stack.empty() ? "" : "\n") + f;
  const size_t room = kMaxRecord - sizeof(r) - nu * 8;
  if (stack.size() > room) stack.resize(room);
  r.stack_len = uint32_t(stack.size());
  const size_t size = (sizeof(r) + nu * 8 + stack.size() + 7) / 8 * 8;
  r.hdr = {FXS_REC_THREAD_STATE, uint16_t(size), 0};
  std::vector<uint8_t> out(size, 0);
  std::memcpy(out.data(), &r, sizeof(r));
  if (nu) std::memcpy(out.data() + sizeof(r), t.uaddrs.data(), nu * 8);
  if (!stack.empty()) std::memcpy(out.data() + sizeof(r) + nu * 8, stack.data(), stack.size());
  return out;
}

std::optional<DecodedThreadState> decode_thread_state(const fxs_rec_hdr* h) {
  fxs_rec_hdr hdr;
  std::memcpy(&hdr, h, sizeof(hdr));
  if (hdr.type != FXS_REC_THREAD_STATE || hdr.size < sizeof(fxs_thread_state_rec)) return std::nullopt;
  fxs_thread_state_rec r;
  const auto* p = reinterpret_cast<const uint8_t*>(h);
  std::memcpy(&r, p, sizeof(r));
  if (r.nr_uaddrs > 128 || sizeof(r) + uint64_t(r.nr_uaddrs) * 8 + r.stack_len > hdr.size) return std::nullopt;
  DecodedThreadState d;
  d.when = r.when;
  d.ts_ns = r.ts_ns;
  ThreadSnapshot& t = d.thread;
  t.pid = r.tgid;
  t.tid = r.tid;
  t.comm = trace_text(r.comm, sizeof(r.comm));
  t.state = char(r.state);
  t.syscall = r.syscall;
  t.in_futex = r.opi != FXS_OP_NONE;
  if (t.in_futex) t.op = op_name(r.opi);
  t.expected = r.expected;
  t.owner_tid = r.owner_tid;
  if (r.owner_source < std::size(kOwnerSources)) t.owner_source = kOwnerSources[r.owner_source];
  t.since_ns = r.since_ns;
  t.uaddrs.resize(r.nr_uaddrs);
  if (r.nr_uaddrs) std::memcpy(t.uaddrs.data(), p + sizeof(r), size_t(r.nr_uaddrs) * 8);
  const std::string stack(reinterpret_cast<const char*>(p + sizeof(r) + r.nr_uaddrs * 8), r.stack_len);
  for (size_t at = 0; at < stack.size();) {
    size_t nl = stack.find('\n', at);
    if (nl == std::string::npos) nl = stack.size();
    if (nl > at) t.stack.push_back(trace_text(stack.data() + at, nl - at));
    at = nl + 1;
  }
  return d;
}

}  // namespace fxs
