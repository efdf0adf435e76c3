#include "collector/bpf_session.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "collector/program_variants.h"
#include "futex.skel.h"
#include "bpf/counted_calls.h"
#include "bpf/task_state.h"

namespace fxs {
namespace {

// libbpf returns -errno; turn it into "what: reason (hint)".
Error bpf_error(const std::string& what, int err) {
  err = err < 0 ? -err : err;
  std::string msg = errno_message(what, err);
  if (err == EPERM || err == EACCES)
    msg += " (run as root, or grant CAP_BPF and CAP_PERFMON)";
  return Error{msg};
}

// libbpf's own messages (verifier logs included) only with FXS_BPF_DEBUG=1:
// users get our one-line errors instead.
int libbpf_print(enum libbpf_print_level level, const char* fmt, va_list args) {
  static const bool debug = getenv("FXS_BPF_DEBUG") != nullptr;
  if (!debug && level != LIBBPF_WARN) return 0;
  if (!debug) return 0;
  return vfprintf(stderr, fmt, args);
}

}  // namespace

// One enter slot per possible tid (pid_max, rounded up to a power of two),
// capped at 1M slots (~100 MiB of ~100-byte slots); above that, threads whose
// tids collide modulo the slot count may lose an enter time (counted, never
// silently).
uint32_t task_slots() {
  uint64_t pid_max = 32768;
  if (FILE* f = std::fopen("/proc/sys/kernel/pid_max", "r")) {
    unsigned long long v;
    if (std::fscanf(f, "%llu", &v) == 1 && v > 0) pid_max = v;
    std::fclose(f);
  }
  uint32_t slots = 1024;
  while (slots < pid_max && slots < (1u << 20)) slots <<= 1;
  return slots;
}

// Program variants, best first (collector/program_variants.h);
// FXS_BPF_VARIANT=raw_tracepoint forces one (tests, odd kernels).
struct ProgramVariant {
  const char* name;
  bool use_btf;  // tp_btf programs vs raw_tracepoint programs
};
constexpr ProgramVariant kVariants[] = {
    {"tp_btf", true},
    {"raw_tracepoint", false},
};

Result<std::unique_ptr<BpfSession>> BpfSession::start(const SessionConfig& cfg) {
  libbpf_set_print(libbpf_print);
  std::string passed_over;
  auto s = start_first_variant(
      kVariants, "FXS_BPF_VARIANT",
      [&](const ProgramVariant& v) {
        auto s = start_variant(cfg, v.use_btf);
        if (s) s.value()->variant_ = v.name;
        return s;
      },
      &passed_over);
  if (s) s.value()->passed_over_ = std::move(passed_over);
  return s;
}

Result<std::unique_ptr<BpfSession>> BpfSession::start_variant(const SessionConfig& cfg, bool use_btf) {
  std::unique_ptr<BpfSession> s(new BpfSession());
  s->ncpus_ = libbpf_num_possible_cpus();
  if (s->ncpus_ <= 0) return bpf_error("count possible CPUs", s->ncpus_);

  s->skel_ = futex_bpf::open();
  if (!s->skel_) return bpf_error("open BPF object", errno);

  auto* ro = s->skel_->rodata;
  ro->summary_mode = cfg.summary;
  ro->filter_tgid = cfg.filter_tgid;
  ro->target_tgid = cfg.target_tgid;
  ro->follow_children = cfg.follow_children;
  ro->self_tgid = static_cast<uint32_t>(getpid());
  ro->min_wait_ns = cfg.min_wait_ns;
  // FXS_BENCH_ATTACH_ONLY=1: programs attach but return at once (bench/ floor).
  ro->attach_only = getenv("FXS_BENCH_ATTACH_ONLY") != nullptr;
  // Wake the reader when an eighth of the ring is queued; it also polls on a timer.
  ro->wakeup_bytes = cfg.ring_bytes / 8;  // per CPU ring

  for (size_t cpu = 0; cpu < cfg.cpu_node.size() && cpu < FXS_MAX_CPUS; cpu++)
    ro->cpu_node[cpu] = uint8_t(cfg.cpu_node[cpu]);
  uint32_t slots = task_slots();
  ro->task_slot_mask = slots - 1;

  int err = bpf_map__set_max_entries(s->skel_->maps.rings, uint32_t(s->ncpus_));
  if (err) return bpf_error("size BPF maps", err);
  // The rings are created here; the first doubles as the template of the inner map.
  // --summary streams nothing: a token ring per CPU is enough.
  const uint32_t ring_bytes = cfg.summary ? (64u << 10) : cfg.ring_bytes;
  if (Status st = s->create_rings(ring_bytes); !st) return Error{st.message()};
  err = bpf_map__set_inner_map_fd(s->skel_->maps.rings, s->ring_fds_[0]);
  if (!err) err = bpf_map__set_max_entries(s->skel_->maps.task_states, slots);
  // Stacks are for the per-event stream; --summary keeps a token map.
  ro->capture_stacks = !cfg.summary && cfg.stacks;
  ro->stack_min_wait_ns = cfg.stack_min_wait_ns;
  ro->stack_sample_every = cfg.stack_sample_every;
  // And the raw stack bytes the collector unwinds with DWARF (collector/stack_symbolizer.h);
  // FXS_NO_DWARF_STACKS=1: frame-pointer stacks only (benchmarks isolate the cost with it).
  const char* no_dwarf = getenv("FXS_NO_DWARF_STACKS");
  ro->capture_raw_stacks = ro->capture_stacks && !(no_dwarf && *no_dwarf && std::strcmp(no_dwarf, "0") != 0);
  if (!err && !ro->capture_stacks) err = bpf_map__set_max_entries(s->skel_->maps.stacks, 1);
  if (!err && !ro->capture_stacks) err = bpf_map__set_max_entries(s->skel_->maps.kstacks, 1);
  if (!err) err = bpf_map__set_max_entries(s->skel_->maps.aggs, cfg.summary ? cfg.agg_entries : 1);
  if (!err && !cfg.summary) err = bpf_map__set_max_entries(s->skel_->maps.new_agg_keys, 1);
  // Counted calls that did nothing (bpf/counted_calls.bpf.h): per-event stream only.
  ro->count_span_ns = cfg.summary ? 0 : cfg.count_span_ns;
  // FXS_COUNTED_ENTRIES=N: another map size (tests fill it to check that a full map loses nothing).
  const char* counted_entries = getenv("FXS_COUNTED_ENTRIES");
  const uint32_t entries = counted_entries ? uint32_t(std::max(1L, std::atol(counted_entries))) : cfg.counted_entries;
  if (!err) err = bpf_map__set_max_entries(s->skel_->maps.counted_calls, ro->count_span_ns ? entries : 1);
  // rseq registrations go to the rseq capture's own maps; without it, token maps.
  ro->rseq_registrations = cfg.rseq.events >= 0;
  if (ro->rseq_registrations) {
    if (!err) err = bpf_map__reuse_fd(s->skel_->maps.rseq_events, cfg.rseq.events);
    if (!err) err = bpf_map__reuse_fd(s->skel_->maps.rseq_threads, cfg.rseq.threads);
    if (!err) err = bpf_map__reuse_fd(s->skel_->maps.rseq_counters, cfg.rseq.counters);
  } else {
    if (!err) err = bpf_map__set_max_entries(s->skel_->maps.rseq_events, uint32_t(getpagesize()));
    if (!err) err = bpf_map__set_max_entries(s->skel_->maps.rseq_threads, 1);
  }
  if (err) return bpf_error("size BPF maps", err);
  auto& p = s->skel_->progs;
  // --summary with tp_btf: one program per system call; a wait's start is
  // stamped when it first sleeps (fxs_summary_sleep_btf), not at sys_enter.
  bpf_program__set_autoload(p.fxs_sys_enter_btf, use_btf && !cfg.summary);
  bpf_program__set_autoload(p.fxs_summary_sleep_btf, use_btf && cfg.summary);
  bpf_program__set_autoload(p.fxs_sys_exit_btf, use_btf);
  bpf_program__set_autoload(p.fxs_sys_enter_raw, !use_btf);
  bpf_program__set_autoload(p.fxs_sys_exit_raw, !use_btf);
  // Who-woke-whom records belong to the per-event stream only.
  bpf_program__set_autoload(p.fxs_waking_btf, use_btf && !cfg.summary);
  bpf_program__set_autoload(p.fxs_waking_raw, !use_btf && !cfg.summary);
  // So is the latency split of waits that slept (bpf/sched_split.bpf.h).
  bpf_program__set_autoload(p.fxs_switch_btf, use_btf && !cfg.summary);
  bpf_program__set_autoload(p.fxs_wakeup_btf, use_btf && !cfg.summary);
  bpf_program__set_autoload(p.fxs_switch_raw, !use_btf && !cfg.summary);
  bpf_program__set_autoload(p.fxs_wakeup_raw, !use_btf && !cfg.summary);
  // Hash buckets (bpf/futex_hash.bpf.h): the global table's shape, the private one's layout.
  ro->global_hash_mask = cfg.hash.mask();
  ro->global_hash_shift = cfg.hash.shift();
  ro->global_nr_node_ids = cfg.hash.nr_node_ids;
  ro->global_numa_hash = cfg.hash.numa_hash;
  for (size_t n = 0; n < cfg.hash.node_remap.size() && n < FXS_MAX_NODES; n++)
    ro->global_node_remap[n] = cfg.hash.node_remap[n];
  ro->phash_queues_offset = cfg.hash.queues_offset;
  ro->hash_bucket_size = cfg.hash.bucket_size;
  // Bucket lock spins: per-event stream only, and only where the tracepoints exist.
  const bool contention = !cfg.summary && cfg.hash.contention_tp;
  bpf_program__set_autoload(p.fxs_contention_begin, contention);
  bpf_program__set_autoload(p.fxs_contention_end, contention);
  // Thread exits tell joins from contention (replay/wake_model.h): per-event stream only.
  bpf_program__set_autoload(p.fxs_thread_exit, !cfg.summary);
  // The fork follower is only needed when following a command's children.
  bpf_program__set_autoload(p.fxs_fork, cfg.follow_children);

  err = futex_bpf::load(s->skel_);
  if (err) return bpf_error("load BPF programs (see `futexscope probe`)", err);

  if (Status st = s->install_rings(); !st) return Error{st.message()};
  err = futex_bpf::attach(s->skel_);
  if (err) return bpf_error("attach BPF programs to sys_enter/sys_exit and the sched/lock tracepoints", err);
  return s;
}

Status BpfSession::create_rings(uint32_t ring_bytes) {
  for (int cpu = 0; cpu < ncpus_; cpu++) {
    int fd = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "fxs_ring", 0, 0, ring_bytes, nullptr);
    if (fd < 0) return bpf_error("create the ring buffer of CPU " + std::to_string(cpu), errno);
    ring_fds_.push_back(fd);
  }
  return {};
}

Status BpfSession::install_rings() {
  int outer = bpf_map__fd(skel_->maps.rings);
  for (int cpu = 0; cpu < ncpus_; cpu++) {
    int fd = ring_fds_[cpu];
    uint32_t key = uint32_t(cpu);
    if (bpf_map_update_elem(outer, &key, &fd, BPF_ANY))
      return bpf_error("install the ring buffer of CPU " + std::to_string(cpu), errno);
    if (!ring_) {
      ring_ = ring_buffer__new(fd, &BpfSession::on_record, this, nullptr);
      if (!ring_) return bpf_error("create ring buffer reader", errno);
    } else if (int err = ring_buffer__add(ring_, fd, &BpfSession::on_record, this); err) {
      return bpf_error("add ring buffer of CPU " + std::to_string(cpu), err);
    }
  }
  return {};
}

BpfSession::~BpfSession() {
  if (ring_) ring_buffer__free(ring_);
  for (int fd : ring_fds_) close(fd);
  if (skel_) futex_bpf::destroy(skel_);
}

int BpfSession::stack_map_fd() const { return bpf_map__fd(skel_->maps.stacks); }
int BpfSession::kstack_map_fd() const { return bpf_map__fd(skel_->maps.kstacks); }

uint64_t BpfSession::futex_call_enter_ns(uint32_t tid) const {
  task_state slot{};
  const uint32_t key = tid & (bpf_map__max_entries(skel_->maps.task_states) - 1);
  if (bpf_map_lookup_elem(bpf_map__fd(skel_->maps.task_states), &key, &slot) != 0) return 0;
  return slot.tid == tid ? slot.enter_ns : 0;
}

void BpfSession::detach() { futex_bpf::detach(skel_); }

int BpfSession::on_record(void* ctx, void* data, size_t size) {
  auto* self = static_cast<BpfSession*>(ctx);
  return self->sink_ ? self->sink_(data, size) : 0;
}

Result<int> BpfSession::poll(int timeout_ms) {
  int n = ring_buffer__poll(ring_, timeout_ms);
  if (n < 0 && n != -EINTR) return bpf_error("poll ring buffer", n);
  // Producers wake us only once a ring is an eighth full; below that, epoll
  // reports nothing and poll() drains nothing. Drain every ring on each tick
  // so records reach the file (and stacks get symbolized) while it runs.
  int more = ring_buffer__consume(ring_);
  if (more < 0 && more != -EINTR) return bpf_error("drain ring buffer", more);
  return (n < 0 ? 0 : n) + (more < 0 ? 0 : more);
}

Result<int> BpfSession::consume() {
  int n = ring_buffer__consume(ring_);
  if (n < 0 && n != -EINTR) return bpf_error("drain ring buffer", n);
  return n < 0 ? 0 : n;
}

std::array<uint64_t, FXS_NR_COUNTERS> BpfSession::counters() const {
  std::array<uint64_t, FXS_NR_COUNTERS> out{};
  std::vector<uint64_t> percpu(ncpus_);
  int fd = bpf_map__fd(skel_->maps.counters);
  for (uint32_t i = 0; i < FXS_NR_COUNTERS; i++) {
    if (bpf_map_lookup_elem(fd, &i, percpu.data())) continue;
    for (uint64_t v : percpu) out[i] += v;
  }
  return out;
}

void BpfSession::read_aggregates(
    const std::function<void(const fxs_agg_key&, const fxs_agg_val&)>& fn) const {
  int fd = bpf_map__fd(skel_->maps.aggs);
  fxs_agg_key key{}, next{};
  fxs_agg_val val{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (bpf_map_lookup_elem(fd, &next, &val) == 0) fn(next, val);
    key = next;
    prev = &key;
  }
}

Status BpfSession::flush_counted_calls() {
  int fd = bpf_map__fd(skel_->maps.counted_calls);
  fxs_counted_key key{}, next{};
  fxs_counted_val val{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (bpf_map_lookup_elem(fd, &next, &val) == 0 && val.count) {
      fxs_futex_count_rec r{};
      fxs_counted_record(&r, &next, &val);
      if (sink_ && sink_(&r, sizeof r) != 0) return Error{"the trace could not take the counted calls"};
    }
    key = next;
    prev = &key;
  }
  return {};
}

Status BpfSession::pop_new_agg_keys(const std::function<Status(const fxs_agg_key&)>& fn) {
  int fd = bpf_map__fd(skel_->maps.new_agg_keys);
  fxs_agg_key key{};
  // One system call per new key; ENOENT: the queue is empty.
  while (bpf_map_lookup_and_delete_elem(fd, nullptr, &key) == 0)
    if (Status st = fn(key); !st.ok()) return st;
  return {};
}

uint64_t BpfSession::new_agg_keys_full() const {
  return __atomic_load_n(&skel_->bss->new_agg_keys_full, __ATOMIC_RELAXED);
}

}  // namespace fxs
