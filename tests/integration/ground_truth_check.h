// The comparison of a report with a sample's FXS_TRUTH line, shared by the
// integration tests and the VM tests (tests/vm/): one copy, so a check added
// for one kernel is made on every kernel.
#pragma once

#include <nlohmann/json.hpp>

namespace fxs::test {

// Every futex the sample lists, exactly: ops, waits, eagain, timeouts,
// interrupted, woken, requeued; lost == 0; and on per-event traces who woke
// whom (where the sample knows it), herd sizes, empty wakes and what ended
// the waits that timed out or were interrupted.
void expect_matches_truth(const nlohmann::json& truth, const nlohmann::json& report);

}  // namespace fxs::test
