// The window and the export on a real recording: fxs-sample-condvar is
// recorded once (root, real BPF), then `replay --screenshot` runs under
// xvfb-run (llvmpipe) and the PNG is decoded and checked, and `export
// --format chrome` is parsed back and its wake arrows are checked against the
// sample's own ground truth.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "kernel_spin_contention.h"
#include "replay/trace_writer.h"
#include "run_command.h"
#include "ui_test_support.h"
#include "wake_edges.h"

// stb_image from the system (libstb-dev), compiled into this test only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>
#pragma GCC diagnostic pop

using nlohmann::json;
using fxs::test::chrome_flow_edges;
using fxs::test::report_waker_edges;
using fxs::test::run_command;
using fxs::test::TempDir;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

// Pixels of calls in the timeline of the PNG at `png`: pixels of a futex's
// colour (ui/palette.cpp; its grey excepted) blended over a lane background
// (ui/palette.h), as folded, faded and unfolded calls are drawn, right of the
// lane labels, below the buttons and above the tables; -1 if it is no PNG.
// `w` and `h` get its size. An empty timeline has a little over 100 (the
// tab bar's blue when the timeline is short), a sample's some thousands.
long call_pixels(const std::string& png, int& w, int& h) {
  int n = 0;
  unsigned char* px = stbi_load(png.c_str(), &w, &h, &n, 3);
  if (!px) return -1;
  constexpr int kPalette[][3] = {{78, 121, 167}, {242, 142, 43}, {225, 87, 89},  {118, 183, 178}, {89, 161, 79},
                                 {237, 201, 72}, {176, 122, 161}, {255, 157, 167}, {156, 117, 95}};
  constexpr int kLanes[][3] = {{32, 35, 40}, {38, 41, 47}};
  auto blended = [&](const unsigned char* p) {
    if (std::max({p[0], p[1], p[2]}) - std::min({p[0], p[1], p[2]}) < 24) return false;  // greys
    for (const auto& c : kPalette)
      for (const auto& bg : kLanes) {
        // p = bg + t * (c - bg), 0.3 <= t <= 1, within rounding.
        double dd = 0, dq = 0;
        for (int i = 0; i < 3; i++) {
          dd += double(c[i] - bg[i]) * (c[i] - bg[i]);
          dq += double(c[i] - bg[i]) * (p[i] - bg[i]);
        }
        const double t = dq / dd;
        if (t < 0.3 || t > 1.02) continue;
        bool on_line = true;
        for (int i = 0; i < 3; i++) on_line = on_line && std::abs(bg[i] + t * (c[i] - bg[i]) - p[i]) <= 6;
        if (on_line) return true;
      }
    return false;
  };
  long calls = 0;
  for (int y = h / 6; y < h / 2; y++)
    for (int x = w / 3; x < w; x++) calls += blended(px + (size_t(y) * size_t(w) + size_t(x)) * 3);
  stbi_image_free(px);
  return calls;
}

// One recording shared by the tests of this file.
class UiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (geteuid() != 0) return;
    dir_ = new TempDir();
    trace_ = dir_->path("condvar.fxs");
    auto r = run_command({kFutexscope, "record", "-q", "-o", trace_, "--", kSamples + "/fxs-sample-condvar"});
    record_status_ = r.status;
    record_err_ = r.err;
    size_t p = r.out.find("FXS_TRUTH ");
    if (p != std::string::npos) {
      size_t e = r.out.find('\n', p);
      truth_ = json::parse(r.out.substr(p + 10, e == std::string::npos ? std::string::npos : e - p - 10));
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    REQUIRE_ROOT();
    ASSERT_EQ(record_status_, 0) << "record failed: " << record_err_;
    ASSERT_TRUE(truth_.is_object()) << "the sample printed no FXS_TRUTH line";
  }

  static TempDir* dir_;
  static std::string trace_;
  static int record_status_;
  static std::string record_err_;
  static json truth_;
};
TempDir* UiTest::dir_ = nullptr;
std::string UiTest::trace_;
int UiTest::record_status_ = -1;
std::string UiTest::record_err_;
json UiTest::truth_;

TEST_F(UiTest, ScreenshotUnderXvfbHasTheSizeAndShowsTheData) {
  REQUIRE_XVFB_UI();
  std::string png = dir_->path("shot.png");
  auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1024x768x24", kFutexscope, "replay", trace_,
                        "--screenshot", png, "--size", "900x600"},
                       60);
  ASSERT_EQ(r.status, 0) << r.err;
  int w = 0, h = 0, n = 0;
  unsigned char* px = stbi_load(png.c_str(), &w, &h, &n, 3);
  ASSERT_NE(px, nullptr) << "not a PNG: " << png;
  EXPECT_EQ(w, 900);
  EXPECT_EQ(h, 600);
  std::set<uint32_t> colors;
  size_t top_pixels = 0;
  for (int i = 0; i < w * h; i++) {
    const unsigned char* p = px + i * 3;
    colors.insert(uint32_t(p[0]) << 16 | uint32_t(p[1]) << 8 | p[2]);
    // The three futexes with the most wait time are drawn in the palette's
    // first three colours (ui/palette.cpp), in the timeline and the table;
    // the lanes on top are those of the most contended (the ping-pong's).
    if ((p[0] == 78 && p[1] == 121 && p[2] == 167) || (p[0] == 242 && p[1] == 142 && p[2] == 43) ||
        (p[0] == 225 && p[1] == 87 && p[2] == 89))
      top_pixels++;
  }
  stbi_image_free(px);
  EXPECT_GE(colors.size(), 50u) << "the screenshot is (nearly) blank";
  EXPECT_GE(top_pixels, 200u) << "the top futexes' bars are missing";
}

// Past --memory-limit the window gives the wake pairing up (the NUMA tab,
// "Woken by", the contended column): the status bar says so, and only then.
// 4 MiB pairs about 26,000 records (160 bytes each); the sample's trace has
// several times that, while its 60,000 calls still fit the timeline.
TEST_F(UiTest, StatusBarSaysWhenTheWakePairingWasGivenUp) {
  REQUIRE_XVFB_UI();
  auto status_of = [&](std::vector<std::string> extra) {
    std::vector<std::string> argv = {"xvfb-run", "-a", "-s", "-screen 0 1024x768x24", kFutexscope, "replay", trace_,
                                     "--screenshot", dir_->path("pairing.png"), "--size", "1600x1000"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto r = run_command(argv, 60);
    EXPECT_EQ(r.status, 0) << r.err;
    const std::string key = "screenshot status bar: ";
    const size_t at = r.out.find(key);
    return at == std::string::npos ? std::string() : r.out.substr(at + key.size(), r.out.find('\n', at) - at - key.size());
  };
  const std::string limited = status_of({"--memory-limit", "4M"});
  EXPECT_NE(limited.find("wakes not paired (memory limit)"), std::string::npos) << limited;
  const std::string plain = status_of({});
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(plain.find("not paired"), std::string::npos) << plain;
}

TEST_F(UiTest, WithoutADisplayOneLineErrorAndNonZeroExit) {
  REQUIRE_UI_BUILT();
  auto r = run_command({"env", "-u", "DISPLAY", "-u", "WAYLAND_DISPLAY", kFutexscope, "replay", trace_,
                        "--screenshot", dir_->path("none.png")});
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("xvfb-run"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(access(dir_->path("none.png").c_str(), F_OK), 0);
}

TEST_F(UiTest, ChromeExportIsValidJsonWithAnArrowPerThreadWoken) {
  std::string out = dir_->path("t.json");
  auto r = run_command({kFutexscope, "export", trace_, "--format", "chrome", "-o", out});
  ASSERT_EQ(r.status, 0) << r.err;
  std::ifstream f(out);
  std::stringstream ss;
  ss << f.rdbuf();
  json doc = json::parse(ss.str());  // throws on invalid JSON: the test fails
  const json& ev = doc["traceEvents"];
  ASSERT_TRUE(ev.is_array());

  std::map<std::string, size_t> flows_to_uaddr;  // arrows ending on a wait of this futex
  std::map<uint64_t, std::pair<int, int>> ends;  // id -> (#s, #f)
  size_t thread_names = 0, slices = 0;
  for (const auto& e : ev) {
    if (e["ph"] == "M" && e["name"] == "thread_name") thread_names++;
    if (e["ph"] == "X") slices++;
    if (e["ph"] == "s") ends[e["id"]].first++;
    if (e["ph"] == "f") {
      ends[e["id"]].second++;
      EXPECT_EQ(e["bp"], "e");
    }
  }
  EXPECT_GE(thread_names, 3u);
  EXPECT_GT(slices, 1000u);
  for (const auto& [id, se] : ends) {
    EXPECT_EQ(se.first, 1) << "flow " << id;
    EXPECT_EQ(se.second, 1) << "flow " << id;
  }
  // One arrow per thread woken, from its waker: the report's waker edges.
  auto rep = run_command({kFutexscope, "report", trace_, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const long pid = truth_["pid"].get<long>();
  EXPECT_EQ(chrome_flow_edges(doc, pid), report_waker_edges(json::parse(rep.out), pid));

  // Ground truth: on the condvar sample's two ping-pong futexes (only
  // FUTEX_WAIT and FUTEX_WAKE, one waiter each), every wake that woke
  // someone (herd_sizes) has exactly one arrow to a wait on that futex.
  struct Slice {
    double a, b;
    std::string uaddr;
    bool wait;
    bool operator<(const Slice& o) const { return a < o.a; }
  };
  std::map<long, std::vector<Slice>> by_tid;  // sorted by start: a thread's slices do not overlap
  for (const auto& e : ev)
    if (e["ph"] == "X")
      by_tid[e["tid"].get<long>()].push_back({e["ts"].get<double>(), e["ts"].get<double>() + e["dur"].get<double>(),
                                              e["args"]["uaddr"], e["cat"] == "wait"});
  for (auto& [tid, v] : by_tid) std::sort(v.begin(), v.end());
  for (const auto& e : ev) {
    if (e["ph"] != "f") continue;
    const auto& v = by_tid[e["tid"].get<long>()];
    double ts = e["ts"];
    auto it = std::upper_bound(v.begin(), v.end(), Slice{ts, ts, "", false});
    ASSERT_NE(it, v.begin()) << "arrow " << e["id"] << " ends before any slice of its thread";
    --it;
    ASSERT_TRUE(it->wait && it->a <= ts && ts <= it->b) << "arrow " << e["id"] << " does not end inside a wait";
    flows_to_uaddr[it->uaddr]++;
  }
  size_t checked = 0;
  for (const auto& t : truth_["futexes"]) {
    const json& ops = t["ops"];
    if (ops.size() != 2 || !ops.contains("FUTEX_WAIT") || !ops.contains("FUTEX_WAKE")) continue;
    if (t["woken"].get<long>() < 100) continue;
    size_t wakes_that_woke = 0;
    for (const auto& [size, calls] : t["herd_sizes"].items()) wakes_that_woke += calls.get<size_t>();
    EXPECT_EQ(flows_to_uaddr[t["uaddr"]], wakes_that_woke) << "futex " << t["uaddr"];
    checked++;
  }
  EXPECT_GE(checked, 2u) << "the sample's ping-pong futexes were not found in its truth";
}

}  // namespace

namespace {

// "5,219,230", as the window writes counts.
std::string thousands(unsigned long long v) {
  std::string s = std::to_string(v);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
  return s;
}

// `live`: record + window in one process. With --screenshot it writes the
// window once the command has exited and everything recorded is loaded.
TEST(UiLive, RecordsAndShowsACommandThenExitsWithItsStatus) {
  REQUIRE_ROOT();
  REQUIRE_XVFB_UI();
  TempDir dir;
  std::string png = dir.path("live.png"), trace = dir.path("live.fxs");
  auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1024x768x24", kFutexscope, "live", "--screenshot", png,
                        "--size", "800x600", "-o", trace, "--", kSamples + "/fxs-sample-condvar"},
                       60);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("FXS_TRUTH"), std::string::npos) << "the command's output is passed through";
  int w = 0, h = 0;
  const long top = call_pixels(png, w, h);
  ASSERT_GE(top, 0) << "no PNG written";
  EXPECT_EQ(w, 800);
  EXPECT_EQ(h, 600);
  EXPECT_GE(top, 1000) << "the recorded calls are not on screen";
  // -o keeps the trace, and it is complete: `report` reads it.
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  EXPECT_GT(json::parse(rep.out)["events"].get<long>(), 10000);
}

// `live --duration` stops the recording as `record --duration` does (here the
// whole system, which nothing else would stop); with --screenshot the window
// is written once it has stopped, and futexscope exits.
TEST(UiLive, DurationStopsTheRecording) {
  REQUIRE_ROOT();
  REQUIRE_XVFB_UI();
  // A futex call every millisecond throughout, so the trace spans the recording.
  fxs::test::BackgroundCommand load({kSamples + "/fxs-sample-condvar", "--rounds", "1", "--timeouts", "1000000"});
  TempDir dir;
  std::string png = dir.path("dur.png"), trace = dir.path("dur.fxs");
  auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1024x768x24", kFutexscope, "live", "--duration", "1s",
                        "--screenshot", png, "--size", "800x600", "-o", trace},
                       90);
  ASSERT_EQ(r.status, 0) << r.err;
  int w = 0, h = 0;
  EXPECT_GE(call_pixels(png, w, h), 0) << "no PNG written";
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  json j = json::parse(rep.out);
  EXPECT_GT(j["events"].get<long>(), 100) << "the workload's calls were not recorded";
  const long ns = j["duration_ns"].get<long>();
  EXPECT_GE(ns, 900000000L) << "stopped early";
  EXPECT_LE(ns, 1300000000L) << "did not stop near 1 s";
}

// `live` shows a running program's calls within a second: a screenshot one
// second after the window opened, while the sample is still making its 5000
// waits with a 1 ms timeout (~1000 calls a second: too few to fill a chunk,
// so only the recorder's flushes, 4 a second, bring them), holds its calls,
// and the newest call loaded returned less than a second before the picture.
TEST(UiLive, ShowsARunningSamplesCallsWithinASecond) {
  REQUIRE_ROOT();
  REQUIRE_XVFB_UI();
  TempDir dir;
  std::string png = dir.path("live1s.png");
  auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1024x768x24", kFutexscope, "live", "--screenshot", png,
                        "--screenshot-after", "1s", "--size", "800x600", "--", kSamples + "/fxs-sample-condvar",
                        "--rounds", "1", "--timeouts", "5000"},
                       60);
  // Ended by the screenshot: the sample got SIGINT, its status is futexscope's.
  const std::string key = "screenshot after 1.00 s: ";
  size_t at = r.out.find(key);
  ASSERT_NE(at, std::string::npos) << r.out << r.err;
  unsigned long long calls = 0;
  double lag_ms = -1;
  ASSERT_EQ(std::sscanf(r.out.c_str() + at + key.size(), "%llu calls loaded, the newest returned %lf ms", &calls,
                        &lag_ms),
            2)
      << r.out.substr(at);
  std::printf("live after 1 s: %llu calls loaded, newest %.0f ms old\n", calls, lag_ms);
  EXPECT_GT(calls, 100u) << "the sample makes ~1000 calls a second";
  EXPECT_GE(lag_ms, 0);
  EXPECT_LT(lag_ms, 1000) << "a call must be on screen within a second";
  // The status bar of that picture: the same count, and that nothing was lost
  // so far (the recorder writes no loss record until something is lost).
  const std::string skey = "screenshot status bar: ";
  size_t sat = r.out.find(skey);
  ASSERT_NE(sat, std::string::npos) << r.out;
  const std::string status = r.out.substr(sat + skey.size(), r.out.find('\n', sat) - sat - skey.size());
  std::printf("live status bar: %s\n", status.c_str());
  EXPECT_EQ(status.rfind("no events lost", 0), 0u) << status;
  EXPECT_NE(status.find(thousands(calls) + " calls"), std::string::npos) << "the printed count is the picture's";
  EXPECT_NE(status.find("LIVE: recording"), std::string::npos) << status;
  int w = 0, h = 0;
  const long top = call_pixels(png, w, h);
  ASSERT_GE(top, 0) << "no PNG written";
  EXPECT_GE(top, 1000) << "the calls are not on screen";
}

}  // namespace

namespace {

// `ui --connect`: the same stream over a unix socket, sent in pieces with
// pauses (a growing stream); the window follows it until the sender closes.
TEST_F(UiTest, ConnectReadsAStreamFromASocketUntilItCloses) {
  REQUIRE_XVFB_UI();
  std::string sock = dir_->path("s.sock"), png = dir_->path("sock.png");
  int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(lfd, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock.c_str());
  ASSERT_EQ(bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(listen(lfd, 1), 0);
  std::ifstream in(trace_, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::thread sender([&] {
    int c = accept(lfd, nullptr, nullptr);
    if (c < 0) return;
    size_t step = bytes.size() / 3 + 1;
    for (size_t off = 0; off < bytes.size(); off += step) {
      size_t n = std::min(step, bytes.size() - off);
      for (size_t done = 0; done < n;) {
        ssize_t k = write(c, bytes.data() + off + done, n - done);
        if (k <= 0) break;
        done += size_t(k);
      }
      usleep(200000);
    }
    close(c);
  });
  auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1024x768x24", kFutexscope, "ui", "--connect", sock,
                        "--screenshot", png, "--size", "800x600"},
                       60);
  shutdown(lfd, SHUT_RDWR);
  sender.join();
  close(lfd);
  ASSERT_EQ(r.status, 0) << r.err;
  int w = 0, h = 0;
  const long top = call_pixels(png, w, h);
  ASSERT_GE(top, 0);
  EXPECT_EQ(w, 800);
  EXPECT_GE(top, 1000) << "the streamed calls are not on screen";
}

TEST(UiConnect, NobodyListeningIsAOneLineError) {
  REQUIRE_UI_BUILT();
  TempDir dir;
  auto r = run_command({"env", "DISPLAY=:0", kFutexscope, "ui", "--connect", dir.path("nobody.sock")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("nobody.sock"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace

namespace {

// `record --serve ADDR` + `ui --connect ADDR`: the window receives the trace
// while it is being recorded and ends when the recording does.
TEST(UiServe, RecordServesAWindowThatConnectsWhileRecording) {
  REQUIRE_ROOT();
  REQUIRE_XVFB_UI();
  TempDir dir;
  std::string sock = dir.path("rec.sock"), trace = dir.path("rec.fxs"), png = dir.path("served.png");
  // A file of that name from an earlier run must not be what the window gets.
  std::ofstream(trace) << "stale bytes of an earlier recording\n";
  fxs::test::CommandResult rec;
  // The command sleeps first, so the window connects before the calls happen.
  std::thread recorder([&] {
    rec = run_command({kFutexscope, "record", "-q", "--serve", sock, "-o", trace, "--", "sh", "-c",
                       "sleep 1; exec " + kSamples + "/fxs-sample-condvar"},
                      60);
  });
  for (int i = 0; i < 100 && access(sock.c_str(), F_OK) != 0; i++) usleep(50000);
  auto ui = run_command({"xvfb-run", "-a", "-s", "-screen 0 1024x768x24", kFutexscope, "ui", "--connect", sock,
                         "--screenshot", png, "--size", "800x600"},
                        60);
  recorder.join();
  ASSERT_EQ(rec.status, 0) << rec.err;
  ASSERT_EQ(ui.status, 0) << ui.err;
  int w = 0, h = 0;
  const long top = call_pixels(png, w, h);
  ASSERT_GE(top, 0);
  EXPECT_GE(top, 1000) << "the served calls are not on screen";
  EXPECT_NE(access(sock.c_str(), F_OK), 0) << "the socket file is left behind";
}


// Heat-map cells with spin time in the PNG at `png` (ui/view_buckets.cpp
// heat_color: blue 40, green 60..70, red 90..250); -1 if it is no PNG.
long heat_cell_pixels(const std::string& png) {
  int w = 0, h = 0, n = 0;
  unsigned char* px = stbi_load(png.c_str(), &w, &h, &n, 3);
  if (!px) return -1;
  long heat = 0;
  for (int i = 0; i < w * h; i++) {
    const unsigned char* p = px + i * 3;
    if (p[2] == 40 && p[1] >= 60 && p[1] <= 70 && p[0] >= 90) heat++;
  }
  stbi_image_free(px);
  return heat;
}

}  // namespace

// The Buckets tab: a heat map of bucket-lock spin time, one row per contended
// bucket. fxs-sample-buckets contends its buckets on purpose; the recording is
// repeated until the report saw enough spins to draw.
TEST(UiBuckets, HeatMapShowsTheContendedBuckets) {
  REQUIRE_ROOT();
  REQUIRE_XVFB_UI();
  TempDir dir;
  std::string trace = dir.path("buckets.fxs"), png = dir.path("buckets.png");
  long spins = 0;
  const fxs::test::KernelSpinContention kernel_spins;
  for (int attempt = 0; attempt < 4 && spins < 20; attempt++) {
    auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-buckets",
                          "--threads", "2", "--words", "6", "--calls", std::to_string(200000 << attempt)});
    ASSERT_EQ(r.status, 0) << r.err;
    auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
    ASSERT_EQ(rep.status, 0) << rep.err;
    spins = json::parse(rep.out)["hash"]["verification"]["bucket_locks"].get<long>();
  }
  if (spins < 20) FXS_SKIP_UNLESS_EMPTY(kernel_spins.none_reported());
  ASSERT_GE(spins, 20) << "too few bucket-lock spins recorded to draw a heat map (the kernel counted "
                       << kernel_spins.count() << " spinlock contentions " << kernel_spins.error() << ")";
  auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1024x768x24", kFutexscope, "replay", trace,
                        "--tab", "buckets", "--screenshot", png, "--size", "1000x700"},
                       60);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GE(heat_cell_pixels(png), 100) << "no heat-map cell with spin time was drawn";
}

// The same view without a kernel that reports spinlock contention: a trace
// written here holds 6 futexes in 6 global buckets, the last spun on most;
// every bucket with spins gets its row of heat cells.
TEST(UiBuckets, HeatMapDrawsTheSpinsATraceHolds) {
  REQUIRE_XVFB_UI();
  TempDir dir;
  const std::string trace = dir.path("spins.fxs"), png = dir.path("spins.png");
  fxs::TraceHeader header;
  header.cpu_count = 2;
  header.kernel_release = "synthetic";
  auto w = fxs::TraceWriter::create(trace, header);
  ASSERT_TRUE(w.ok()) << w.message();
  fxs_hash_global_rec g{};
  g.hdr = {FXS_REC_HASH_GLOBAL, sizeof(g), 0};
  g.hash_mask = 511;
  g.hash_shift = 9;
  g.nr_node_ids = 1;
  g.bucket_size = 64;
  g.lock_offset = 4;
  ASSERT_TRUE(w->append(&g, sizeof(g)).ok());
  const uint64_t base = 0xffff888100000000ull, t0 = 1'000'000'000ull;
  for (uint32_t i = 0; i < 400; i++) {
    const uint32_t word = i % 6, bucket = 10 + 7 * word;
    fxs_futex_rec f{};
    f.hdr = {FXS_REC_FUTEX, sizeof(f), 0};
    f.enter_ns = t0 + i * 2'500'000ull;
    f.exit_ns = f.enter_ns + 30'000;
    f.tgid = 100;
    f.tid = 101 + i % 2;
    f.uaddr = 0x1000 + 64 * word;
    f.op = 128;  // FUTEX_WAIT_PRIVATE
    f.ret = -11;
    f.syscall = FXS_SC_FUTEX;
    f.opi = FXS_OP_FUTEX_WAIT;
    f.bucket_where = FXS_BUCKET_WHERE(FXS_BUCKET_GLOBAL, 0);
    f.bucket_index = bucket;
    f.ustack_id = -1;
    fxs_contention_rec c{};
    c.hdr = {FXS_REC_CONTENTION, sizeof(c), 0};
    c.ts_ns = f.enter_ns + 1000;
    c.spin_ns = 2000 * (word + 1);
    c.lock = base + 64ull * bucket + 4;
    c.call_enter_ns = f.enter_ns;
    c.uaddr = f.uaddr;
    c.tgid = f.tgid;
    c.tid = f.tid;
    c.flags = 1;  // LCB_F_SPIN
    c.bucket_index = bucket;
    c.bucket_where = f.bucket_where;
    c.opi = f.opi;
    ASSERT_TRUE(w->append(&c, sizeof(c)).ok());
    ASSERT_TRUE(w->append(&f, sizeof(f)).ok());
  }
  ASSERT_TRUE(w->append_stop(t0 + 1'000'000'000ull).ok());
  ASSERT_TRUE(w->close().ok());
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json v = json::parse(rep.out)["hash"]["verification"];
  EXPECT_EQ(v["bucket_locks"], 400) << v.dump();
  EXPECT_EQ(v["matched"], 400) << v.dump();
  auto r = run_command({"xvfb-run", "-a", "-s", "-screen 0 1024x768x24", kFutexscope, "replay", trace,
                        "--tab", "buckets", "--screenshot", png, "--size", "1000x700"},
                       60);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_GE(heat_cell_pixels(png), 600) << "6 contended buckets, yet few heat-map cells were drawn";
}
