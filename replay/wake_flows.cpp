#include "replay/wake_flows.h"

#include <algorithm>
#include <unordered_map>
#include <utility>

#include "replay/futex_ops.h"

namespace fxs {

namespace {

struct Ref {
  uint64_t t;  // wake: enter time; wait: exit time
  uint32_t lane, call;
};

bool is_woken_wait(const TimelineCall& c) {
  if (!is_wait_op(c.opi) || (c.flags & kCallEnterLost)) return false;
  return c.opi == FXS_OP_FUTEX2_WAITV ? c.ret >= 0 : c.ret == 0;
}

// The rule applied to one futex's wakes and woken waits (in any order).
void pair_futex(std::vector<Ref>& wk, std::vector<Ref>& wt, std::vector<WakeFlow>& flows) {
  if (wk.empty() || wt.empty()) return;
  auto by_t = [](const Ref& a, const Ref& b) { return a.t < b.t || (a.t == b.t && a.lane < b.lane); };
  std::sort(wk.begin(), wk.end(), by_t);
  std::sort(wt.begin(), wt.end(), by_t);
  // Wakes ascend in enter time, so the earliest unclaimed wait exiting at
  // or after it only moves forward: one pass, and no wait is claimed twice.
  size_t p = 0;
  for (const Ref& w : wk) {
    while (p < wt.size() && wt[p].t < w.t) p++;
    if (p == wt.size()) break;
    flows.push_back({w.lane, w.call, wt[p].lane, wt[p].call});
    p++;
  }
}

}  // namespace

std::vector<WakeFlow> exact_wake_flows(const TimelineModel& tl, const std::vector<WakeAttribution>& attributions,
                                       uint64_t* unplaced) {
  std::vector<WakeFlow> flows;
  flows.reserve(attributions.size());
  uint64_t missed = 0;
  const auto& lanes = tl.lanes();
  for (const WakeAttribution& a : attributions) {
    const size_t wake_lane = tl.find_lane(a.waker_tgid, a.waker_tid);
    const size_t wait_lane = tl.find_lane(a.waiter_tgid, a.waiter_tid);
    size_t wake_call = SIZE_MAX, wait_call = SIZE_MAX;
    if (wake_lane != SIZE_MAX) wake_call = TimelineModel::call_at(lanes[wake_lane], a.wake_ts_ns);
    if (wait_lane != SIZE_MAX) wait_call = TimelineModel::call_entered_at(lanes[wait_lane], a.wait_enter_ns);
    if (wake_call == SIZE_MAX || wait_call == SIZE_MAX) {
      missed++;
      continue;
    }
    flows.push_back({uint32_t(wake_lane), uint32_t(wake_call), uint32_t(wait_lane), uint32_t(wait_call)});
  }
  if (unplaced) *unplaced = missed;
  return flows;
}

std::vector<WakeFlow> pair_wakes(const TimelineModel& tl, uint32_t only_futex) {
  // Per futex: its wakes by enter time and its woken waits by exit time.
  std::vector<std::vector<Ref>> wakes(tl.futexes().size()), waits(tl.futexes().size());
  const auto& lanes = tl.lanes();
  for (uint32_t li = 0; li < lanes.size(); li++) {
    const auto& calls = lanes[li].calls;
    for (uint32_t i = 0; i < calls.size(); i++) {
      const TimelineCall& c = calls[i];
      if (only_futex != UINT32_MAX && c.futex != only_futex) continue;
      if (is_wake_or_requeue_op(c.opi) && c.ret > 0) wakes[c.futex].push_back({c.enter_ns, li, i});
      else if (is_woken_wait(c)) waits[c.futex].push_back({c.exit_ns(), li, i});
    }
  }
  std::vector<WakeFlow> flows;
  for (size_t fx = 0; fx < wakes.size(); fx++) pair_futex(wakes[fx], waits[fx], flows);
  return flows;
}

bool pair_wakes_between(const TimelineModel& tl, uint64_t from, uint64_t to, size_t max_calls,
                        std::vector<WakeFlow>& flows) {
  flows.clear();
  const auto& lanes = tl.lanes();
  // Per lane, the calls that end at or after `from` and enter before `to`.
  std::vector<std::pair<size_t, size_t>> ranges(lanes.size());
  size_t total = 0;
  for (size_t li = 0; li < lanes.size(); li++) {
    ranges[li] = {TimelineModel::first_ending_at_or_after(lanes[li], from),
                  TimelineModel::first_entering_at_or_after(lanes[li], to)};
    total += ranges[li].second - std::min(ranges[li].first, ranges[li].second);
    if (total > max_calls) return false;
  }
  // Only the futexes the range touches, each with its wakes and woken waits.
  std::unordered_map<uint32_t, std::pair<std::vector<Ref>, std::vector<Ref>>> by_futex;
  for (uint32_t li = 0; li < lanes.size(); li++) {
    const auto& calls = lanes[li].calls;
    for (size_t i = ranges[li].first; i < ranges[li].second; i++) {
      const TimelineCall& c = calls[i];
      if (is_wake_or_requeue_op(c.opi) && c.ret > 0) {
        if (c.enter_ns >= from) by_futex[c.futex].first.push_back({c.enter_ns, li, uint32_t(i)});
      } else if (is_woken_wait(c) && c.exit_ns() < to) {
        by_futex[c.futex].second.push_back({c.exit_ns(), li, uint32_t(i)});
      }
    }
  }
  for (auto& [fx, v] : by_futex) pair_futex(v.first, v.second, flows);
  return true;
}

}  // namespace fxs
