#include "ui/wake_arrows.h"

#include <algorithm>

namespace fxs::ui {

void ArrowIndex::assign(const std::vector<WakeFlow>& flows, size_t lanes) {
  for (auto& v : by_lane_) v.clear();
  by_lane_.resize(lanes);
  for (const WakeFlow& f : flows) by_lane_[f.wait_lane].push_back({f.wait_call, f.wake_lane, f.wake_call});
  for (auto& v : by_lane_)
    std::sort(v.begin(), v.end(), [](const Arrow& a, const Arrow& b) { return a.wait_call < b.wait_call; });
  count_ = flows.size();
}

std::span<const ArrowIndex::Arrow> ArrowIndex::into(size_t lane, size_t from, size_t to) const {
  if (lane >= by_lane_.size()) return {};
  const auto& v = by_lane_[lane];
  auto by_call = [](const Arrow& a, size_t i) { return a.wait_call < i; };
  auto b = std::lower_bound(v.begin(), v.end(), from, by_call);
  auto e = std::lower_bound(b, v.end(), to, by_call);
  return {b, e};
}

bool ArrowIndex::out_of(size_t lane, size_t call, size_t& wait_lane, size_t& wait_call) const {
  for (size_t l = 0; l < by_lane_.size(); l++)
    for (const Arrow& a : by_lane_[l])
      if (a.wake_lane == lane && a.wake_call == call) {
        wait_lane = l;
        wait_call = a.wait_call;
        return true;
      }
  return false;
}

WakeArrows::~WakeArrows() {
  if (builder_.joinable()) builder_.join();
}

void WakeArrows::start(const TimelineModel& tl, std::shared_ptr<const std::vector<WakeAttribution>> attributed) {
  if (started()) return;
  exact_ = attributed != nullptr;
  builder_ = std::thread([this, &tl, attributed] {
    index_.assign(attributed ? exact_wake_flows(tl, *attributed) : pair_wakes(tl), tl.lanes().size());
    ready_.store(true, std::memory_order_release);
  });
}

const ArrowIndex* LiveWakeArrows::update(const TimelineModel& tl, uint64_t t0, uint64_t t1) {
  if (t0 != t0_ || t1 != t1_ || tl.calls() != calls_) {
    t0_ = t0;
    t1_ = t1;
    calls_ = tl.calls();
    const uint64_t span = t1 > t0 ? t1 - t0 : 1;
    const uint64_t from = t0 > span ? t0 - span : 0, to = t1 + std::min(span, UINT64_MAX - t1);
    paired_ = pair_wakes_between(tl, from, to, kMaxCalls, flows_);
    if (paired_) index_.assign(flows_, tl.lanes().size());
  }
  return paired_ ? &index_ : nullptr;
}

}  // namespace fxs::ui
