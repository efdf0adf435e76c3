#include "ui/wake_arrows.h"

#include <algorithm>

#include "replay/chrome_export.h"

namespace fxs::ui {

WakeArrows::~WakeArrows() {
  if (builder_.joinable()) builder_.join();
}

void WakeArrows::start(const TimelineModel& tl) {
  if (started()) return;
  builder_ = std::thread([this, &tl] {
    std::vector<std::vector<Arrow>> by_lane(tl.lanes().size());
    const std::vector<WakeFlow> flows = pair_wakes(tl);
    for (const WakeFlow& f : flows) by_lane[f.wait_lane].push_back({f.wait_call, f.wake_lane, f.wake_call});
    for (auto& v : by_lane)
      std::sort(v.begin(), v.end(), [](const Arrow& a, const Arrow& b) { return a.wait_call < b.wait_call; });
    by_lane_ = std::move(by_lane);
    count_ = flows.size();
    ready_.store(true, std::memory_order_release);
  });
}

std::span<const WakeArrows::Arrow> WakeArrows::into(size_t lane, size_t from, size_t to) const {
  if (!ready() || lane >= by_lane_.size()) return {};
  const auto& v = by_lane_[lane];
  auto by_call = [](const Arrow& a, size_t i) { return a.wait_call < i; };
  auto b = std::lower_bound(v.begin(), v.end(), from, by_call);
  auto e = std::lower_bound(b, v.end(), to, by_call);
  return {b, e};
}

}  // namespace fxs::ui
