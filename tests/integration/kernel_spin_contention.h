// The kernel's own count of spinlock contention, kept by ftrace and not by
// futexscope: lock:contention_begin events of queued spinlocks (flags LCB_F_SPIN), in a private
// tracefs instance. The bucket tests use it to tell "futexscope missed the
// bucket-lock contention" from "this kernel never reports any": a VM guest
// without paravirtual spinlocks (the hypervisor CPUID bit, no PV unhalt) takes
// virt_spin_lock()'s test-and-set loop, which has no tracepoint.
#pragma once

#include <string>

namespace fxs::test {

class KernelSpinContention {
 public:
  KernelSpinContention();   // starts counting; on failure error() says why
  ~KernelSpinContention();  // stops and removes the instance
  KernelSpinContention(const KernelSpinContention&) = delete;
  KernelSpinContention& operator=(const KernelSpinContention&) = delete;

  // Events recorded so far (-1 if counting could not start).
  long count() const;
  const std::string& error() const { return error_; }
  // Why nothing can be compared (the kernel counted no spinlock contention
  // at all since construction), or empty when it counted some or could not count.
  std::string none_reported() const;

 private:
  std::string dir_;  // the tracefs instance, empty if not created
  std::string error_;
};

}  // namespace fxs::test
