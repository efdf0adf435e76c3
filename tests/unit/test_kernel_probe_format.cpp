// Formatting of `futexscope probe` output from hand-built capabilities (no root, no BPF:
// the formatters and explain_capabilities are header-only).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "collector/kernel_probe.h"

namespace fxs {
namespace {

KernelCapabilities old_kernel() {
  KernelCapabilities c;
  c.kernel_release = "6.1.0-test";
  c.btf = true;
  c.prog_tracepoint = c.prog_raw_tracepoint = c.prog_perf_event = true;
  c.ringbuf = c.task_storage = true;
  c.futex2_waitv = true;
  c.numa_nodes = 2;
  c.sched_tps = true;
  c.root_or_cap_bpf = true;
  return c;
}

bool has_note(const std::vector<std::string>& notes, const std::string& part) {
  for (const auto& n : notes)
    if (n.find(part) != std::string::npos) return true;
  return false;
}

TEST(KernelProbeFormat, JsonHasEveryFieldSnakeCaseInOrder) {
  KernelCapabilities c = old_kernel();
  c.notes = {"a note with \"quotes\""};
  auto j = nlohmann::json::parse(format_probe_json(c));
  const char* keys[] = {"kernel_release", "btf", "prog_tracepoint", "prog_raw_tracepoint",
                        "prog_perf_event", "prog_kprobe", "prog_tracing", "prog_fentry", "ringbuf",
                        "task_storage", "futex2_waitv", "futex2_wait", "futex2_wake",
                        "futex2_requeue", "numa_futex", "private_hash", "private_hash_slots",
                        "global_hash_entries_per_node", "numa_nodes", "lock_contention_tp",
                        "sched_tps", "rseq_tps", "umcg", "root_or_cap_bpf", "notes"};
  for (const char* k : keys) EXPECT_TRUE(j.contains(k)) << k;
  EXPECT_EQ(j.size(), sizeof(keys) / sizeof(keys[0]));
  EXPECT_EQ(j["kernel_release"], "6.1.0-test");
  EXPECT_EQ(j["umcg"], false);  // present explicitly, as a boolean
  EXPECT_TRUE(j["umcg"].is_boolean());
  EXPECT_EQ(j["private_hash_slots"], -1);
  EXPECT_EQ(j["global_hash_entries_per_node"], -1);
  EXPECT_EQ(j["numa_nodes"], 2);
  EXPECT_EQ(j["notes"][0], "a note with \"quotes\"");

  auto ordered = nlohmann::ordered_json::parse(format_probe_json(c));
  EXPECT_EQ(ordered.begin().key(), "kernel_release");
  EXPECT_EQ(ordered.back(), ordered["notes"]);
}

TEST(KernelProbeFormat, JsonSurvivesInvalidUtf8) {
  KernelCapabilities c;
  c.kernel_release = "6.18\xff";
  std::string out;
  EXPECT_NO_THROW(out = format_probe_json(c));
  EXPECT_TRUE(nlohmann::json::accept(out));
}

TEST(KernelProbeFormat, TextShowsValuesAndNotes) {
  KernelCapabilities c = old_kernel();
  c.private_hash = true;
  c.private_hash_slots = 16;
  c.global_hash_entries_per_node = 512;
  c.notes = {"first note"};
  std::string t = format_probe_text(c);
  EXPECT_NE(t.find("kernel 6.1.0-test\n"), std::string::npos);
  EXPECT_NE(t.find("yes (16 slots)"), std::string::npos);
  EXPECT_NE(t.find("512 entries per node"), std::string::npos);
  EXPECT_NE(t.find("  - first note\n"), std::string::npos);
  EXPECT_EQ(t.back(), '\n');

  KernelCapabilities empty;
  std::string e = format_probe_text(empty);
  EXPECT_NE(e.find("kernel unknown"), std::string::npos);
  EXPECT_NE(e.find("unknown entries per node"), std::string::npos);
}

TEST(KernelProbeFormat, ExplainOldKernel) {
  auto n = explain_capabilities(old_kernel());
  EXPECT_TRUE(has_note(n, "futex_wait/futex_wake/futex_requeue absent (kernel < 6.7): only futex(2) "
                          "and futex_waitv are captured"));
  EXPECT_TRUE(has_note(n, "no private futex hash (kernel < 6.16): all futexes use the global hash"));
  EXPECT_TRUE(has_note(n, "UMCG is not available on this kernel (never merged into mainline)"));
  EXPECT_TRUE(has_note(n, "kprobes unavailable: futexscope uses tracepoints only (no effect)"));
  EXPECT_TRUE(has_note(n, "no rseq tracepoints"));
  EXPECT_TRUE(has_note(n, "no lock:contention_begin"));
  EXPECT_FALSE(has_note(n, "nothing can be recorded"));
  EXPECT_FALSE(has_note(n, "single cell"));  // two nodes
}

TEST(KernelProbeFormat, ExplainTracingSplit) {
  KernelCapabilities c = old_kernel();
  c.prog_tracing = true;  // tp_btf works, fentry does not
  auto n = explain_capabilities(c);
  EXPECT_TRUE(has_note(n, "fentry/fexit unavailable (tp_btf works)"));
  EXPECT_FALSE(has_note(n, "fentry/fexit/tp_btf unavailable"));
  c.prog_fentry = true;
  n = explain_capabilities(c);
  EXPECT_FALSE(has_note(n, "fentry"));
}

TEST(KernelProbeFormat, ExplainUnprivilegedAndNewKernel) {
  KernelCapabilities c = old_kernel();
  c.root_or_cap_bpf = false;
  c.futex2_wait = c.futex2_wake = c.futex2_requeue = true;
  c.private_hash = true;
  c.private_hash_slots = 16;
  c.umcg = true;
  auto n = explain_capabilities(c);
  EXPECT_TRUE(has_note(n, "nothing can be recorded"));
  // Unprivileged "no" answers say nothing about the kernel: no conclusions from them.
  EXPECT_FALSE(has_note(n, "kprobes unavailable"));
  EXPECT_FALSE(has_note(n, "no rseq tracepoints"));
  EXPECT_FALSE(has_note(n, "futex_wait/futex_wake/futex_requeue absent"));
  EXPECT_TRUE(has_note(n, "private futex hash present (16 slots"));
  EXPECT_TRUE(has_note(n, "UMCG syscalls present"));
  EXPECT_FALSE(has_note(n, "UMCG is not available"));
}

}  // namespace
}  // namespace fxs
