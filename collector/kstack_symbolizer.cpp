#include "collector/kstack_symbolizer.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "bpf/trace_abi.h"
#include "replay/trace_writer.h"

namespace fxs {

// Text symbols only (t, T, w, W); with kptr_restrict their addresses read as
// 0 for non-root, and every frame stays a bare address. Parsed by hand: the
// file has ~200k lines and sscanf cost most of the load.
void KernelStackSymbolizer::load_kallsyms() {
  if (loaded_) return;
  loaded_ = true;
  FILE* f = std::fopen("/proc/kallsyms", "r");
  if (!f) return;
  // procfs says 1 KiB blocks, so stdio read its 5 MB in ~5,000 system calls,
  // each costly in a VM; the kernel gives a page per read at most, so a big
  // buffer makes that ~1,300 (80 ms less before a recorded command starts).
  static constexpr size_t kReadBuffer = size_t{1} << 20;
  std::vector<char> buffer(kReadBuffer);
  std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
  char line[512];
  while (std::fgets(line, sizeof(line), f)) {
    // "ffffffff81000000 T _stext\t[module]\n"
    char* end = nullptr;
    const unsigned long long addr = std::strtoull(line, &end, 16);
    if (addr == 0 || end == line || end[0] != ' ' || !end[1] || end[2] != ' ') continue;
    const char type = end[1];
    if (type != 't' && type != 'T' && type != 'w' && type != 'W') continue;
    const char* name = end + 3;
    const size_t len = std::strcspn(name, " \t\n");
    if (len == 0) continue;
    syms_.emplace_back(addr, std::string(name, len));
  }
  std::fclose(f);
  std::sort(syms_.begin(), syms_.end());
}

std::string KernelStackSymbolizer::symbolize(uint64_t ip) {
  load_kallsyms();
  char out[320];
  auto it = std::upper_bound(syms_.begin(), syms_.end(), ip,
                             [](uint64_t a, const std::pair<uint64_t, std::string>& s) { return a < s.first; });
  if (it == syms_.begin()) {
    std::snprintf(out, sizeof(out), "0x%" PRIx64, ip);
    return out;
  }
  --it;
  std::snprintf(out, sizeof(out), "%s+0x%" PRIx64, it->second.c_str(), ip - it->first);
  return out;
}

Status KernelStackSymbolizer::on_record(const void* data, size_t size, TraceWriter& w) {
  if (size < sizeof(fxs_wait_split_rec)) return {};
  const auto* hdr = static_cast<const fxs_rec_hdr*>(data);
  if (hdr->type != FXS_REC_WAIT_SPLIT) return {};
  fxs_wait_split_rec r;
  std::memcpy(&r, data, sizeof(r));
  if (r.kstack_id < 0 || !seen_.insert(r.kstack_id).second) return {};

  uint64_t ips[FXS_MAX_STACK_DEPTH] = {};
  uint32_t id = uint32_t(r.kstack_id);
  if (bpf_map_lookup_elem(map_fd_, &id, ips) != 0) return {};
  uint32_t n = 0;
  while (n < FXS_MAX_STACK_DEPTH && ips[n]) n++;
  std::string names;
  for (uint32_t i = 0; i < n; i++) {
    names += symbolize(ips[i]);
    names.push_back('\0');
  }
  size_t total = (sizeof(fxs_stack_rec) + n * sizeof(uint64_t) + names.size() + 7) & ~size_t(7);
  if (total > 0xffff) return {};
  buf_.assign(total, 0);
  fxs_stack_rec s{};
  s.hdr = {FXS_REC_STACK, uint16_t(total), 0};
  s.tgid = 0;  // the kernel
  s.stack_id = r.kstack_id;
  s.nframes = n;
  std::memcpy(buf_.data(), &s, sizeof(s));
  std::memcpy(buf_.data() + sizeof(s), ips, n * sizeof(uint64_t));
  std::memcpy(buf_.data() + sizeof(s) + n * sizeof(uint64_t), names.data(), names.size());
  return w.append(buf_.data(), buf_.size());
}

}  // namespace fxs
