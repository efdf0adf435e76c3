#include "replay/blocked_report.h"

#include <map>

#include <nlohmann/json.hpp>

#include "replay/report.h"

namespace fxs {
namespace {

using nlohmann::json;

json stack_json(const ThreadSnapshot* t) { return t ? json(t->stack) : json::array(); }

void write_stack(const ThreadSnapshot& t, std::ostream& out) {
  for (const auto& f : t.stack) out << "        " << f << '\n';
}

std::string who(const std::map<uint32_t, const ThreadSnapshot*>& by_tid, uint32_t tid) {
  auto it = by_tid.find(tid);
  std::string s = "tid " + std::to_string(tid);
  if (it != by_tid.end() && !it->second->comm.empty()) s += " (" + it->second->comm + ")";
  return s;
}

}  // namespace

json blocked_json(const std::vector<ThreadSnapshot>& threads) {
  json out = json::array();
  for (const auto& t : threads) {
    if (!t.in_futex) continue;
    json b = {{"pid", t.pid},
              {"tid", t.tid},
              {"comm", t.comm},
              {"op", t.op},
              {"uaddr", t.uaddrs.empty() ? json(nullptr) : json(format_uaddr(t.uaddrs[0]))},
              {"since_ns", t.since_ns ? json(t.since_ns) : json(nullptr)},
              {"owner_tid", t.owner_tid ? json(t.owner_tid) : json(nullptr)},
              {"stack", t.stack}};
    if (t.uaddrs.size() > 1) {
      json all = json::array();
      for (uint64_t u : t.uaddrs) all.push_back(format_uaddr(u));
      b["uaddrs"] = std::move(all);
    }
    if (t.owner_tid) b["owner_source"] = t.owner_source;
    out.push_back(std::move(b));
  }
  return out;
}

json wait_for_json(const WaitForGraph& g, const std::vector<ThreadSnapshot>& threads) {
  auto by_tid = threads_by_tid(threads);
  json deadlocks = json::array(), chains = json::array();
  for (const auto& d : g.deadlocks) {
    json futexes = json::array(), stacks = json::array();
    for (size_t i = 0; i < d.threads.size(); i++) {
      futexes.push_back(format_uaddr(d.futexes[i]));
      auto it = by_tid.find(d.threads[i]);
      stacks.push_back(stack_json(it == by_tid.end() ? nullptr : it->second));
    }
    deadlocks.push_back({{"threads", d.threads}, {"futexes", futexes}, {"stacks", stacks}});
  }
  for (const auto& c : g.chains)
    chains.push_back({{"tid", c.tid},
                      {"uaddr", format_uaddr(c.uaddr)},
                      {"holders", c.holders},
                      {"depth", c.holders.size()},
                      {"end", c.end}});
  return {{"deadlocks", deadlocks}, {"chains", chains}};
}

void write_wait_for_text(const WaitForGraph& g, const std::vector<ThreadSnapshot>& threads, std::ostream& out) {
  auto by_tid = threads_by_tid(threads);
  for (const auto& d : g.deadlocks) {
    out << "DEADLOCK: " << d.threads.size() << " threads wait on each other\n";
    for (size_t i = 0; i < d.threads.size(); i++) {
      const uint32_t next = d.threads[(i + 1) % d.threads.size()];
      out << "  " << who(by_tid, d.threads[i]) << " waits on " << format_uaddr(d.futexes[i]) << ", held by "
          << who(by_tid, next) << '\n';
      auto it = by_tid.find(d.threads[i]);
      if (it != by_tid.end()) write_stack(*it->second, out);
    }
    out << '\n';
  }
  if (!g.chains.empty()) {
    out << "Waiting behind a stuck holder:\n";
    for (const auto& c : g.chains) {
      out << "  " << who(by_tid, c.tid) << " waits on " << format_uaddr(c.uaddr);
      for (uint32_t h : c.holders) out << " -> held by " << who(by_tid, h);
      out << ", which is " << c.end << '\n';
    }
    out << '\n';
  }
}

void write_blocked_text(const std::vector<ThreadSnapshot>& threads, const WaitForGraph& g, std::ostream& out) {
  auto by_tid = threads_by_tid(threads);
  std::map<uint32_t, bool> deadlocked;
  for (const auto& d : g.deadlocks)
    for (uint32_t tid : d.threads) deadlocked[tid] = true;
  size_t n = 0;
  for (const auto& t : threads) n += t.in_futex;
  out << "Blocked now: " << n << " of " << threads.size() << " threads in a futex call\n";
  for (const auto& t : threads) {
    if (!t.in_futex) continue;
    out << "  " << who(by_tid, t.tid) << "  " << t.op;
    for (uint64_t u : t.uaddrs) out << ' ' << format_uaddr(u);
    if (t.owner_tid) {
      out << "  held by " << who(by_tid, t.owner_tid);
      auto it = by_tid.find(t.owner_tid);
      out << " (" << (it == by_tid.end() ? std::string("exited") : thread_activity(*it->second)) << ")";
    } else {
      out << "  holder unknown";
    }
    out << '\n';
    if (deadlocked[t.tid]) out << "        (stack in the DEADLOCK section)\n";
    else write_stack(t, out);
  }
}

}  // namespace fxs
