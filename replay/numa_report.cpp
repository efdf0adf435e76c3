#include "replay/numa_report.h"

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "replay/json_writer.h"
#include "replay/report.h"

namespace fxs {

using nlohmann::json;

namespace {

double share(uint64_t part, uint64_t whole) { return whole ? double(part) / double(whole) : 0; }

std::string pct(double x) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%.1f%%", x * 100);
  return buf;
}

}  // namespace

void write_futex_numa_json(const NumaFutex& f, JsonWriter& w) {
  w.begin_object()
      .field("calls", f.calls)
      .field("cross_node_share", f.cross_node_share())
      .field("cross_node_wakes", f.cross_node_wakes)
      .field("futex2_mpol", f.futex2_mpol)
      .field("futex2_numa", f.futex2_numa)
      .field("local_calls", f.local_calls)
      .field("mostly_remote", f.mostly_remote())
      .field("page_moves", f.page_moves);
  if (f.page_node != kPageNodeUnknown) w.field("page_node", f.page_node);
  w.field("remote_calls", f.remote_calls).field("remote_share", f.remote_share()).field("wakes", f.wakes);
  w.key("wakes_by_node").begin_array();
  for (const NumaFutex::NodeWakes& c : f.wakes_by_node)
    w.begin_object().field("waker_node", c.waker_node).field("wakes", c.wakes).field("woken_node", c.woken_node).end_object();
  w.end_array().end_object();
}

json futex_numa_json(const NumaFutex& f) {
  std::string text;
  JsonWriter w(text);
  write_futex_numa_json(f, w);
  return json::parse(text);
}

std::string numa_futex_key(uint32_t tgid, uint64_t uaddr) {
  return std::to_string(tgid) + ":" + format_uaddr(uaddr);
}

std::string page_node_text(int32_t node) {
  if (node == kPageNodeUnknown) return "unknown";
  if (node >= 0) return "node " + std::to_string(node);
  const char* name = strerrorname_np(-node);
  std::string text = name ? name : "error " + std::to_string(-node);
  // move_pages(2) on a process that had exited (no memory left, or reaped)
  // before the collector asked: common for the join words of short programs.
  if (node == -ESRCH || node == -EINVAL) text += " (process had exited)";
  return text;
}

json numa_json(const NumaReport& r) {
  json latency = json::array();
  for (const auto& row : r.wake_latency) {
    json jr = json::array();
    for (const NumaLatency& c : row)
      jr.push_back({{"samples", c.samples}, {"p50", c.p50_ns}, {"p99", c.p99_ns}, {"max", c.max_ns}, {"total", c.total_ns}});
    latency.push_back(std::move(jr));
  }
  json page_nodes = json::object();
  json remote = json::array();
  uint64_t numa_calls = 0, mpol_calls = 0;
  std::vector<const NumaFutex*> flagged;
  for (const NumaFutex& f : r.futexes) {
    if (f.page_node != kPageNodeUnknown) page_nodes[numa_futex_key(f.tgid, f.uaddr)] = f.page_node;
    numa_calls += f.futex2_numa;
    mpol_calls += f.futex2_mpol;
    if (f.mostly_remote()) flagged.push_back(&f);
  }
  std::sort(flagged.begin(), flagged.end(), [](const NumaFutex* a, const NumaFutex* b) {
    if (a->remote_calls != b->remote_calls) return a->remote_calls > b->remote_calls;
    return a->tgid != b->tgid ? a->tgid < b->tgid : a->uaddr < b->uaddr;
  });
  for (const NumaFutex* f : flagged) {
    json e = futex_numa_json(*f);
    e["pid"] = f->tgid;
    e["uaddr"] = format_uaddr(f->uaddr);
    remote.push_back(std::move(e));
  }
  json pages = json::array();
  for (const NumaPage& p : r.pages)
    pages.push_back({{"pid", p.tgid}, {"page", format_uaddr(p.page)}, {"node", p.node}, {"moves", p.moves}});
  return {
      {"nodes", r.nodes},
      {"wake_matrix", r.wake_matrix},
      {"wake_latency_ns", std::move(latency)},
      {"wakes", r.wakes},
      {"cross_node_wakes", r.cross_node_wakes},
      {"cross_node_share", share(r.cross_node_wakes, r.wakes)},
      {"unknown_node_wakes", r.unknown_node_wakes},
      {"wake_records", r.wake_records},
      {"page_records", r.page_records},
      {"page_nodes", std::move(page_nodes)},
      {"pages", std::move(pages)},
      {"mostly_remote", std::move(remote)},
      {"futex2_numa_calls", numa_calls},
      {"futex2_mpol_calls", mpol_calls},
  };
}

NumaFutexLookup::NumaFutexLookup(const NumaReport& r) {
  for (const NumaFutex& f : r.futexes) by_key_[{f.tgid, f.uaddr}] = &f;
}

const NumaFutex* NumaFutexLookup::find(uint32_t tgid, uint64_t uaddr) const {
  auto it = by_key_.find({tgid, uaddr});
  return it == by_key_.end() ? nullptr : it->second;
}

void write_numa_text(const NumaReport& r, size_t top, std::ostream& out) {
  out << "\nNUMA: " << r.nodes << " node" << (r.nodes == 1 ? "" : "s");
  if (!r.wake_records) {
    out << "; no wake records (a --summary trace): no wake matrix\n";
  } else {
    out << "; " << r.wakes << " threads woken by futex wake calls, " << r.cross_node_wakes << " ("
        << pct(share(r.cross_node_wakes, r.wakes)) << ") across nodes";
    if (r.unknown_node_wakes) out << ", " << r.unknown_node_wakes << " with a node unknown";
    out << "\n  wake matrix: rows = waker's node, columns = woken thread's node; count (p50 / p99 waking -> return)\n";
    char buf[96];
    out << std::string(11, ' ');
    for (uint32_t j = 0; j < r.nodes; j++) {
      std::snprintf(buf, sizeof(buf), "%-30s", ("-> node " + std::to_string(j)).c_str());
      out << buf;
    }
    out << '\n';
    for (uint32_t i = 0; i < r.nodes; i++) {
      std::snprintf(buf, sizeof(buf), "  node %-4u", i);
      out << buf;
      for (uint32_t j = 0; j < r.nodes; j++) {
        const NumaLatency& c = r.wake_latency[i][j];
        std::string cell = std::to_string(r.wake_matrix[i][j]);
        if (c.samples) cell += " (" + format_ns(c.p50_ns) + " / " + format_ns(c.p99_ns) + ")";
        std::snprintf(buf, sizeof(buf), "%-30s", cell.c_str());
        out << buf;
      }
      out << '\n';
    }
  }
  // Futexes with something to say, the busiest first.
  std::vector<const NumaFutex*> v;
  for (const NumaFutex& f : r.futexes)
    if (f.page_node != kPageNodeUnknown || f.wakes) v.push_back(&f);
  std::sort(v.begin(), v.end(), [](const NumaFutex* a, const NumaFutex* b) {
    if (a->calls != b->calls) return a->calls > b->calls;
    return a->tgid != b->tgid ? a->tgid < b->tgid : a->uaddr < b->uaddr;
  });
  if (r.page_records == 0) out << "  page nodes: none in this trace (recorded by an older futexscope?)\n";
  const size_t n = top == 0 ? v.size() : std::min(top, v.size());
  if (n) out << "  futexes (page node; wakes across nodes; calls off the page's node):\n";
  for (size_t i = 0; i < n; i++) {
    const NumaFutex& f = *v[i];
    out << "    pid " << f.tgid << "  uaddr " << format_uaddr(f.uaddr) << "  page " << page_node_text(f.page_node);
    if (f.page_moves) out << " (moved " << f.page_moves << "x)";
    out << "  wakes " << f.cross_node_wakes << "/" << f.wakes << " across";
    out << "  calls " << f.remote_calls << "/" << (f.local_calls + f.remote_calls) << " remote";
    if (f.futex2_numa || f.futex2_mpol) out << "  FUTEX2_NUMA " << f.futex2_numa << "  FUTEX2_MPOL " << f.futex2_mpol;
    if (f.mostly_remote()) out << "  << MOSTLY REMOTE";
    out << '\n';
  }
  if (n < v.size()) out << "    ... " << v.size() - n << " more\n";
  if (std::any_of(v.begin(), v.begin() + long(n), [](const NumaFutex* f) { return f->mostly_remote(); }))
    out << "  MOSTLY REMOTE: more than two of its calls ran off the page's node for every one on it\n";
}

}  // namespace fxs
