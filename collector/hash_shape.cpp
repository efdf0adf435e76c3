#include "collector/hash_shape.h"

#include <bpf/btf.h>
#include <sys/klog.h>
#include <sys/utsname.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace fxs {
namespace {

template <class F>
void for_each_in_range_list(const std::string& s, F f) {
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) {
    unsigned lo = 0, hi = 0;
    int n = std::sscanf(part.c_str(), "%u-%u", &lo, &hi);
    if (n < 1) continue;
    if (n == 1) hi = lo;
    for (unsigned v = lo; v <= hi && v < 65536; v++) f(v);
  }
}

// Number of entries in a sysfs range list such as "0-3,8" and its highest entry.
void parse_range_list(const std::string& s, uint32_t* count, uint32_t* highest) {
  *count = 0;
  *highest = 0;
  for_each_in_range_list(s, [&](uint32_t v) {
    ++*count;
    *highest = std::max(*highest, v);
  });
}

std::string first_line(const char* path) {
  std::ifstream f(path);
  std::string s;
  std::getline(f, s);
  return s;
}

// The next power of two (1 for 0), at most 2^30.
uint32_t roundup_pow2(uint64_t v) { return uint32_t(std::min<uint64_t>(std::bit_ceil(v), 1u << 30)); }

int kernel_version() {
  utsname u{};
  if (uname(&u) != 0) return 0;
  int major = 0, minor = 0;
  std::sscanf(u.release, "%d.%d", &major, &minor);
  return major * 1000 + minor;
}

// The boot log's own count, if the ring buffer still holds it (per node on 6.16+).
uint32_t entries_from_kernel_log() {
  int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, nullptr, 0);
  if (size <= 0) return 0;
  std::string buf(static_cast<size_t>(size), '\0');
  int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf.data(), size);
  if (n <= 0) return 0;
  buf.resize(static_cast<size_t>(n));
  const char* key = "futex hash table entries: ";
  size_t at = buf.find(key);
  if (at == std::string::npos) return 0;
  long v = std::atol(buf.c_str() + at + std::strlen(key));
  return v > 0 && (v & (v - 1)) == 0 ? uint32_t(v) : 0;
}

void read_btf_layout(HashShape& s) {
  std::unique_ptr<btf, void (*)(btf*)> vmlinux(btf__load_vmlinux_btf(), btf__free);
  if (!vmlinux) return;
  auto member_offset = [&](const btf_type* t, const char* name) -> int {
    const btf_member* m = btf_members(t);
    for (int i = 0; i < btf_vlen(t); i++, m++)
      if (std::strcmp(btf__name_by_offset(vmlinux.get(), m->name_off), name) == 0)
        return int(btf_member_bit_offset(t, i) / 8);
    return -1;
  };
  int id = btf__find_by_name_kind(vmlinux.get(), "futex_hash_bucket", BTF_KIND_STRUCT);
  if (id > 0) {
    const btf_type* t = btf__type_by_id(vmlinux.get(), id);
    int lock = member_offset(t, "lock");
    if (lock >= 0) {
      s.bucket_size = uint16_t(t->size);
      s.lock_offset = uint16_t(lock);
    }
  }
  // Every tracepoint built in has a btf_trace_<name> typedef; no tracefs needed.
  s.contention_tp =
      btf__find_by_name_kind(vmlinux.get(), "btf_trace_contention_begin", BTF_KIND_TYPEDEF) > 0;
  id = btf__find_by_name_kind(vmlinux.get(), "futex_private_hash", BTF_KIND_STRUCT);
  if (id > 0) {
    int q = member_offset(btf__type_by_id(vmlinux.get(), id), "queues");
    if (q >= 0) s.queues_offset = uint16_t(q);
  }
}

}  // namespace

uint32_t HashShape::shift() const {
  uint32_t s = 0;
  while (s < 31 && (1u << s) < entries_per_node) s++;
  return s;
}

fxs_hash_global_rec HashShape::record() const {
  fxs_hash_global_rec r{};
  r.hdr.type = FXS_REC_HASH_GLOBAL;
  r.hdr.size = sizeof(r);
  r.hash_mask = mask();
  r.hash_shift = shift();
  r.nr_node_ids = nr_node_ids;
  r.bucket_size = bucket_size;
  r.lock_offset = lock_offset;
  r.numa_hash = numa_hash;
  return r;
}

HashShape probe_hash_shape() {
  HashShape s;
  uint32_t cpus = 0, highest_cpu = 0, nodes = 0, highest_node = 0;
  parse_range_list(first_line("/sys/devices/system/cpu/possible"), &cpus, &highest_cpu);
  parse_range_list(first_line("/sys/devices/system/node/possible"), &nodes, &highest_node);
  if (cpus == 0) cpus = 1;
  if (nodes == 0) nodes = 1;  // CONFIG_NUMA off: no node directory
  s.nr_node_ids = highest_node + 1;
  std::vector<bool> possible(s.nr_node_ids, nodes == 1 && highest_node == 0);
  for_each_in_range_list(first_line("/sys/devices/system/node/possible"),
                         [&](uint32_t n) { if (n < possible.size()) possible[n] = true; });
  for (uint32_t n = 0; n < s.nr_node_ids; n++) {
    uint32_t m = n;
    for (uint32_t step = 0; step < s.nr_node_ids && !possible[m]; step++) m = (m + 1) % s.nr_node_ids;
    s.node_remap.push_back(uint16_t(m));
  }
  // Since 6.16 the global table is split per node and keys pick a node (KERNEL-FACTS.md).
  s.numa_hash = kernel_version() >= 6016;
  read_btf_layout(s);
  if (uint32_t logged = entries_from_kernel_log()) {
    s.entries_per_node = logged;
    s.source = "kernel log";
  } else if (s.numa_hash) {
    s.entries_per_node = roundup_pow2(std::max<uint64_t>(4, 256ull * cpus / nodes));
    s.source = "sizing rule (256 x possible CPUs / possible nodes)";
  } else {
    s.entries_per_node = roundup_pow2(256ull * cpus);
    s.source = "sizing rule (256 x possible CPUs)";
  }
  return s;
}

}  // namespace fxs
