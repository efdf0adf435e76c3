// `futexscope probe`: what this kernel supports, and so what will be captured.
#include <cstdio>
#include <string>

#include "cli/arg_parser.h"
#include "cli/commands.h"
#include "collector/kernel_probe.h"

namespace fxs {
namespace {

constexpr const char* kHelp = R"HELP(usage: futexscope probe [--format text|json]

Checks what the running kernel offers (BTF, BPF program and map types, futex2
syscalls, NUMA futexes, the private futex hash, lock/sched/rseq tracepoints,
UMCG) and says what futexscope will and will not capture here.
)HELP";

}  // namespace

int cmd_probe(int argc, char** argv) {
  bool json = false;
  std::string v;
  ArgParser p(argc, argv, 1);
  while (!p.done()) {
    if (p.flag({"-h", "--help"})) {
      std::fputs(kHelp, stdout);
      return 0;
    } else if (p.option({"--format", "-f"}, v)) {
      if (v == "json") json = true;
      else if (v != "text") return usage_error("probe", "unknown format '" + v + "' (text or json)");
    } else {
      return usage_error("probe", "unexpected argument '" + p.peek() + "'");
    }
    if (!p.error().empty()) return usage_error("probe", p.error());
  }
  KernelCapabilities caps = probe_kernel();
  std::string out = json ? format_probe_json(caps) : format_probe_text(caps);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

}  // namespace fxs
