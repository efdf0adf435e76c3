#include "replay/bucket_report.h"

#include <algorithm>
#include <vector>

#include <nlohmann/json.hpp>

#include "replay/json_writer.h"
#include "replay/report.h"

namespace fxs {

using nlohmann::json;

namespace {

std::string advice(const ProcessHash& p) {
  return "prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, " + std::to_string(p.suggested_slots) + ")";
}

double match_rate(const BucketVerification& v) {
  return v.compared ? double(v.matched) / double(v.compared) : 0.0;
}

std::string bucket_name(const BucketId& id) {
  std::string s = bucket_table_name(id.table);
  if (id.table == FXS_BUCKET_PRIVATE) s += " (pid " + std::to_string(id.tgid) + ")";
  if (id.table == FXS_BUCKET_GLOBAL || id.table == FXS_BUCKET_NUMA) s += " node " + std::to_string(id.node);
  return s + " #" + std::to_string(id.index);
}

}  // namespace

void write_futex_bucket_json(const FutexBucket& b, JsonWriter& w) {
  // Keys in sorted order (docs/report-json.md).
  const bool computed = b.bucket.table == FXS_BUCKET_PRIVATE || b.bucket.table == FXS_BUCKET_GLOBAL ||
                        b.bucket.table == FXS_BUCKET_NUMA;
  w.begin_object().field("contended", b.contended);
  if (computed) w.field("index", b.bucket.index).field("node", b.bucket.node);
  if (b.bucket.table == FXS_BUCKET_SHARED)
    w.field("note",
            "process-shared futex: the kernel keys it by inode or page, which BPF cannot see; "
            "bucket unknown unless its lock was contended");
  // resized: the private table changed while in use. Shared futexes are not
  // computable; a spin on their bucket's lock names it (source).
  if (computed) w.field("resized", b.buckets_seen > 1).field("source", b.from_lock ? "lock address" : "computed");
  w.field("spin_ns", b.spin_ns).field("table", bucket_table_name(b.bucket.table)).end_object();
}

json futex_bucket_json(const FutexBucket& b) {
  std::string text;
  JsonWriter w(text);
  write_futex_bucket_json(b, w);
  return json::parse(text);
}

json buckets_json(const BucketReport& r, size_t top) {
  json out = json::array();
  size_t n = top == 0 ? r.buckets.size() : std::min(top, r.buckets.size());
  for (size_t i = 0; i < n; i++) {
    const BucketStats& b = r.buckets[i];
    json members = json::array();
    for (const auto& [tgid, uaddr] : b.futexes) members.push_back({{"pid", tgid}, {"uaddr", format_uaddr(uaddr)}});
    json j = {{"table", bucket_table_name(b.id.table)},
              {"index", b.id.index},
              {"node", b.id.node},
              {"futexes", b.futexes.size()},
              {"members", std::move(members)},
              {"processes", b.processes},
              {"contended", b.contended},
              {"spin_ns", b.spin_ns}};
    if (b.id.table == FXS_BUCKET_PRIVATE) j["pid"] = b.id.tgid;
    out.push_back(std::move(j));
  }
  return out;
}

json hash_json(const BucketReport& r) {
  json procs = json::array();
  for (const ProcessHash& p : r.processes) {
    json j = {{"pid", p.tgid},
              {"table", p.slots ? "private" : "global"},
              {"slots", p.slots},
              {"resizes", p.resizes},
              {"collision_spin_ns", p.collision_spin_ns}};
    if (p.suggested_slots) {
      j["suggested_slots"] = p.suggested_slots;
      j["advice"] = advice(p);
    }
    procs.push_back(std::move(j));
  }
  const BucketVerification& v = r.verification;
  json bases = json::object();
  for (const auto& [node, base] : v.global_base) bases[std::to_string(node)] = format_uaddr(base);
  return {{"global", {{"entries_per_node", r.global_entries}, {"nr_node_ids", r.nr_node_ids}}},
          {"processes", std::move(procs)},
          {"verification",
           {{"contentions", v.contentions},
            {"bucket_locks", v.bucket_locks},
            {"other_locks", v.other_locks},
            {"compared", v.compared},
            {"matched", v.matched},
            {"match_rate", match_rate(v)},
            {"global_base", std::move(bases)},
            {"calibration_votes", v.calibration_votes}}}};
}

std::string futex_bucket_text(const FutexBucket& b) {
  std::string s = "bucket ";
  if (b.bucket.table == FXS_BUCKET_SHARED)
    s += "unknown (process-shared futex)";
  else if (b.bucket.table == FXS_BUCKET_UNKNOWN)
    s += "unknown";
  else
    s += bucket_name(b.bucket);
  if (b.contended) s += "  lock contended " + std::to_string(b.contended) + "x, spun " + format_ns(b.spin_ns);
  if (b.buckets_seen > 1) s += "  (table resized while in use)";
  return s;
}

void write_futex_bucket_text(const FutexBucket& b, std::ostream& out) { out << "    " << futex_bucket_text(b) << '\n'; }

void write_buckets_text(const BucketReport& r, size_t top, std::ostream& out) {
  if (!r.available) return;
  const BucketVerification& v = r.verification;
  out << "\nhash buckets";
  if (r.global_entries) out << "  (global table: " << r.global_entries << " per node, " << r.nr_node_ids << " node(s))";
  out << '\n';
  out << "  bucket-lock spins " << v.bucket_locks << " of " << v.contentions
      << " lock contentions inside futex calls";
  if (v.compared) {
    char rate[32];
    std::snprintf(rate, sizeof(rate), "%.2f%%", 100.0 * match_rate(v));
    out << "; computed bucket = kernel's for " << v.matched << "/" << v.compared << " (" << rate << ")";
  }
  out << '\n';
  if (v.contentions == 0) out << "  (" << kNoLockContentionNote << ")\n";
  if (v.global_base.empty() && v.other_locks > 0)
    out << "  (the global table's address is not calibrated: that needs bucket-lock spins on at "
           "least two of its buckets; spins there count as other locks)\n";
  size_t n = top == 0 ? r.buckets.size() : std::min(top, r.buckets.size());
  for (size_t i = 0; i < n; i++) {
    const BucketStats& b = r.buckets[i];
    out << "  " << bucket_name(b.id) << "  futexes " << b.futexes.size() << "  contended "
        << b.contended << "  spin " << format_ns(b.spin_ns);
    if (b.processes.size() > 1) out << "  processes " << b.processes.size();
    out << '\n';
  }
  if (n < r.buckets.size()) out << "  ... " << r.buckets.size() - n << " more buckets\n";
  // --top holds here too (system-wide, every process has a line): the ones
  // whose shared buckets cost the most spin first, then by pid.
  std::vector<const ProcessHash*> procs;
  for (const ProcessHash& p : r.processes) procs.push_back(&p);
  std::stable_sort(procs.begin(), procs.end(), [](const ProcessHash* a, const ProcessHash* b) {
    return a->collision_spin_ns > b->collision_spin_ns;
  });
  if (top != 0 && procs.size() > top) procs.resize(top);
  for (const ProcessHash* pp : procs) {
    const ProcessHash& p = *pp;
    out << "  pid " << p.tgid << ": " << (p.slots ? std::to_string(p.slots) + " private slots" : "global table");
    if (p.resizes) out << ", resized " << p.resizes << "x";
    if (p.collision_spin_ns) out << ", " << format_ns(p.collision_spin_ns) << " spun in shared buckets";
    if (p.suggested_slots) out << "  -> try " << advice(p);
    out << '\n';
  }
  if (procs.size() < r.processes.size()) out << "  ... " << r.processes.size() - procs.size() << " more processes\n";
}

}  // namespace fxs
