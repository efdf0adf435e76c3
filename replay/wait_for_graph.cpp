#include "replay/wait_for_graph.h"

#include <algorithm>
#include <map>

#include "replay/syscall_names.h"

namespace fxs {

std::string thread_activity(const ThreadSnapshot& t) {
  switch (t.state) {
    case 'R': return "running";
    case 'T': case 't': return "stopped";
    case 'Z': case 'X': return "exited";
    default: break;
  }
  if (t.in_futex) return t.owner_tid ? "blocked on a futex" : "blocked on a futex without a known owner";
  if (t.syscall >= 0) return "blocked in " + syscall_name(t.syscall);
  return t.state == 'D' ? "in uninterruptible sleep" : "sleeping";
}

std::map<uint32_t, const ThreadSnapshot*> threads_by_tid(const std::vector<ThreadSnapshot>& threads) {
  std::map<uint32_t, const ThreadSnapshot*> by_tid;
  for (const auto& t : threads) by_tid[t.tid] = &t;
  return by_tid;
}

WaitForGraph analyze_wait_for(const std::vector<ThreadSnapshot>& threads) {
  const auto by_tid = threads_by_tid(threads);
  // The one edge of a thread: the holder of the single lock it waits on.
  auto holder = [&](const ThreadSnapshot& t) -> uint32_t {
    return t.in_futex && t.uaddrs.size() == 1 && t.owner_tid != t.tid ? t.owner_tid : 0;
  };

  WaitForGraph g;
  std::map<uint32_t, int> color;  // 0 new, 1 on the current walk, 2 done
  std::map<uint32_t, bool> in_cycle;
  for (const auto& [start, _] : by_tid) {
    if (color[start]) continue;
    std::vector<uint32_t> walk;
    uint32_t cur = start;
    while (cur && by_tid.count(cur) && color[cur] == 0) {
      color[cur] = 1;
      walk.push_back(cur);
      cur = holder(*by_tid.at(cur));
    }
    if (cur && by_tid.count(cur) && color[cur] == 1) {  // back on this walk: a cycle
      auto first = std::find(walk.begin(), walk.end(), cur);
      std::vector<uint32_t> cyc(first, walk.end());
      std::rotate(cyc.begin(), std::min_element(cyc.begin(), cyc.end()), cyc.end());
      Deadlock d;
      d.threads = cyc;
      for (uint32_t tid : cyc) {
        d.futexes.push_back(by_tid.at(tid)->uaddrs[0]);
        in_cycle[tid] = true;
      }
      g.deadlocks.push_back(std::move(d));
    }
    for (uint32_t tid : walk) color[tid] = 2;
  }
  std::sort(g.deadlocks.begin(), g.deadlocks.end(),
            [](const Deadlock& a, const Deadlock& b) { return a.threads[0] < b.threads[0]; });

  for (const auto& [tid, t] : by_tid) {
    uint32_t h = holder(*t);
    if (!h || in_cycle[tid]) continue;
    WaitChain c;
    c.tid = tid;
    c.uaddr = t->uaddrs[0];
    std::map<uint32_t, bool> seen{{tid, true}};
    while (h && !seen[h]) {
      if (c.holders.size() == WaitChain::kMaxHolders) {
        c.end = "longer than " + std::to_string(WaitChain::kMaxHolders) + " holders";
        break;
      }
      seen[h] = true;
      c.holders.push_back(h);
      auto it = by_tid.find(h);
      if (it == by_tid.end()) {
        c.end = "exited";
        break;
      }
      if (in_cycle[h]) {
        c.end = "deadlocked";
        break;
      }
      const uint32_t next = holder(*it->second);
      if (!next) c.end = thread_activity(*it->second);
      h = next;
    }
    // A holder that is running will let go: ordinary contention, not a chain.
    const bool plain = c.holders.size() == 1 && c.end == "running";
    if (!plain) g.chains.push_back(std::move(c));
  }
  return g;
}

}  // namespace fxs
