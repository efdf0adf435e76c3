// syscall_names.h: names of the x86-64 system calls a blocked thread is
// usually found in (/proc/TID/syscall gives only the number).
#pragma once

#include <cstdint>
#include <string>

namespace fxs {

// "read", "futex", ...; "syscall 999" for one not in the table.
std::string syscall_name(int64_t nr);

// The futex system calls' numbers (x86-64).
inline constexpr int64_t kSysFutex = 202, kSysFutexWaitv = 449, kSysFutexWake = 454, kSysFutexWait = 455,
                         kSysFutexRequeue = 456;

}  // namespace fxs
