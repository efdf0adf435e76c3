#include "replay/syscall_names.h"

#include <utility>

namespace fxs {

std::string syscall_name(int64_t nr) {
  static constexpr std::pair<int64_t, const char*> kNames[] = {
      {0, "read"},           {1, "write"},          {3, "close"},         {7, "poll"},
      {16, "ioctl"},         {17, "pread64"},       {18, "pwrite64"},     {19, "readv"},
      {20, "writev"},        {23, "select"},        {24, "sched_yield"},  {34, "pause"},
      {35, "nanosleep"},     {42, "connect"},       {43, "accept"},       {44, "sendto"},
      {45, "recvfrom"},      {46, "sendmsg"},       {47, "recvmsg"},      {61, "wait4"},
      {65, "semop"},         {69, "msgsnd"},        {70, "msgrcv"},       {72, "fcntl"},
      {73, "flock"},         {74, "fsync"},         {128, "rt_sigtimedwait"}, {130, "rt_sigsuspend"},
      {202, "futex"},        {208, "io_getevents"}, {230, "clock_nanosleep"}, {232, "epoll_wait"},
      {247, "waitid"},       {257, "openat"},       {270, "pselect6"},    {271, "ppoll"},
      {275, "splice"},       {281, "epoll_pwait"},  {288, "accept4"},     {299, "recvmmsg"},
      {426, "io_uring_enter"}, {441, "epoll_pwait2"}, {449, "futex_waitv"}, {454, "futex_wake"},
      {455, "futex_wait"},   {456, "futex_requeue"},
  };
  for (const auto& [n, name] : kNames)
    if (n == nr) return name;
  return "syscall " + std::to_string(nr);
}

}  // namespace fxs
