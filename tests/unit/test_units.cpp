// cli/units.h: durations need a unit (a bare `--min-wait 5` was taken as
// 5 s), and the error names the option and the units.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "cli/units.h"

namespace {

using fxs::parse_duration_ns;
using fxs::parse_duration_option;

TEST(Units, DurationWithUnits) {
  EXPECT_EQ(parse_duration_ns("250ns").value(), 250u);
  EXPECT_EQ(parse_duration_ns("100us").value(), 100000u);
  EXPECT_EQ(parse_duration_ns("1.5ms").value(), 1500000u);
  EXPECT_EQ(parse_duration_ns("10s").value(), 10000000000u);
  EXPECT_EQ(parse_duration_ns("2m").value(), 120000000000u);
  EXPECT_EQ(parse_duration_ns("1h").value(), 3600000000000u);
  EXPECT_EQ(parse_duration_ns(".5s").value(), 500000000u);
}

TEST(Units, BareNumberIsRefusedExceptZero) {
  for (const char* s : {"5", "10", "0.5", "100"}) {
    auto d = parse_duration_ns(s);
    ASSERT_FALSE(d.ok()) << s << " was taken as " << d.value() << " ns";
    EXPECT_NE(d.message().find("needs a unit"), std::string::npos) << d.message();
    EXPECT_NE(d.message().find(fxs::kDurationUnits), std::string::npos) << d.message();
  }
  // 0 is 0 in every unit (`--stack-min-wait 0`: every wait).
  EXPECT_EQ(parse_duration_ns("0").value(), 0u);
  EXPECT_EQ(parse_duration_ns("0ms").value(), 0u);
}

TEST(Units, NotADuration) {
  for (const char* s : {"", "soon", "-1s", "s", "5 s", "5sec", "5S", "1e30h"}) {
    auto d = parse_duration_ns(s);
    EXPECT_FALSE(d.ok()) << "'" << s << "' was taken as " << d.value() << " ns";
  }
  EXPECT_NE(parse_duration_ns("5sec").message().find("unknown unit 'sec'"), std::string::npos);
}

TEST(Units, OptionErrorNamesOptionUnitsAndExample) {
  uint64_t ns = 7;
  std::string bad = parse_duration_option("--min-wait", "5", "100us", true, ns);
  EXPECT_EQ(bad, "bad duration '5' for --min-wait (needs a unit: ns, us, ms, s, m or h; e.g. 100us)");
  EXPECT_EQ(ns, 7u) << "left alone on an error";
  EXPECT_EQ(parse_duration_option("--min-wait", "0", "100us", true, ns), "");
  EXPECT_EQ(ns, 0u);
  // --duration 0 would mean "stop at once".
  bad = parse_duration_option("--duration", "0s", "10s", false, ns);
  EXPECT_EQ(bad, "bad duration '0s' for --duration (must be more than 0; e.g. 10s)");
  EXPECT_EQ(parse_duration_option("--duration", "300ms", "10s", false, ns), "");
  EXPECT_EQ(ns, 300000000u);
}

}  // namespace
