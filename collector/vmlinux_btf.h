// The running kernel's BTF (/sys/kernel/btf/vmlinux), parsed once for everyone
// who holds it at the same time: parsing takes ~20 ms and several MB, so it is
// shared while in use and freed when the last holder lets go.
#pragma once

#include <memory>

#include "replay/error.h"

struct btf;

namespace fxs {

using VmlinuxBtf = std::shared_ptr<const btf>;

// The parsed kernel BTF, or why there is none. Thread-safe.
Result<VmlinuxBtf> vmlinux_btf();

}  // namespace fxs
