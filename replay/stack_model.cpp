#include "replay/stack_model.h"
#include "replay/trace_format.h"
#include "replay/trace_text.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>

#include "replay/futex_ops.h"
#include "replay/waitv_entries.h"

namespace fxs {

std::optional<std::vector<std::string>> stack_frame_names(const fxs_rec_hdr* h, const fxs_stack_rec& s) {
  const char* p = reinterpret_cast<const char*>(h) + sizeof(s);
  const char* end = reinterpret_cast<const char*>(h) + h->size;
  if (size_t(end - p) / sizeof(uint64_t) < s.nframes) return std::nullopt;  // fewer bytes than frames
  p += size_t(s.nframes) * sizeof(uint64_t);
  std::vector<std::string> frames;
  for (uint32_t i = 0; i < s.nframes && p < end; i++) {
    size_t len = strnlen(p, size_t(end - p));
    frames.push_back(trace_text(p, len));
    p += len + 1;
  }
  return frames;
}

void StackModel::add(const fxs_rec_hdr* h) {
  if (fxs_stack_rec s; h->type == FXS_REC_STACK && read_record(h, s)) {
    std::optional<std::vector<std::string>> frames = stack_frame_names(h, s);
    if (!frames) return;
    names_[key(s.tgid, s.stack_id)] = std::move(*frames);
    stack_records_++;
    return;
  }
  if (fxs_stack_weight_rec w; h->type == FXS_REC_STACK_WEIGHT && read_record(h, w)) {
    if (w.ustack_id < 0) return;
    if (w.flags & FXS_STACK_WEIGHT_WAKER) {
      // A sampled waker stack: the wakes of its thread's calls that had none.
      WakeUse& u = wakers_by_futex_[FutexKey{w.tgid, w.uaddr}][key(w.tgid, w.ustack_id)];
      u.wakes += w.waits;
      u.calls += w.wait_ns;
      u.sampled_wakes += w.waits;
      return;
    }
    weight_records_++;
    Use& u = by_futex_[FutexKey{w.tgid, w.uaddr}][key(w.tgid, w.ustack_id)];
    u.waits += w.waits;
    u.wait_ns += w.wait_ns;
    sampled_waits_[FutexKey{w.tgid, w.uaddr}] += w.waits;
    return;
  }
  fxs_futex_rec r;
  if (h->type != FXS_REC_FUTEX || !read_record(h, r)) return;
  if (r.ustack_id < 0) return;
  if (!is_wait_op(r.opi)) {
    const uint64_t woke = waiters_a_waker_woke(r.opi, r.ret, r.val, r.val3);
    if (!woke) return;
    WakeUse& u = wakers_by_futex_[FutexKey{r.tgid, r.uaddr}][key(r.tgid, r.ustack_id)];
    u.wakes += woke;
    u.calls++;
    return;
  }
  WaitOutcome o = wait_outcome(r.ret);
  if (o == WaitOutcome::kEagain || o == WaitOutcome::kNotCounted) return;
  auto count = [&](uint64_t uaddr) {
    Use& u = by_futex_[FutexKey{r.tgid, uaddr}][key(r.tgid, r.ustack_id)];
    u.waits++;
    if (r.enter_ns && r.exit_ns >= r.enter_ns) u.wait_ns += r.exit_ns - r.enter_ns;
  };
  if (r.opi != FXS_OP_FUTEX2_WAITV) {
    count(r.uaddr);
    return;
  }
  // A futex_waitv wait counts on every address of its vector (as in FutexModel): so does its stack.
  for (size_t i = 0, n = waitv_entry_count(r, h->size); i < n; i++) count(waitv_entry(h, i));
}

std::vector<std::string> StackModel::frames_of(uint32_t tgid, int32_t id) const {
  auto it = names_.find(key(tgid, id));
  if (it != names_.end()) return it->second;
  char buf[48];
  std::snprintf(buf, sizeof(buf), "[stack %d not symbolized]", id);
  return {buf};
}

std::vector<StackWait> StackModel::top_stacks(uint32_t tgid, uint64_t uaddr, size_t top) const {
  std::vector<StackWait> out;
  auto it = by_futex_.find(FutexKey{tgid, uaddr});
  if (it == by_futex_.end()) return out;
  for (const auto& [k, u] : it->second)
    out.push_back({frames_of(uint32_t(k >> 32), int32_t(uint32_t(k))), u.wait_ns, u.waits});
  std::sort(out.begin(), out.end(), [](const StackWait& a, const StackWait& b) {
    return a.wait_ns != b.wait_ns ? a.wait_ns > b.wait_ns : a.waits > b.waits;
  });
  if (top && out.size() > top) out.resize(top);
  return out;
}

std::vector<StackWake> StackModel::top_waker_stacks(uint32_t tgid, uint64_t uaddr, size_t top) const {
  std::vector<StackWake> out;
  auto it = wakers_by_futex_.find(FutexKey{tgid, uaddr});
  if (it == wakers_by_futex_.end()) return out;
  for (const auto& [k, u] : it->second)
    out.push_back({frames_of(uint32_t(k >> 32), int32_t(uint32_t(k))), u.wakes, u.calls, u.sampled_wakes});
  std::sort(out.begin(), out.end(), [](const StackWake& a, const StackWake& b) {
    return a.wakes != b.wakes ? a.wakes > b.wakes : a.calls > b.calls;
  });
  if (top && out.size() > top) out.resize(top);
  return out;
}

uint64_t StackModel::sampled_waits(uint32_t tgid, uint64_t uaddr) const {
  auto it = sampled_waits_.find(FutexKey{tgid, uaddr});
  return it == sampled_waits_.end() ? 0 : it->second;
}

StackWait StackModel::coverage(uint32_t tgid, uint64_t uaddr) const {
  StackWait c;
  auto it = by_futex_.find(FutexKey{tgid, uaddr});
  if (it == by_futex_.end()) return c;
  for (const auto& [k, u] : it->second) {
    c.waits += u.waits;
    c.wait_ns += u.wait_ns;
  }
  return c;
}

std::string StackModel::folded_line(uint32_t tgid, uint64_t stack_key,
                                    const std::unordered_map<uint32_t, std::string>& process_names) const {
  auto name = process_names.find(tgid);
  std::string line = name != process_names.end() && !name->second.empty() ? name->second : "pid " + std::to_string(tgid);
  std::vector<std::string> frames = frames_of(uint32_t(stack_key >> 32), int32_t(uint32_t(stack_key)));
  for (auto f = frames.rbegin(); f != frames.rend(); ++f) {
    std::string frame = *f;
    std::replace(frame.begin(), frame.end(), ';', ':');  // ';' separates frames
    std::replace(frame.begin(), frame.end(), ' ', '_');  // ' ' separates the weight
    line += ";" + frame;
  }
  return line;
}

void StackModel::write_folded(std::ostream& out, const std::unordered_map<uint32_t, std::string>& process_names,
                              bool wakers) const {
  // Sum over futexes: one line per (process, stack); sorted for stable output.
  std::map<std::string, uint64_t> lines;
  auto add = [&](const auto& by_futex, auto weight_of) {
    for (const auto& [fk, uses] : by_futex)
      for (const auto& [k, u] : uses)
        if (const uint64_t weight = weight_of(u)) lines[folded_line(fk.tgid, k, process_names)] += weight;
  };
  if (wakers)
    add(wakers_by_futex_, [](const WakeUse& u) { return u.wakes; });
  else
    add(by_futex_, [](const Use& u) { return u.wait_ns; });
  for (const auto& [line, weight] : lines) out << line << ' ' << weight << '\n';
}

}  // namespace fxs
