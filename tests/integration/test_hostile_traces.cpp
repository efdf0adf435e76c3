// Hostile and damaged trace files (tests/data/hostile/, each described in its
// README) through every reader of the trace: `report` in all three formats,
// `export`, and the window. Each must answer cleanly: exit 0 with the intact
// part read and a warning, or exit 1 with one line; never a signal, a hang or
// memory far beyond what the trace holds (the address space is capped).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "run_command.h"
#include "ui_test_support.h"

using fxs::test::CommandResult;
using fxs::test::run_command;
using fxs::test::TempDir;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kHostileDir = FXS_TEST_DATA_DIR "/hostile";
// Far beyond what any of these small files holds, far below what the
// unchecked readers took (2.5 to 5.5 GB).
const std::string kAddressSpaceCap = "--as=" + std::to_string(uint64_t{1536} << 20);
constexpr int kTimeoutS = 60;  // a hang guard on a loaded CI machine, not a speed target

std::vector<std::string> hostile_files() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(kHostileDir))
    if (e.path().extension() == ".fxs") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

CommandResult run_capped(std::vector<std::string> argv) {
  argv.insert(argv.begin(), {"prlimit", kAddressSpaceCap});
  return run_command(argv, kTimeoutS);
}

// Exit 0 with a warning, or exit 1 with exactly one line.
void expect_clean_answer(const CommandResult& r, const std::string& what) {
  ASSERT_TRUE(r.status == 0 || r.status == 1) << what << ": status " << r.status << "\n" << r.err.substr(0, 2000);
  if (r.status == 1) {
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << what << ":\n" << r.err;
  }
}

class HostileTrace : public ::testing::TestWithParam<std::string> {};

TEST_P(HostileTrace, ReportTextJsonFolded) {
  const std::string& file = GetParam();
  for (const char* format : {"text", "json", "folded"}) {
    CommandResult r = run_capped({kFutexscope, "report", file, "--format", format});
    expect_clean_answer(r, std::string("report --format ") + format);
    if (std::string(format) == "json" && r.status == 0) {
      nlohmann::json j = nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
      ASSERT_FALSE(j.is_discarded()) << "report --format json is not valid JSON";
      EXPECT_TRUE(j.contains("futexes"));
    }
    if (std::string(format) == "folded" && r.status == 0) {
      // One stack per line: "frame;frame;... weight".
      size_t start = 0;
      for (size_t nl; (nl = r.out.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::string line = r.out.substr(start, nl - start);
        EXPECT_NE(line.rfind(' '), std::string::npos) << "folded line without a weight: " << line;
      }
    }
  }
}

TEST_P(HostileTrace, Export) {
  TempDir d;
  CommandResult r = run_capped({kFutexscope, "export", GetParam(), "--format", "chrome", "-o", d.path("out.json")});
  expect_clean_answer(r, "export");
}

TEST_P(HostileTrace, Window) {
  REQUIRE_XVFB_UI();
  TempDir d;
  // The window maps GL buffers: more address space than the readers.
  CommandResult r = run_command({"prlimit", "--as=" + std::to_string(uint64_t{6} << 30), "xvfb-run", "-a", "-s",
                                 "-screen 0 1024x768x24", kFutexscope, "replay", GetParam(), "--screenshot",
                                 d.path("w.png"), "--size", "800x600"},
                                kTimeoutS * 2);
  expect_clean_answer(r, "replay --screenshot");
  if (r.status == 0) {
    EXPECT_TRUE(std::filesystem::exists(d.path("w.png")));
  }
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  return std::filesystem::path(info.param).stem().string();
}

INSTANTIATE_TEST_SUITE_P(Files, HostileTrace, ::testing::ValuesIn(hostile_files()), test_name);

// What a report says about specific damage, rather than printing it as fact.
std::string report_err(const std::string& name, const char* format = "text") {
  return run_capped({kFutexscope, "report", kHostileDir + "/" + name, "--format", format}).err;
}

TEST(HostileTraceWarnings, SequenceGapIsNamed) {
  EXPECT_NE(report_err("chunk_sequence_gap.fxs").find("chunks 1-6 missing"), std::string::npos)
      << report_err("chunk_sequence_gap.fxs");
}

TEST(HostileTraceWarnings, ConcatenatedTracesAreNotAdded) {
  EXPECT_NE(report_err("concat_same.fxs").find("a second recording starts"), std::string::npos);
}

TEST(HostileTraceWarnings, OverflowingWaitsAreNotFacts) {
  CommandResult r = run_capped({kFutexscope, "report", kHostileDir + "/wait_total_overflow.fxs", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("exit time before their entry or more than years after"), std::string::npos) << r.err;
  for (const auto& f : nlohmann::json::parse(r.out)["futexes"]) {
    EXPECT_LT(f["wait_ns"]["max"].get<uint64_t>(), uint64_t{1} << 57) << f.dump();
    EXPECT_GE(f["wait_ns"]["total"].get<uint64_t>(), f["wait_ns"]["max"].get<uint64_t>()) << f.dump();
  }
}

TEST(HostileTraceWarnings, UmcgRecordsOutOfOrderAreClamped) {
  CommandResult r = run_capped({kFutexscope, "report", kHostileDir + "/umcg_time_underflow.fxs", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("UMCG records were earlier"), std::string::npos) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["umcg"]["disordered"].get<uint64_t>(), 0u);
  for (const auto& t : j["umcg"]["tasks"])
    for (const auto& [state, ns] : t["time_ns"].items()) EXPECT_LT(ns.get<uint64_t>(), uint64_t{1} << 57) << state;
}

TEST(HostileTraceWarnings, InvalidUtf8IsReplacedNotFatal) {
  CommandResult r = run_capped({kFutexscope, "report", kHostileDir + "/invalid_utf8_hostname.fxs", "--format", "json"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["hostname"], "\xEF\xBF\xBD");
}

}  // namespace
