// What only the kernel's boot log says: the global futex hash table's size
// (its symbol is static, so neither BTF nor BPF can name it).
#pragma once

#include <cstdint>

#include "replay/error.h"

namespace fxs {

// N of "futex hash table entries: N" (per node on 6.16+, the whole table before);
// an error saying why when the log is unreadable (no CAP_SYSLOG) or has rotated.
Result<uint32_t> futex_hash_entries_from_kernel_log();

}  // namespace fxs
