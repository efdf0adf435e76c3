#include "collector/vmlinux_btf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <cerrno>
#include <mutex>

namespace fxs {

Result<VmlinuxBtf> vmlinux_btf() {
  static std::mutex mu;
  static std::weak_ptr<const btf> shared;
  std::lock_guard lock(mu);
  if (VmlinuxBtf held = shared.lock()) return held;
  const char* path = "/sys/kernel/btf/vmlinux";
  if (access(path, F_OK) != 0)
    return Error{std::string("no ") + path + " (kernel built without CONFIG_DEBUG_INFO_BTF)"};
  errno = 0;
  btf* b = btf__load_vmlinux_btf();
  long err = libbpf_get_error(b);
  if (!b || err)
    return Error{errno_message(std::string("load kernel BTF from ") + path,
                               err ? static_cast<int>(-err) : (errno ? errno : EINVAL))};
  VmlinuxBtf held(b, [](const btf* p) { btf__free(const_cast<btf*>(p)); });
  shared = held;
  return held;
}

}  // namespace fxs
