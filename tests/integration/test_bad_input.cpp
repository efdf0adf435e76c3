// Bad input gets one line on stderr and a non-zero exit; never a crash or a hang.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "replay/trace_writer.h"
#include "run_command.h"

using fxs::test::run_command;
using fxs::test::TempDir;

namespace {

const std::string kFutexscope = FXS_BINARY;

void expect_one_line_error(const fxs::test::CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.status, 0);
  EXPECT_LT(r.status, 128) << "crashed: " << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
}

TEST(BadInput, ReportMissingFile) {
  expect_one_line_error(run_command({kFutexscope, "report", "/nonexistent.fxs"}), "No such file");
}

TEST(BadInput, ReportGarbageFile) {
  TempDir d;
  std::ofstream(d.path("g.fxs")) << "this is not a trace at all, just some text\n";
  expect_one_line_error(run_command({kFutexscope, "report", d.path("g.fxs")}), "not a futexscope trace");
}

TEST(BadInput, ReportEmptyFile) {
  TempDir d;
  std::ofstream(d.path("e.fxs")).flush();
  expect_one_line_error(run_command({kFutexscope, "report", d.path("e.fxs")}), "e.fxs");
}

TEST(BadInput, UnknownOption) {
  expect_one_line_error(run_command({kFutexscope, "report", "x.fxs", "--frobnicate"}), "unknown option");
  expect_one_line_error(run_command({kFutexscope, "record", "--frobnicate"}), "unknown option");
}

TEST(BadInput, UnknownCommand) {
  expect_one_line_error(run_command({kFutexscope, "frobnicate"}), "unknown command");
}

TEST(BadInput, BadDuration) {
  expect_one_line_error(run_command({kFutexscope, "record", "--duration", "soon"}), "bad duration");
}

// A bare number was taken as seconds (`--min-wait 5`: five seconds, not the 5 us
// meant): refused before anything is recorded, naming the option and the units.
TEST(BadInput, DurationWithoutUnit) {
  TempDir d;
  const std::string units = "needs a unit: ns, us, ms, s, m or h";
  for (const char* cmd : {"record", "live"}) {
    for (const char* opt : {"--min-wait", "--duration"}) {
      auto r = run_command({kFutexscope, cmd, "-o", d.path("t.fxs"), opt, "5", "--", "true"}, 30);
      SCOPED_TRACE(std::string(cmd) + " " + opt + " 5");
      expect_one_line_error(r, "bad duration '5' for " + std::string(opt) + " (" + units);
      EXPECT_EQ(r.status, 2) << r.err;
    }
  }
  expect_one_line_error(run_command({kFutexscope, "record", "--stack-min-wait", "1", "--", "true"}, 30),
                        "for --stack-min-wait (" + units);
  expect_one_line_error(run_command({kFutexscope, "live", "--screenshot-after", "2", "--", "true"}, 30),
                        "for --screenshot-after (" + units);
  // A missing value is said as such, not as a bad duration.
  expect_one_line_error(run_command({kFutexscope, "record", "--min-wait"}), "option --min-wait needs a value");
}

// `record --serve` and `ui --connect` take PORT, :PORT, HOST:PORT or a unix
// socket path; anything else was looked up as a service name ("Servname not
// supported for ai_socktype").
TEST(BadInput, ServeAddressThatIsNoAddress) {
  const std::string forms = "not an address: give PORT or :PORT (loopback), HOST:PORT, or a unix socket path";
  for (const char* addr : {"notaport", "localhost:http", "127.0.0.1:65536", ":", "1.2.3.4:-1"}) {
    SCOPED_TRACE(addr);
    TempDir d;
    auto r = run_command({kFutexscope, "record", "--serve", addr, "-o", d.path("t.fxs"), "--", "true"}, 30);
    expect_one_line_error(r, "--serve " + std::string(addr) + ": " + forms);
    EXPECT_EQ(r.err.find("Servname"), std::string::npos) << r.err;
    expect_one_line_error(run_command({kFutexscope, "ui", "--connect", addr}), "--connect " + std::string(addr) + ": " + forms);
  }
}

// A trace with nothing in it but its stop record.
void write_empty_trace(const std::string& path) {
  auto w = fxs::TraceWriter::create(path, fxs::TraceHeader{});
  ASSERT_TRUE(w.ok()) << w.message();
  ASSERT_TRUE(w->append_stop(1000).ok());
  ASSERT_TRUE(w->close().ok());
}

// A failed write names the file and the cause, not only that it failed.
TEST(BadInput, ExportWriteErrorNamesFileAndErrno) {
  TempDir d;
  const std::string trace = d.path("t.fxs");
  ASSERT_NO_FATAL_FAILURE(write_empty_trace(trace));
  auto ok = run_command({kFutexscope, "export", trace, "--format", "chrome", "-o", d.path("t.json")});
  ASSERT_EQ(ok.status, 0) << ok.err;
  expect_one_line_error(run_command({kFutexscope, "export", trace, "--format", "chrome", "-o", "/dev/full"}),
                        "futexscope export: write /dev/full: No space left on device");
}

// `report > /dev/full` used to exit 0 with nothing written: a failed write
// is one line and status 1; a reader that stops early (`| head`) is not an error.
TEST(BadInput, ReportToAFullDiskFailsAndToAClosedPipeDoesNot) {
  TempDir d;
  const std::string trace = d.path("t.fxs");
  ASSERT_NO_FATAL_FAILURE(write_empty_trace(trace));
  auto full = run_command({"/bin/sh", "-c", "exec \"$0\" report \"$1\" > /dev/full", kFutexscope, trace});
  EXPECT_EQ(full.status, 1);
  EXPECT_EQ(full.err, "futexscope report: write to stdout: No space left on device\n");
  auto head = run_command(
      {"/bin/sh", "-c", "\"$0\" report \"$1\" --format json | head -c 1 >/dev/null", kFutexscope, trace});
  EXPECT_EQ(head.err.find("futexscope"), std::string::npos) << head.err;
}

TEST(BadInput, HelpExitsZero) {
  for (const char* cmd : {"record", "report", "probe"}) {
    auto r = run_command({kFutexscope, cmd, "--help"});
    EXPECT_EQ(r.status, 0) << cmd;
    EXPECT_NE(r.out.find("usage: futexscope"), std::string::npos) << cmd;
  }
}

}  // namespace
