// The comparison of a report with a sample's FXS_TRUTH line, shared by the
// integration tests and the VM tests (tests/vm/): one copy, so a check added
// for one kernel is made on every kernel.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace fxs::test {

// Every futex the sample lists, exactly: ops, waits, eagain, timeouts,
// interrupted, woken, requeued; lost == 0; and on per-event traces who woke
// whom (where the sample knows it), herd sizes, empty wakes and what ended
// the waits that timed out or were interrupted.
void expect_matches_truth(const nlohmann::json& truth, const nlohmann::json& report);

// fxs-sample-numa's truth "numa.wakes_by_node" (what its FUTEX_WAKE calls on
// the word returned, by waker's and woken thread's node) against the report:
// the word's own cells (futexes[].numa.wakes_by_node) exactly, and the
// report-wide numa.wake_matrix at least as large in every cell (it also
// counts glibc's own locks, such as the one two exiting threads can meet on).
void expect_wake_matrix_matches(const nlohmann::json& truth_numa, const nlohmann::json& report, long pid,
                                const std::string& uaddr);

}  // namespace fxs::test
