// The rseq and UMCG tabs and the futex tab's stacks, drawn by `replay
// --view TAB --screenshot` under xvfb-run (llvmpipe); the PNG is decoded and
// the colours only those views draw are counted.
//
// UMCG exists on no kernel here (never merged), so its trace is synthetic:
// written with replay/trace_writer in the recorded format, a simulated
// schedule of two servers running four workers, with the workers' futex
// waits (and their stacks) while they are blocked. The rseq trace is a real
// recording of fxs-sample-rseq (root).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "replay/trace_writer.h"
#include "run_command.h"
#include "ui_test_support.h"

// stb_image is compiled into test_ui.cpp (STB_IMAGE_IMPLEMENTATION); only the declarations here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#define STBI_ONLY_PNG
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

using fxs::test::run_command;
using fxs::test::TempDir;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

struct Rgb {
  unsigned char r, g, b;
};

// Pixels of each colour in the PNG; also checks its size. Copies it to
// $FXS_UI_TEST_OUT if set, for a human to look at.
std::vector<size_t> count_colors(const std::string& png, int w, int h, const std::vector<Rgb>& want) {
  if (const char* out = std::getenv("FXS_UI_TEST_OUT")) {
    EXPECT_EQ(std::system(("cp '" + png + "' '" + out + "/'").c_str()), 0) << "FXS_UI_TEST_OUT=" << out;
  }
  int pw = 0, ph = 0, n = 0;
  unsigned char* px = stbi_load(png.c_str(), &pw, &ph, &n, 3);
  std::vector<size_t> counts(want.size(), 0);
  if (!px) {
    ADD_FAILURE() << "not a PNG: " << png;
    return counts;
  }
  EXPECT_EQ(pw, w);
  EXPECT_EQ(ph, h);
  for (int i = 0; i < pw * ph; i++)
    for (size_t k = 0; k < want.size(); k++)
      if (px[i * 3] == want[k].r && px[i * 3 + 1] == want[k].g && px[i * 3 + 2] == want[k].b) counts[k]++;
  stbi_image_free(px);
  return counts;
}

// The PNG's RGB bytes, if it is kW x kH (else empty); copied to $FXS_UI_TEST_OUT if set.
std::vector<unsigned char> load_rgb(const std::string& png, int kW, int kH) {
  count_colors(png, kW, kH, {});  // checks the size; copies it to $FXS_UI_TEST_OUT
  int w = 0, h = 0, n = 0;
  unsigned char* px = stbi_load(png.c_str(), &w, &h, &n, 3);
  std::vector<unsigned char> v;
  if (px && w == kW && h == kH) v.assign(px, px + size_t(w) * size_t(h) * 3);
  stbi_image_free(px);
  return v;
}

// Runs `replay TRACE --screenshot` at kW x kH under Xvfb (with `--tab TAB`
// if given) and returns the picture's RGB bytes (empty if it failed).
std::vector<unsigned char> screenshot_rgb(const std::string& trace, const std::string& png, int kW, int kH,
                                          const std::string& tab = "") {
  std::vector<std::string> cmd = {"xvfb-run", "-a", "-s", "-screen 0 1280x1100x24", kFutexscope, "replay", trace,
                                  "--screenshot", png, "--size", std::to_string(kW) + "x" + std::to_string(kH)};
  if (!tab.empty()) cmd.insert(cmd.end(), {"--tab", tab});
  auto r = run_command(cmd, 60);
  EXPECT_EQ(r.status, 0) << r.err;
  return load_rgb(png, kW, kH);
}

// ---- a synthetic UMCG trace ----

constexpr uint32_t kPid = 900;
constexpr uint64_t kT0 = 5'000'000'000;  // boot-time ns of the first record
constexpr uint64_t kLock = 0x7f0000001000;

struct Writer {
  fxs::TraceWriter& w;
  void umcg(uint64_t ts, uint32_t tid, uint8_t sc, uint8_t phase, uint32_t state, uint32_t flags = 0,
            uint32_t next_tid = 0, uint32_t server_tid = 0) {
    fxs_umcg_rec r{};
    r.hdr = {FXS_REC_UMCG, sizeof(r), 0};
    r.ts_ns = ts;
    r.tgid = kPid;
    r.tid = tid;
    r.flags = flags;
    r.state = state;
    r.next_tid = next_tid;
    r.server_tid = server_tid;
    r.syscall = sc;
    r.phase = phase;
    r.task_read = 1;
    ASSERT_TRUE(w.append(&r, sizeof(r)).ok());
  }
  void task(uint32_t tid, const char* name) {
    fxs_task_rec t{};
    t.hdr = {FXS_REC_TASK, sizeof(t), 0};
    t.ts_ns = kT0;
    t.tgid = kPid;
    t.tid = tid;
    std::strncpy(t.comm, name, sizeof t.comm - 1);
    std::strncpy(t.pcomm, "umcg-demo", sizeof t.pcomm - 1);
    ASSERT_TRUE(w.append(&t, sizeof(t)).ok());
  }
  // A futex(2) call on kLock; op = the command | FUTEX_PRIVATE_FLAG.
  void call(uint32_t tid, uint8_t opi, uint64_t enter, uint64_t exit, int32_t ret, int32_t stack) {
    fxs_futex_rec r{};
    r.hdr = {FXS_REC_FUTEX, sizeof(r), 0};
    r.enter_ns = enter;
    r.exit_ns = exit;
    r.tgid = kPid;
    r.tid = tid;
    r.uaddr = kLock;
    r.op = 128u | opi;
    r.val = opi == FXS_OP_FUTEX_WAKE ? 1 : 0;  // a wake asks for one waiter
    r.ret = ret;
    r.syscall = FXS_SC_FUTEX;
    r.opi = opi;
    r.ustack_id = stack;
    ASSERT_TRUE(w.append(&r, sizeof(r)).ok());
  }
  void wait(uint32_t tid, uint64_t enter, uint64_t exit, int32_t stack) {
    call(tid, FXS_OP_FUTEX_WAIT, enter, exit, 0, stack);
  }
  void wake(uint32_t tid, uint64_t enter, uint64_t exit, int32_t ret) {
    call(tid, FXS_OP_FUTEX_WAKE, enter, exit, ret, -1);
  }
  void stack(int32_t id, const std::vector<std::string>& frames) {
    std::string names;
    for (const auto& f : frames) names += f + '\0';
    size_t total = (sizeof(fxs_stack_rec) + frames.size() * 8 + names.size() + 7) & ~size_t(7);
    std::vector<uint8_t> buf(total, 0);
    fxs_stack_rec s{};
    s.hdr = {FXS_REC_STACK, uint16_t(total), 0};
    s.tgid = kPid;
    s.stack_id = id;
    s.nframes = uint32_t(frames.size());
    std::memcpy(buf.data(), &s, sizeof s);
    for (size_t i = 0; i < frames.size(); i++) {
      uint64_t ip = 0x400000 + i * 0x40;
      std::memcpy(buf.data() + sizeof s + i * 8, &ip, 8);
    }
    std::memcpy(buf.data() + sizeof s + frames.size() * 8, names.data(), names.size());
    ASSERT_TRUE(w.append(buf.data(), buf.size()).ok());
  }
};

// Two servers (901, 902), each running two workers in turn for 2-8 ms; a
// worker then blocks in FUTEX_WAIT for 3-12 ms (its server's umcg_wait
// returns) and comes back RUNNABLE; every 5th run ends in a preemption
// (PREEMPT, then RUNNABLE at once). One record per umcg_* enter and exit,
// each task's records in time order.
// The stacks of the waits (ids 7 and 8): the most waits have stack 7, which has 4 frames.
const std::vector<std::string> kStack7 = {"syscall+0x19", "demo::lock(demo::Mutex&)+0x2c",
                                          "demo::worker_loop(int)+0x88", "start_thread+0x8b"};
const std::vector<std::string> kStack8 = {"syscall+0x19", "demo::lock(demo::Mutex&)+0x2c", "demo::flush_queue()+0x41",
                                          "demo::worker_loop(int)+0xd0", "start_thread+0x8b"};

// with_stacks = false: the same waits, taken with no stack (as `record --no-stacks`).
void write_umcg_trace(const std::string& path, bool with_umcg, bool with_stacks = true) {
  fxs::TraceHeader h;
  h.kernel_release = "6.18.0-synthetic";
  h.target_pid = int32_t(kPid);
  auto tw = fxs::TraceWriter::create(path, h, 64 << 10);
  ASSERT_TRUE(tw.ok()) << tw.message();
  Writer w{*tw};
  const uint32_t servers[2] = {901, 902};
  const uint32_t workers[2][2] = {{903, 904}, {905, 906}};
  w.task(901, "server-0");
  w.task(902, "server-1");
  for (uint32_t t = 903; t <= 906; t++) w.task(t, ("worker-" + std::to_string(t - 903)).c_str());
  if (with_stacks) {
    w.stack(7, kStack7);
    w.stack(8, kStack8);
  }
  constexpr uint32_t RUNNING = FXS_UMCG_TASK_RUNNING, RUNNABLE = FXS_UMCG_TASK_RUNNABLE,
                     BLOCKED = FXS_UMCG_TASK_BLOCKED;
  uint64_t rng = 12345;
  auto rnd = [&](uint64_t lo, uint64_t hi) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (rng >> 33) % (hi - lo + 1);
  };
  // Per worker: when it is runnable again (after blocking).
  uint64_t ready_at[2][2] = {{0, 0}, {0, 0}};
  for (int s = 0; s < 2; s++) {
    uint64_t t = kT0 + uint64_t(s) * 50'000;
    if (with_umcg) {
      w.umcg(t, servers[s], FXS_UMCG_SC_CTL, 0, 0, FXS_UMCG_CTL_REGISTER);
      w.umcg(t + 2'000, servers[s], FXS_UMCG_SC_CTL, 1, RUNNING, FXS_UMCG_CTL_REGISTER);
      for (int k = 0; k < 2; k++) {
        uint32_t wt = workers[s][k];
        w.umcg(t + 5'000 + k * 3'000, wt, FXS_UMCG_SC_CTL, 0, 0, FXS_UMCG_CTL_REGISTER | FXS_UMCG_CTL_WORKER);
        w.umcg(t + 6'000 + k * 3'000, wt, FXS_UMCG_SC_CTL, 1, RUNNABLE,
               FXS_UMCG_CTL_REGISTER | FXS_UMCG_CTL_WORKER, 0, servers[s]);
      }
    }
    t += 20'000;
    // Each worker's records must stay in time order; the server's too.
    uint64_t last_worker_ts[2] = {t, t};
    for (int run = 0; run < 40; run++) {
      int k = run % 2;
      if (ready_at[s][k] > t) k = 1 - k;       // the other one, if it is ready sooner
      t = std::max(t, ready_at[s][k]);         // else the server waits for one
      uint32_t srv = servers[s], wk = workers[s][k];
      uint64_t start = std::max(t, last_worker_ts[k] + 1'000);
      uint64_t ran = rnd(2'000'000, 8'000'000);
      uint64_t stop = start + ran;
      if (with_umcg) {
        w.umcg(start, srv, FXS_UMCG_SC_WAIT, 0, RUNNING, 0, wk);
        w.umcg(start + 3'000, wk, FXS_UMCG_SC_WAIT, 1, RUNNING, 0, 0, srv);
      }
      if (run % 5 == 4) {  // preempted: the server kicks it, it is runnable at once
        if (with_umcg) {
          w.umcg(stop - 5'000, wk, FXS_UMCG_SC_WAIT, 0, RUNNING | FXS_UMCG_TF_PREEMPT, 0, 0, srv);
          w.umcg(stop, wk, FXS_UMCG_SC_WAIT, 1, RUNNABLE, 0, 0, srv);
          w.umcg(stop + 2'000, srv, FXS_UMCG_SC_WAIT, 1, RUNNING);
          w.umcg(stop + 4'000, srv, FXS_UMCG_SC_KICK, 0, RUNNING);
          w.umcg(stop + 5'000, srv, FXS_UMCG_SC_KICK, 1, RUNNING);
        }
        ready_at[s][k] = stop + 6'000;
        last_worker_ts[k] = stop;
        t = stop + 6'000;
      } else {  // it blocks on the lock for a while
        uint64_t blocked = rnd(3'000'000, 12'000'000);
        if (with_umcg) {
          w.umcg(stop, wk, FXS_UMCG_SC_WAIT, 0, BLOCKED, 0, 0, srv);
          w.umcg(stop + 2'000, srv, FXS_UMCG_SC_WAIT, 1, RUNNING);
        }
        w.wait(wk, stop + 1'000, stop + blocked - 1'000, !with_stacks ? -1 : run % 3 == 0 ? 8 : 7);
        if (with_umcg) w.umcg(stop + blocked, wk, FXS_UMCG_SC_WAIT, 1, RUNNABLE, 0, 0, srv);
        ready_at[s][k] = stop + blocked + 1'000;
        last_worker_ts[k] = stop + blocked;
        t = stop + 4'000;
      }
    }
  }
  ASSERT_TRUE(tw->close().ok());
}

// Colours of ui/view_umcg.cpp: RUNNING, RUNNABLE, BLOCKED, and the hues of
// the first two workers (a server's lane while it runs them).
const std::vector<Rgb> kUmcgColors = {{96, 184, 96}, {232, 192, 64}, {216, 72, 80}, {100, 150, 240}, {180, 120, 240}};

TEST(UiViews, UmcgTabDrawsServerAndWorkerLanesOfASyntheticTrace) {
  REQUIRE_XVFB_UI();
  TempDir dir;
  std::string trace = dir.path("umcg.fxs"), png = dir.path("umcg.png");
  write_umcg_trace(trace, true);
  auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1280x900x24", kFutexscope, "replay", trace, "--view",
                        "umcg", "--screenshot", png, "--size", "1200x800"},
                       60);
  ASSERT_EQ(r.status, 0) << r.err;
  auto n = count_colors(png, 1200, 800, kUmcgColors);
  // The legend's swatches are 11x11 (121 px) each; the lanes are far more.
  EXPECT_GE(n[0], 3000u) << "RUNNING worker spans missing";
  EXPECT_GE(n[1], 3000u) << "RUNNABLE worker spans missing";
  EXPECT_GE(n[2], 3000u) << "BLOCKED worker spans missing";
  EXPECT_GE(n[3], 2000u) << "server 901 running worker 903 missing";
  EXPECT_GE(n[4], 2000u) << "server 901 running worker 904 missing";
}

TEST(UiViews, UmcgTabWithoutUmcgRecordsDrawsNoLanes) {
  REQUIRE_XVFB_UI();
  TempDir dir;
  std::string trace = dir.path("plain.fxs"), png = dir.path("no-umcg.png");
  write_umcg_trace(trace, false);  // the same futex waits, no UMCG records
  auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1280x900x24", kFutexscope, "replay", trace, "--view",
                        "umcg", "--screenshot", png, "--size", "1200x800"},
                       60);
  ASSERT_EQ(r.status, 0) << r.err;
  auto n = count_colors(png, 1200, 800, kUmcgColors);
  for (size_t k = 0; k < n.size(); k++) EXPECT_EQ(n[k], 0u) << "colour " << k << " drawn without UMCG records";
}

// A process hung in a three-thread deadlock before the recording: the window
// shows the deadlock banner and an open bar per stuck thread (ui/palette.h
// kWarn outlines them), though the trace holds no futex call at all; a
// process that only sleeps shows neither.
TEST(UiViews, HungProcessShowsItsDeadlockAndOpenWaits) {
  REQUIRE_ROOT();
  REQUIRE_XVFB_UI();
  TempDir dir;
  const std::string out = dir.path("out.txt"), err = dir.path("err.txt");
  const Rgb kWarn{240, 170, 40};
  auto warn_pixels = [&](const std::string& scenario) {
    const std::string trace = dir.path(scenario + ".fxs"), png = dir.path(scenario + ".png");
    auto rec = run_command({"/bin/sh", "-c",
                            "exec \"$0\" record -q --duration 1s -o \"$1\" -- \"$2\" $3 > \"$4\" 2> \"$5\"",
                            kFutexscope, trace, scenario == "sleep" ? "/bin/sleep" : kSamples + "/fxs-sample-deadlock",
                            scenario == "sleep" ? "30" : "--scenario " + scenario, out, err});
    EXPECT_EQ(rec.status, 0);
    // "the command (pid N) is still running and was left running"
    std::ifstream e(err);
    std::string said((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
    const size_t at = said.find("(pid ");
    EXPECT_NE(at, std::string::npos) << said;
    if (at != std::string::npos) kill(pid_t(std::atol(said.c_str() + at + 5)), SIGKILL);
    auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1280x900x24", kFutexscope, "replay", trace, "--tab",
                          "blocked", "--screenshot", png, "--size", "1200x800"},
                         60);
    EXPECT_EQ(r.status, 0) << r.err;
    return count_colors(png, 1200, 800, {kWarn})[0];
  };
  EXPECT_GE(warn_pixels("cycle3"), 3000u) << "no deadlock banner or open bars";
  EXPECT_EQ(warn_pixels("sleep"), 0u) << "a sleeping process drew a blocked wait";
}

TEST(UiViews, BadViewNameOrMemoryLimitIsAOneLineUsageError) {
  REQUIRE_UI_BUILT();
  auto r = run_command({kFutexscope, "replay", "x.fxs", "--view", "numa-nope"});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("--view"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  for (const char* cmd : {"replay", "live", "ui"}) {
    r = run_command({kFutexscope, cmd, "--memory-limit", "lots"});
    EXPECT_EQ(r.status, 2) << cmd;
    EXPECT_NE(r.err.find("bad --memory-limit 'lots'"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

// The futex tab's stack list. The synthetic trace's one futex has waits with
// two stacks; the tab lists them by wait time, the first expanded to its
// frames, the second collapsed, then the futex's operations. Text is not read
// back from pixels, but its lines are counted: the screenshot is compared
// with one of the same trace whose waits carry no stacks, where the tab says
// "none: ..." in the disabled text colour instead (the window is tall enough
// for the whole tab in both, so the layout above the stacks is the same).
// Where the two differ, the trace with stacks must show one more line of
// normal (bright) text per stack header and per frame of the expanded stack.
TEST(UiViews, FutexTabDrawsTheStacksOfTheWaits) {
  REQUIRE_XVFB_UI();
  TempDir dir;
  std::string with = dir.path("stacks.fxs"), without = dir.path("nostack.fxs");
  write_umcg_trace(with, false, true);
  write_umcg_trace(without, false, false);
  auto rep = run_command({kFutexscope, "report", with, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  auto j = nlohmann::json::parse(rep.out);
  ASSERT_EQ(j["futexes"].size(), 1u);
  ASSERT_EQ(j["futexes"][0]["stacks"].size(), 2u) << "the fixture's two stacks";
  // Stack 7 is on 2 of every 3 waits, each 3-12 ms: the most wait time, listed first.
  constexpr int kW = 1200, kH = 1000;
  auto a = screenshot_rgb(with, dir.path("stacks.png"), kW, kH);
  auto b = screenshot_rgb(without, dir.path("nostack.png"), kW, kH);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  // The side panel (its scroll bar left out), above the status bar.
  const int x0 = kW * 3 / 5, x1 = kW - 25, y_end = kH - 30;
  auto at = [&](const std::vector<unsigned char>& v, int x, int y) { return &v[(size_t(y) * kW + size_t(x)) * 3]; };
  int first = -1, last = -1;
  for (int y = 0; y < y_end; y++)
    for (int x = x0; x < x1; x++)
      if (std::memcmp(at(a, x, y), at(b, x, y), 3) != 0) {
        if (first < 0) first = y;
        last = y;
        break;
      }
  ASSERT_GE(first, 0) << "the futex tab looks the same with and without stacks";
  // Lines of bright text (white glyphs, not the grey of disabled text) in those rows.
  auto bright_lines = [&](const std::vector<unsigned char>& v) {
    int lines = 0, last_row = -100;
    for (int y = first; y <= last; y++) {
      bool bright = false;
      for (int x = x0; x < x1 && !bright; x++) {
        const unsigned char* p = at(v, x, y);
        bright = std::min({p[0], p[1], p[2]}) >= 180;
      }
      if (!bright) continue;
      if (y - last_row > 4) lines++;  // glyph rows of one line are at most a few pixels apart
      last_row = y;
    }
    return lines;
  };
  // The lines below the stacks (the operations) are in both, moved down by the stacks.
  EXPECT_EQ(bright_lines(a) - bright_lines(b), int(2 + kStack7.size()))
      << "two stack headers and the first stack's frames (rows " << first << " to " << last << ")";
}

// Colours of ui/view_rseq.cpp: preempted, signal.
const std::vector<Rgb> kCauseColors = {{255, 160, 60}, {200, 120, 220}};

TEST(UiViews, RseqTabShowsTheAbortsOfTheRseqSampleByCause) {
  REQUIRE_ROOT();
  REQUIRE_XVFB_UI();
  TempDir dir;
  std::string trace = dir.path("rseq.fxs"), png = dir.path("rseq.png");
  auto rec = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-rseq",
                          "--signal-every-ms", "10"},
                         60);
  ASSERT_EQ(rec.status, 0) << rec.err;
  auto truth = fxs::test::truth_from(rec.out);
  ASSERT_TRUE(truth.is_object()) << "no FXS_TRUTH line";
  long aborts = truth["rseq"]["aborts"];
  if (aborts < 20) GTEST_SKIP() << "the sample aborted only " << aborts << " times: nothing to draw";
  // What the tab shows comes from the same model as the report's rseq object.
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  auto rs = nlohmann::json::parse(rep.out)["rseq"];
  long preempted = rs["causes"]["preempted"], signal = rs["causes"]["signal"];

  auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1280x900x24", kFutexscope, "replay", trace, "--view",
                        "rseq", "--screenshot", png, "--size", "1200x800"},
                       60);
  ASSERT_EQ(r.status, 0) << r.err;
  auto n = count_colors(png, 1200, 800, kCauseColors);
  // Without the histogram these colours cover 78 and 70 px (legend swatch,
  // table digits; measured with the histogram call removed). A bar is 4 px
  // wide and 91 px x (its aborts / the tallest bar's) high, so the bars of N
  // aborts of a cause add about 4 x 91 x N / peak px.
  if (preempted >= 20) {
    EXPECT_GE(n[0], 300u) << "preempted aborts not in the histogram";
  }
  if (signal >= 5) {
    EXPECT_GE(n[1], 140u) << "signal aborts not in the histogram";
  } else if (signal == 0) {
    EXPECT_LE(n[1], 90u) << "signal colour drawn with no signal aborts";
  }
}

// The Trace tab's "name  value" rows (ui/key_value_table): values wrap at the
// panel's width. With both columns fitted to their content, a wrapped value
// reported its narrowest width and came out one character per line, so the
// trace's long path alone filled the panel with ~60 lines. Lines of bright
// text in the side panel are counted: a handful of rows, counters and
// warnings, far fewer than the characters of the path.
TEST(UiViews, TraceTabValuesWrapAtThePanelNotPerCharacter) {
  REQUIRE_XVFB_UI();
  TempDir dir;
  std::string trace = dir.path("a-trace-with-a-long-file-name-that-takes-some-room.fxs");
  std::string png = dir.path("trace-tab.png");
  write_umcg_trace(trace, false, false);
  constexpr int kW = 1200, kH = 1000;
  const std::vector<unsigned char> px = screenshot_rgb(trace, png, kW, kH, "trace");
  ASSERT_FALSE(px.empty());
  int lines = 0, last_row = -100;
  for (int y = kH / 3; y < kH - 30; y++) {  // the side panel, above the status bar
    bool bright = false;
    for (int x = kW * 3 / 5; x < kW - 25 && !bright; x++) {
      const unsigned char* p = &px[(size_t(y) * kW + size_t(x)) * 3];
      bright = std::min({p[0], p[1], p[2]}) >= 180;
    }
    if (!bright) continue;
    if (y - last_row > 4) lines++;
    last_row = y;
  }
  std::printf("trace tab: %d lines of bright text in the side panel\n", lines);
  EXPECT_GE(lines, 6) << "the trace tab's rows are missing";
  EXPECT_LE(lines, 25) << "values wrapped per character (the path alone has " << trace.size() << ")";
}

// Two threads take turns: one waits 800 us, the other wakes it 600 us in.
// With woke = false every wake returns 0 (woke nobody): the same marks, and
// no wake -> wait arrow. With poller, a third thread whose waits all fail
// with EAGAIN (it never queues: a quiet thread).
void write_ping_pong_trace(const std::string& path, bool woke, bool poller = false) {
  auto tw = fxs::TraceWriter::create(path, fxs::TraceHeader{});
  ASSERT_TRUE(tw.ok()) << tw.message();
  Writer w{*tw};
  w.task(911, "ping");
  w.task(912, "pong");
  if (poller) w.task(913, "poller");
  for (uint64_t k = 0; k < 12; k++) {
    const uint64_t t = kT0 + k * 1'000'000;
    const uint32_t waiter = k % 2 ? 912 : 911, waker = k % 2 ? 911 : 912;
    w.wait(waiter, t, t + 800'000, -1);
    w.wake(waker, t + 600'000, t + 620'000, woke ? 1 : 0);
    if (poller) w.call(913, FXS_OP_FUTEX_WAIT, t + 100'000, t + 101'000, -11, -1);
  }
  ASSERT_TRUE(tw->append_stop(kT0 + 13'000'000).ok());
  ASSERT_TRUE(tw->close().ok());
}

// The timeline draws the wake -> wait arrow of every woken wait in view
// (ui/wake_arrows.h), not only the selected call's: the screenshot of a
// ping-pong whose wakes woke their waiters differs from one whose wakes woke
// nobody by the arrows, in the timeline only (the futex table below differs
// in its counts and is left out).
TEST(UiViews, TimelineDrawsTheWakeArrowsOfTheWaitsInView) {
  REQUIRE_XVFB_UI();
  TempDir dir;
  constexpr int kW = 1200, kH = 800;
  write_ping_pong_trace(dir.path("woke.fxs"), true);
  write_ping_pong_trace(dir.path("nobody.fxs"), false);
  auto a = screenshot_rgb(dir.path("woke.fxs"), dir.path("woke.png"), kW, kH);
  auto b = screenshot_rgb(dir.path("nobody.fxs"), dir.path("nobody.png"), kW, kH);
  ASSERT_FALSE(a.empty());
  ASSERT_FALSE(b.empty());
  auto rep = run_command({kFutexscope, "export", dir.path("woke.fxs"), "--format", "chrome", "-o", dir.path("w.json")});
  ASSERT_EQ(rep.status, 0) << rep.err;
  EXPECT_NE(rep.err.find("12 wake arrows"), std::string::npos) << rep.err;  // the same rule pairs all 12
  // The replay bar and the timeline: the top fifth of the window.
  size_t differ = 0;
  for (int y = 0; y < kH / 5; y++)
    for (int x = 0; x < kW; x++)
      if (std::memcmp(&a[(size_t(y) * kW + size_t(x)) * 3], &b[(size_t(y) * kW + size_t(x)) * 3], 3) != 0) differ++;
  std::printf("wake arrows: %zu pixels differ in the timeline\n", differ);
  EXPECT_GE(differ, 12u * 20) << "12 arrows, each a line of 20+ px and a head";
}

// Frames redraw only what changed (ui/frame_renderer.h): after 40 bench
// frames panning and zooming the timeline, the picture is the same, pixel
// for pixel, as with every frame drawn whole (--full-redraw), and the bench
// says less of the window was drawn again. The status bar's load time and
// rate differ from run to run and are left out.
TEST(UiViews, RedrawingOnlyWhatChangedDrawsTheSamePixelsAsWholeFrames) {
  REQUIRE_XVFB_UI();
  TempDir dir;
  constexpr int kW = 1200, kH = 800, kStatusBar = 40;
  write_ping_pong_trace(dir.path("pp.fxs"), true);
  auto bench = [&](const std::string& png, bool full, int& redrawn) {
    std::vector<std::string> cmd = {"xvfb-run", "-a", "-s", "-screen 0 1280x1100x24", kFutexscope, "replay",
                                    dir.path("pp.fxs"), "--bench-frames", "40", "--screenshot", png, "--size",
                                    std::to_string(kW) + "x" + std::to_string(kH)};
    if (full) cmd.push_back("--full-redraw");
    auto r = run_command(cmd, 120);
    EXPECT_EQ(r.status, 0) << r.err;
    size_t at = r.out.find("redrawn=");
    redrawn = at == std::string::npos ? -1 : std::atoi(r.out.c_str() + at + 8);
    return load_rgb(png, kW, kH);
  };
  int part_redrawn = -1, full_redrawn = -1;
  auto part = bench(dir.path("part.png"), false, part_redrawn);
  auto full = bench(dir.path("full.png"), true, full_redrawn);
  ASSERT_FALSE(part.empty());
  ASSERT_FALSE(full.empty());
  EXPECT_EQ(full_redrawn, 100);
  EXPECT_GT(part_redrawn, 0);
  EXPECT_LT(part_redrawn, 60) << "panning the timeline redraws the timeline, not the table below it";
  size_t differ = 0;
  for (size_t i = 0; i < size_t(kW) * (kH - kStatusBar) * 3; i++) differ += part[i] != full[i];
  EXPECT_EQ(differ, 0u) << "bytes that differ between partial and whole redraws";
  std::printf("redrawn per frame: %d%% (whole: %d%%)\n", part_redrawn, full_redrawn);
}


// The trace's length and its counts come from one place per frame
// (ui/trace_totals.h): the seek bar and the status bar say the same length,
// the span the timeline shows (first to last call, 11.8 ms here), not the
// futex model's first to last record (13 ms: the stop record comes later),
// and the status bar counts every call and thread. --screenshot prints both
// bars' text; read at 1600x1000 and 1280x800.
TEST(UiViews, SeekBarAndStatusBarSayTheSameLengthAndCounts) {
  REQUIRE_XVFB_UI();
  TempDir dir;
  write_ping_pong_trace(dir.path("pp.fxs"), true);
  for (const char* size : {"1600x1000", "1280x800"}) {
    auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1700x1100x24", kFutexscope, "replay", dir.path("pp.fxs"),
                          "--screenshot", dir.path("pp.png"), "--size", size},
                         60);
    ASSERT_EQ(r.status, 0) << r.err;
    auto line = [&](const std::string& key) {
      size_t at = r.out.find(key);
      EXPECT_NE(at, std::string::npos) << key << " not printed: " << r.out;
      return at == std::string::npos ? std::string() : r.out.substr(at + key.size(), r.out.find('\n', at) - at - key.size());
    };
    const std::string seek = line("screenshot seek bar: "), status = line("screenshot status bar: ");
    std::printf("%s: seek bar \"%s\"; status bar \"%s\"\n", size, seek.c_str(), status.c_str());
    EXPECT_NE(seek.find(" of 11.8ms"), std::string::npos) << seek;
    EXPECT_NE(status.find("24 calls  2 threads  1 futexes  11.8ms"), std::string::npos) << status;
    EXPECT_NE(status.find("loaded in"), std::string::npos) << status;
  }
}

}  // namespace

namespace {

// --filter (the timeline header's field): only the threads whose pid or tid
// it is, or whose thread or process name has it, any case, get a row.
TEST(UiViews, LaneFilterKeepsTheThreadsItNames) {
  REQUIRE_XVFB_UI();
  TempDir dir;
  write_ping_pong_trace(dir.path("pp.fxs"), true);
  for (const auto& [filter, rows] : std::vector<std::pair<std::string, std::string>>{
           {"", "2 of 2"}, {"PoNg", "1 of 2"}, {"911", "1 of 2"}, {"nothing-like-it", "0 of 2"}}) {
    std::vector<std::string> argv = {"xvfb-run", "-a", "-s", "-screen 0 1700x1100x24", kFutexscope, "replay",
                                     dir.path("pp.fxs"), "--screenshot", dir.path("pp.png"), "--size", "1000x700"};
    if (!filter.empty()) argv.insert(argv.end(), {"--filter", filter});
    auto r = run_command(argv, 60);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("screenshot timeline rows: " + rows + " threads"), std::string::npos)
        << "--filter '" << filter << "': " << r.out;
  }
}

// Threads with nothing to show for (here one whose waits all failed with
// EAGAIN) share one collapsed row at the bottom; the rows are the others.
TEST(UiViews, QuietThreadsShareOneCollapsedRow) {
  REQUIRE_XVFB_UI();
  TempDir dir;
  const std::string path = dir.path("quiet.fxs");
  write_ping_pong_trace(path, true, /*poller=*/true);
  auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1700x1100x24", kFutexscope, "replay", path, "--screenshot",
                        dir.path("q.png"), "--size", "1000x700"},
                       60);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("screenshot timeline rows: 2 of 3 threads (1 quiet, collapsed)"), std::string::npos) << r.out;
}

}  // namespace
