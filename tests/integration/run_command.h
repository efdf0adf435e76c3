// Runs a command for the integration tests and captures what it printed.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/temp_dir.h"

// Skips the current test, loudly, when not root: BPF needs it. CI runs as root.
#define REQUIRE_ROOT()                                                                   \
  do {                                                                                   \
    if (geteuid() != 0) {                                                                \
      std::fprintf(stderr, "\n*** SKIPPED: %s needs root to load BPF programs ***\n\n", \
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());     \
      GTEST_SKIP() << "needs root (BPF)";                                                \
    }                                                                                    \
  } while (0)

// Skips the current test, loudly, for `why` unless it is empty.
#define FXS_SKIP_UNLESS_EMPTY(why)                                                                   \
  do {                                                                                               \
    const std::string fxs_why_ = (why);                                                              \
    if (!fxs_why_.empty()) {                                                                         \
      std::fprintf(stderr, "\n*** SKIPPED: %s: %s ***\n\n",                                          \
                   ::testing::UnitTest::GetInstance()->current_test_info()->name(), fxs_why_.c_str()); \
      GTEST_SKIP() << fxs_why_;                                                                      \
    }                                                                                                \
  } while (0)

namespace fxs::test {

struct CommandResult {
  int status = -1;     // exit code, or 128 + signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs argv (no shell), feeding it no stdin; kills it after timeout_s.
CommandResult run_command(const std::vector<std::string>& argv, int timeout_s = 120);

// A command running while a test does something else (a load to record);
// killed (SIGKILL) and reaped when it goes out of scope.
class BackgroundCommand {
 public:
  explicit BackgroundCommand(const std::vector<std::string>& argv);  // stdio: /dev/null
  ~BackgroundCommand();
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

// The JSON after `tag` on the first line of `out` that has it ("FXS_TRUTH_HASH "), or null.
nlohmann::json tagged_json_from(const std::string& out, const std::string& tag);
// The JSON of the "FXS_TRUTH {...}" line a sample printed, or null if none.
nlohmann::json truth_from(const std::string& out);
// Empty when `futexscope probe --format json` says `fact` is true; else `why`
// (for FXS_SKIP_UNLESS_EMPTY). A probe that fails is a test failure.
std::string probe_lacks(const std::string& futexscope, const std::string& fact, const std::string& why);
// The report's futex (pid, uaddr) in report["futexes"], or nullptr.
const nlohmann::json* find_futex(const nlohmann::json& report, long pid, const std::string& uaddr);

}  // namespace fxs::test
