#include "collector/recorder.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <array>
#include <optional>
#include <unordered_map>

#include "collector/bpf_session.h"
#include "collector/child_process.h"
#include "collector/kernel_facts.h"
#include "collector/machine_info.h"
#include "collector/futex_namer.h"
#include "collector/record_addresses.h"
#include "collector/page_node_resolver.h"
#include "collector/stack_sample_weights.h"
#include "collector/rseq_session.h"
#include "collector/kstack_symbolizer.h"
#include "collector/stack_symbolizer.h"
#include "collector/thread_snapshot.h"
#include "replay/thread_state_record.h"
#include "replay/trace_writer.h"

namespace fxs {
namespace {

volatile sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int sig) { g_stop_signal = sig; }

void install_stop_handlers() {
  struct sigaction sa{};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
}

int fail(const std::string& msg) {
  std::fprintf(stderr, "futexscope: %s\n", msg.c_str());
  return 1;
}

// 64 MiB of ring buffer in all, split over the CPUs, at least 4 MiB each.
uint32_t default_ring_bytes() {
  long ncpu = sysconf(_SC_NPROCESSORS_CONF);
  uint32_t per_cpu = 64u << 20;
  while (per_cpu > (4u << 20) && uint64_t(per_cpu) * uint64_t(ncpu > 0 ? ncpu : 1) > (64u << 20))
    per_cpu >>= 1;
  return per_cpu;
}

bool process_exists(int pid) { return kill(pid, 0) == 0 || errno == EPERM; }

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& a : v) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Writes the records the collector itself produces: loss counters, aggregates, stop.
class CollectorRecords {
 public:
  CollectorRecords(TraceWriter& w, PageNodeResolver& pages) : w_(w), pages_(pages) {}

  // The kernel's counters `c`, with the collector's own added.
  Status loss(std::array<uint64_t, FXS_NR_COUNTERS> c, bool force) {
    c[FXS_CNT_PAGE_NODE_CAP] = pages_.dropped_by_cap();
    if (!force && c == last_counters_) return {};
    last_counters_ = c;
    fxs_loss_rec r{};
    r.hdr = {FXS_REC_LOSS, sizeof(r), 0};
    r.ts_ns = monotonic_ns();
    for (int i = 0; i < FXS_NR_COUNTERS; i++) r.counters[i] = c[i];
    return w_.append(&r, sizeof(r));
  }

  // Cumulative aggregates; only keys whose value changed since the last drain.
  Status aggregates(const BpfSession& s) {
    Status st;
    uint64_t now = monotonic_ns();
    s.read_aggregates([&](const fxs_agg_key& k, const fxs_agg_val& v) {
      if (!st.ok()) return;
      fxs_agg_rec r{};
      r.hdr = {FXS_REC_AGG, sizeof(r), 0};
      r.ts_ns = now;
      r.key = k;
      r.val = v;
      auto& prev = last_agg_[key_of(k)];
      if (std::memcmp(&prev, &v, sizeof(v)) == 0) return;
      prev = v;
      st = w_.append(&r, sizeof(r));
      if (st.ok()) st = pages_.on_record(&r, sizeof(r), w_);  // NUMA page nodes
    });
    return st;
  }

  Status stop() { return w_.append_stop(monotonic_ns()); }

  uint64_t lost() const { return last_counters_[FXS_CNT_RINGBUF_DROP]; }

 private:
  static std::string key_of(const fxs_agg_key& k) {
    return std::string(reinterpret_cast<const char*>(&k), sizeof(k));
  }
  TraceWriter& w_;
  PageNodeResolver& pages_;
  std::array<uint64_t, FXS_NR_COUNTERS> last_counters_{};
  std::unordered_map<std::string, fxs_agg_val> last_agg_;
};

// The target's threads in /proc, written into the trace when the recording
// attaches (-p PID) and when it ends, so that waits that never return (a hung
// process) are in it: the report's "blocked", "deadlocks" and "chains". A call
// the programs saw begin gets its enter time, unless the look at attach
// already saw the thread in it: a restarted call (a look stops a thread that
// glibc parked after EDEADLK for a moment, which restarts its wait, and the
// trace then holds that wait once, interrupted). Nothing once the process is gone.
class TargetLooks {
 public:
  Status write(pid_t pid, uint8_t when, const BpfSession& s, StackSymbolizer& stacks, TraceWriter& w) {
    if (pid <= 0 || !process_exists(pid)) return {};
    auto threads = snapshot_threads(pid, &stacks);
    if (!threads.ok()) return {};  // it exited meanwhile
    const uint64_t now = monotonic_ns();
    for (ThreadSnapshot& t : *threads) {
      if (t.in_futex && when == FXS_SNAPSHOT_END) {
        auto before = at_attach_.find(t.tid);
        const bool same_call = before != at_attach_.end() && before->second == t.uaddrs;
        t.since_ns = same_call ? 0 : s.futex_call_enter_ns(t.tid);
      }
      if (t.in_futex && when == FXS_SNAPSHOT_ATTACH) at_attach_[t.tid] = t.uaddrs;
      std::vector<uint8_t> rec = encode_thread_state(t, when, now);
      if (Status st = w.append(rec.data(), rec.size()); !st.ok()) return st;
    }
    return {};
  }

 private:
  std::unordered_map<uint32_t, std::vector<uint64_t>> at_attach_;  // tid -> words it waited on
};

}  // namespace

namespace {
// The drain loop's longest sleep. A ring wakes it sooner once an eighth full.
constexpr int kDrainEveryMs = 25;
}  // namespace

int run_record(const RecordOptions& opts) {
  if (opts.pid >= 0 && !opts.command.empty())
    return fail("give either -p PID or a command after --, not both");
  if (opts.pid >= 0 && !process_exists(opts.pid))
    return fail("no process with PID " + std::to_string(opts.pid) + " (check it with `ps -p " +
                std::to_string(opts.pid) + "`)");
  if (geteuid() != 0)
    return fail("recording needs root (or CAP_BPF + CAP_PERFMON): run it with sudo");

  install_stop_handlers();

  std::optional<ChildProcess> child;
  if (!opts.command.empty()) {
    auto c = ChildProcess::spawn_held(opts.command);
    if (!c) return fail(c.message());
    child.emplace(std::move(c.value()));
  }

  TraceHeader header;
  fill_machine_info(header);
  header.summary = opts.summary;
  header.min_wait_ns = opts.min_wait_ns;
  header.target_pid = child ? child->pid() : opts.pid;
  header.command = join(opts.command);
  header.stack_settings_known = true;
  header.stacks = opts.stacks && !opts.summary;
  header.stack_min_wait_ns = opts.stack_min_wait_ns;
  header.stack_sample_every = opts.stack_sample_every;
  SessionConfig cfg;
  cfg.cpu_node = header.cpu_node;
  cfg.stacks = opts.stacks;
  cfg.stack_min_wait_ns = opts.stack_min_wait_ns;
  cfg.stack_sample_every = opts.stack_sample_every;
  cfg.summary = opts.summary;
  cfg.filter_tgid = opts.pid >= 0 || child;
  cfg.target_tgid = child ? uint32_t(child->pid()) : uint32_t(opts.pid);
  cfg.follow_children = child.has_value();
  cfg.min_wait_ns = opts.min_wait_ns;
  if (opts.each_call) cfg.count_span_ns = 0;
  cfg.ring_bytes = opts.ring_bytes ? opts.ring_bytes : default_ring_bytes();
  cfg.agg_entries = opts.agg_entries;
  const KernelFacts& kernel = kernel_facts();
  cfg.hash = hash_shape(kernel);
  // rseq (collector/rseq_session.h): optional, its own BPF object, the same
  // sink (set below; its records wait in its ring until then). Loaded before
  // the futex programs attach: loading takes a few hundred ms, whose futex
  // calls would otherwise pile up and stretch a --duration.
  RecordSink sink;
  std::unique_ptr<RseqSession> rseq = RseqSession::start_or_note(
      cfg, kernel, [&sink](const void* data, size_t size) { return sink ? sink(data, size) : 0; });
  if (rseq) cfg.rseq = rseq->maps();  // the futex programs record rseq(2) registrations into them
  auto session = BpfSession::start(cfg);
  if (!session) return fail(session.message());
  BpfSession& s = *session.value();
  // --duration counts from here: futex calls are recorded from the attach on.
  const uint64_t start = monotonic_ns();
  uint64_t deadline = UINT64_MAX;
  if (opts.duration_ns) deadline = start + opts.duration_ns;

  auto writer = TraceWriter::create(opts.output, header);
  if (!writer) return fail(writer.message());
  TraceWriter& w = writer.value();
  PageNodeResolver pages;  // NUMA: the node of each futex word's page (collector/page_node_resolver.h)
  CollectorRecords extra(w, pages);
  if (!opts.summary) {
    // The replay needs the global table's shape to read contended lock addresses.
    fxs_hash_global_rec shape = cfg.hash.record();
    if (Status st = w.append(&shape, sizeof(shape)); !st) return fail(st.message());
  }

  Status write_status;
  StackSymbolizer stacks(s.stack_map_fd());
  KernelStackSymbolizer kstacks(s.kstack_map_fd());
  FutexNamer names(stacks);  // what each futex word is: g_pool.lock (collector/futex_namer.h)
  StackSampleWeights weights(opts.stack_min_wait_ns);  // what a sampled stack stands for
  NewAddresses new_addresses;  // for the names and the NUMA page nodes
  TargetLooks looks;
  if (opts.pid > 0)  // what was already stuck when we came (a command starts with nothing)
    if (Status st = looks.write(pid_t(opts.pid), FXS_SNAPSHOT_ATTACH, s, stacks, w); !st) return fail(st.message());
  bool detached = false;
  uint32_t records_since_clock = 0;
  uint64_t counted_calls = 0, counted_records = 0;  // calls counted in the kernel, for the closing line
  sink = [&](const void* data, size_t size) {
    // A drain busy with a backlog (a busy system's stacks to symbolize) can
    // run long past the --duration deadline: stop the programs as soon as it
    // passes, so nothing after it is recorded; what is queued is older.
    // The clock is read every 256 records, not for each: in a VM whose clock
    // has no vDSO fast path it is a system call, and was half the
    // collector's CPU (docs/BENCHMARKS.md).
    if (deadline != UINT64_MAX && !detached && ++records_since_clock >= 256) {
      records_since_clock = 0;
      if (monotonic_ns() >= deadline) {
        s.detach();
        detached = true;
      }
    }
    // A raw user stack is unwound for the wait that follows it and not kept;
    // that wait's record then names the unwound stack (collector/stack_symbolizer.h).
    if (!opts.summary && stacks.take_raw_stack(data, size)) return 0;
    if (!opts.summary) data = stacks.with_dwarf_stack(data, size);
    Status st = w.append(data, size);
    if (const auto* h = static_cast<const fxs_rec_hdr*>(data);
        h->type == FXS_REC_FUTEX_COUNT && size >= sizeof(fxs_futex_count_rec)) {
      counted_calls += static_cast<const fxs_futex_count_rec*>(data)->count;
      counted_records++;
    }
    if (st.ok() && !opts.summary) st = stacks.on_record(data, size, w);
    if (st.ok() && !opts.summary) st = kstacks.on_record(data, size, w);
    // Each futex address once: its page's NUMA node, and its name.
    if (st.ok() && !opts.summary)
      new_addresses.for_each_new(data, size, [&](uint32_t tgid, uint64_t uaddr) {
        names.note(tgid, uaddr);
        st = pages.note(tgid, uaddr, w);
        return st.ok();
      });
    if (!opts.summary) names.on_record(data, size);
    if (st.ok() && !opts.summary && opts.stacks && opts.stack_sample_every) st = weights.on_record(data, size, w);
    if (!st.ok()) {
      write_status = st;
      return -1;  // stop draining: the disk is full or gone
    }
    return 0;
  };
  s.set_sink(sink);

  // No mainline kernel has UMCG: said on every run it would only be noise
  // (`probe` says it too).
  if (opts.verbose && !kernel.umcg)
    std::fprintf(stderr, "futexscope: UMCG is not captured: this kernel has no UMCG (never merged into mainline)\n");
  // A kernel without typed tracepoints falls back on every run: said with -v only.
  if (opts.verbose && !s.passed_over().empty())
    std::fprintf(stderr, "futexscope: using the %s programs, which cost more per call: %s\n", s.variant(),
                 s.passed_over().c_str());
  // One-off work before the command runs, not competing with it for the CPUs.
  if (!opts.summary && opts.stacks) kstacks.load_kallsyms();
  if (!opts.summary) StackSymbolizer::load_libraries_now();  // the futex names use libdw too
  if (child) {
    if (Status st = child->release(); !st) {
      (void)w.close();
      return fail(st.message());
    }
  }

  const bool progress = !opts.quiet && isatty(STDERR_FILENO) && !child;
  uint64_t last_flush = start, last_progress = start;
  const char* stop_reason = "stopped";
  int exit_status = 0;
  while (true) {
    // While a page-node pass is under way, its slices run back to back with
    // only a ring check between them: the pass ends as soon as it would have
    // in one piece, and no slice keeps the rings waiting long.
    // Otherwise a turn every kDrainEveryMs at least: a short-lived process's
    // records must reach the futex namer while it still runs (its maps).
    int timeout_ms = pages.pass_under_way() ? 0 : kDrainEveryMs;
    if (opts.duration_ns) {
      // Wake at the --duration deadline, not up to a whole poll after it.
      uint64_t now = monotonic_ns();
      uint64_t left_ms = now >= deadline ? 0 : (deadline - now + 999999) / 1000000;
      timeout_ms = int(std::min<uint64_t>(uint64_t(timeout_ms), left_ms));
    }
    auto n = s.poll(timeout_ms);
    if (!n) return fail(n.message());
    if (rseq) rseq->consume();  // rseq
    if (!write_status.ok()) break;
    uint64_t now = monotonic_ns();
    {
      // NUMA and names: --summary keys new since the last turn get their page
      // node now, not at the next read of the map (a short process is gone by
      // then); a budgeted slice of the periodic re-ask (pages that migrated);
      // and names for a slice of the addresses seen since (while they live).
      Status st;
      if (opts.summary)
        st = s.pop_new_agg_keys([&](const fxs_agg_key& k) {
          names.note(k.tgid, k.uaddr);
          return pages.note(k.tgid, k.uaddr, w);
        });
      if (st.ok()) st = pages.refresh_step(w, now);
      if (st.ok()) st = names.step(w);
      if (!st.ok()) {
        write_status = st;
        break;
      }
    }
    if (now - last_flush >= opts.flush_interval_ns) {
      // At most a second (or the watched interval) of data is ever only in memory.
      Status st = opts.summary ? extra.aggregates(s) : Status{};
      if (st.ok()) st = extra.loss(s.counters(), false);
      if (st.ok() && rseq) st = rseq->write_counts(w, false);  // rseq
      if (st.ok()) st = w.flush();
      if (!st.ok()) {
        write_status = st;
        break;
      }
      last_flush = now;
    }
    if (progress && now - last_progress >= 2000000000ull) {
      std::fprintf(stderr, "\rfutexscope: recording %.0fs, %" PRIu64 " records, %" PRIu64
                   " lost, %.1f MB written   ",
                   double(now - start) / 1e9, w.records_written(), extra.lost(),
                   double(w.bytes_written()) / 1e6);
      last_progress = now;
    }
    if (g_stop_signal) {
      stop_reason = "interrupted";
      break;
    }
    if (opts.duration_ns && now - start >= opts.duration_ns) {
      stop_reason = "duration reached";
      break;
    }
    if (child && child->poll_exit()) {
      stop_reason = "command exited";
      break;
    }
    if (opts.pid >= 0 && !process_exists(opts.pid)) {
      stop_reason = "process exited";
      break;
    }
  }
  if (progress) std::fprintf(stderr, "\n");

  // Nothing after the stop is recorded (a drain that keeps up with a busy
  // system would otherwise stretch a --duration); drain what is still
  // queued, then write the final counters and aggregates.
  s.detach();
  if (write_status.ok()) {
    auto n = s.consume();
    if (!n) write_status = n.error();
    if (rseq) rseq->consume();  // rseq
    // The counted calls not yet sent (bpf/counted_calls.bpf.h).
    if (write_status.ok() && !opts.summary) {
      Status counted = s.flush_counted_calls();
      if (!counted.ok() && write_status.ok()) write_status = counted;
    }
  }
  Status st = write_status;
  if (st.ok() && opts.summary) st = extra.aggregates(s);
  if (st.ok()) st = pages.refresh(w);  // NUMA
  if (st.ok() && !opts.summary && opts.stacks && opts.stack_sample_every) st = weights.flush(w);
  if (st.ok()) st = names.flush(w);
  if (st.ok()) st = looks.write(pid_t(header.target_pid), FXS_SNAPSHOT_END, s, stacks, w);
  if (st.ok()) st = extra.loss(s.counters(), true);
  if (st.ok() && rseq) st = rseq->write_counts(w, true);  // rseq
  if (st.ok()) st = extra.stop();
  Status closed = w.close();
  if (st.ok()) st = closed;
  if (!st.ok()) return fail("writing " + opts.output + ": " + st.message() +
                            " (the trace holds what was written before this error)");

  // --duration ended the recording, not the command: a command still running
  // (a hung one, the case to record) is left running, not waited on forever.
  bool child_left_running = false;
  if (child) {
    if (g_stop_signal) child->signal(g_stop_signal);
    if (!g_stop_signal && opts.duration_ns && !child->poll_exit()) {
      child_left_running = true;
    } else {
      child->wait();
      exit_status = child->exit_status();
    }
  }
  if (!opts.quiet) {
    std::fprintf(stderr, "futexscope: %s; %" PRIu64 " records written to %s", stop_reason,
                 w.records_written(), opts.output.c_str());
    if (counted_records)
      std::fprintf(stderr, " (%" PRIu64 " of them for %" PRIu64 " calls that did nothing, counted in the kernel)",
                   counted_records, counted_calls);
    if (opts.summary && s.new_agg_keys_full())
      std::fprintf(stderr, ", %" PRIu64 " new futexes' page nodes asked up to 1 s late (new-key queue full)",
                   s.new_agg_keys_full());
    if (extra.lost())
      std::fprintf(stderr, ", %" PRIu64 " events LOST (ring buffer full: raise --ring-size or use --summary)",
                   extra.lost());
    std::fprintf(stderr, "\n");
  }
  if (child_left_running)  // said even with -q: a process of ours outlives us
    std::fprintf(stderr, "futexscope: --duration ended the recording; the command (pid %d) is still running and "
                 "was left running (stop it with `kill %d`)\n", int(child->pid()), int(child->pid()));
  // Said even with -q; the trace counts it too (FXS_CNT_PAGE_NODE_CAP).
  if (pages.dropped_by_cap())
    std::fprintf(stderr, "futexscope: warning: page_node_cap_dropped=%" PRIu64 ": NUMA node lookups NOT made, "
                 "more than %zu futex pages of live processes at once (those futexes have no page node)\n",
                 pages.dropped_by_cap(), PageNodeResolver::kMaxPages);
  return exit_status;
}

}  // namespace fxs
