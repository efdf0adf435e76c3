#include "replay/umcg_lanes.h"

#include <algorithm>
#include <cstring>

#include "replay/trace_format.h"

namespace fxs {

void UmcgLaneBuilder::add(const fxs_rec_hdr* h) {
  if (h->type != FXS_REC_UMCG) return;
  model_.add(h);
  fxs_umcg_rec r;
  if (!read_record(h, r)) return;  // malformed: the model counts it
  first_ns_ = std::min<uint64_t>(first_ns_, r.ts_ns);
  last_ns_ = std::max<uint64_t>(last_ns_, r.ts_ns);
  Acc& a = tasks_[{r.tgid, r.tid}];
  a.last_ts = std::max<uint64_t>(a.last_ts, r.ts_ns);
  if (r.syscall == FXS_UMCG_SC_CTL && r.phase == 0 && (r.flags & FXS_UMCG_CTL_REGISTER))
    a.worker = (r.flags & FXS_UMCG_CTL_WORKER) != 0;
  // A task makes one call at a time: whatever it records next (normally the
  // exit of that umcg_wait) ends the worker it was running.
  if (a.serving_open) {
    a.serving.back().t1 = std::max<uint64_t>(a.serving.back().t0, r.ts_ns);
    a.serving_open = false;
  }
  if (!r.task_read) return;
  if (r.server_tid && (a.server_seen.empty() || a.server_seen.back().second != r.server_tid))
    a.server_seen.emplace_back(r.ts_ns, r.server_tid);
  if (r.syscall == FXS_UMCG_SC_WAIT && r.phase == 0 && r.next_tid && !a.worker) {
    a.serving.push_back({r.ts_ns, r.ts_ns, FXS_UMCG_TASK_RUNNING, r.next_tid});
    a.serving_open = true;
  }
}

namespace {

// The server that ran `worker` at `ts`: from the servers' umcg_wait spans
// (sorted by t0, peer = server), else from the worker's own server_tid.
uint32_t server_at(const std::vector<UmcgSpan>* ran_by, const std::vector<std::pair<uint64_t, uint32_t>>& seen,
                   uint64_t ts) {
  if (ran_by) {
    auto it = std::upper_bound(ran_by->begin(), ran_by->end(), ts,
                               [](uint64_t t, const UmcgSpan& s) { return t < s.t0; });
    if (it != ran_by->begin() && ts < std::prev(it)->t1) return std::prev(it)->peer;
  }
  auto it = std::upper_bound(seen.begin(), seen.end(), ts,
                             [](uint64_t t, const std::pair<uint64_t, uint32_t>& p) { return t < p.first; });
  return it == seen.begin() ? 0 : std::prev(it)->second;
}

}  // namespace

UmcgLaneSet UmcgLaneBuilder::finish() const {
  UmcgLaneSet out;
  out.report = model_.finish(0);
  if (last_ns_ >= first_ns_) {
    out.first_ns = first_ns_;
    out.last_ns = last_ns_;
  }
  // (tgid, worker) -> the spans in which a server ran it, with peer = that server.
  std::map<std::pair<uint32_t, uint32_t>, std::vector<UmcgSpan>> ran_by;
  for (const auto& [key, a] : tasks_)
    for (const UmcgSpan& s : a.serving) ran_by[{key.first, s.peer}].push_back({s.t0, s.t1, s.state, key.second});
  for (auto& [k, v] : ran_by)
    std::sort(v.begin(), v.end(), [](const UmcgSpan& x, const UmcgSpan& y) { return x.t0 < y.t0; });

  std::vector<UmcgLane> lanes;
  for (UmcgTask& t : out.report.tasks) {
    UmcgLane lane;
    lane.tgid = t.tgid;
    lane.tid = t.tid;
    lane.role = t.role;
    lane.server = t.server_tid;
    auto acc = tasks_.find({t.tgid, t.tid});
    static const Acc kNone;
    const Acc& a = acc == tasks_.end() ? kNone : acc->second;
    auto rb = ran_by.find({t.tgid, t.tid});
    const std::vector<UmcgSpan>* ran = rb == ran_by.end() ? nullptr : &rb->second;
    lane.spans.reserve(t.timeline.size());
    for (const UmcgSegment& seg : t.timeline) {
      UmcgSpan s{seg.start_ns, seg.end_ns, seg.state, 0};
      if (t.role != UmcgRole::kServer && (seg.state & FXS_UMCG_TASK_MASK) == FXS_UMCG_TASK_RUNNING)
        s.peer = server_at(ran, a.server_seen, seg.start_ns);
      lane.spans.push_back(s);
    }
    t.timeline.clear();  // the lanes have it now
    t.timeline.shrink_to_fit();
    lane.serving = a.serving;
    if (a.serving_open && !lane.serving.empty())  // never returned: last seen at the task's last record
      lane.serving.back().t1 = std::max(lane.serving.back().t0, a.last_ts);
    for (const UmcgSpan& sv : lane.serving) lane.serving_ns += sv.t1 - sv.t0;
    lanes.push_back(std::move(lane));
  }

  // Per process: each server followed by its workers, then workers whose
  // server is not known, then tasks of unknown role (report order: by tid).
  // Workers are grouped by (tgid, server) first: looking each server's
  // workers up among all lanes would be quadratic in the number of tasks.
  std::vector<bool> placed(lanes.size(), false);
  auto place = [&](size_t i) {
    placed[i] = true;
    out.lanes.push_back(std::move(lanes[i]));
  };
  std::map<std::pair<uint32_t, uint32_t>, std::vector<size_t>> workers_of;  // (tgid, server) -> lanes
  for (size_t j = 0; j < lanes.size(); j++)
    if (lanes[j].role == UmcgRole::kWorker) workers_of[{lanes[j].tgid, lanes[j].server}].push_back(j);
  for (size_t i = 0; i < lanes.size(); i++) {
    if (placed[i] || lanes[i].role != UmcgRole::kServer) continue;
    auto workers = workers_of.find({lanes[i].tgid, lanes[i].tid});
    place(i);
    if (workers == workers_of.end()) continue;
    for (size_t j : workers->second)
      if (!placed[j]) place(j);
  }
  for (size_t i = 0; i < lanes.size(); i++)
    if (!placed[i] && lanes[i].role == UmcgRole::kWorker) place(i);
  for (size_t i = 0; i < lanes.size(); i++)
    if (!placed[i]) place(i);
  return out;
}

void UmcgLaneBuilder::fold(const std::vector<UmcgSpan>& spans, uint64_t t0, uint64_t t1, uint64_t min_ns,
                           std::vector<UmcgLaneItem>& out) {
  min_ns = std::max<uint64_t>(min_ns, 1);
  // Spans are sorted and do not overlap: their ends ascend too.
  auto ends_after = [&](size_t from, uint64_t t) {
    return size_t(std::upper_bound(spans.begin() + long(from), spans.end(), t,
                                   [](uint64_t x, const UmcgSpan& s) { return x < s.t1; }) -
                  spans.begin());
  };
  size_t i = ends_after(0, t0);
  while (i < spans.size() && spans[i].t0 < t1) {
    const UmcgSpan& s = spans[i];
    if (s.t1 - s.t0 >= min_ns) {
      out.push_back({s.t0, s.t1, uint32_t(i), 1, s.state, s.peer});
      i++;
      continue;
    }
    // Fold every span that ends within min_ns of this one's start.
    size_t j = std::max(ends_after(i, s.t0 + min_ns), i + 1);
    size_t n = j - i;
    // The longest of up to 16 evenly sampled spans names the fold's state.
    size_t best = i;
    size_t step = std::max<size_t>(1, n / 16);
    for (size_t k = i; k < j; k += step)
      if (spans[k].t1 - spans[k].t0 > spans[best].t1 - spans[best].t0) best = k;
    uint64_t end = std::max(spans[j - 1].t1, s.t0 + min_ns);
    out.push_back({s.t0, end, uint32_t(i), uint32_t(n), spans[best].state, spans[best].peer});
    i = j;
  }
}

}  // namespace fxs
