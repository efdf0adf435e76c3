// app.cpp: the window and the frame loop. Start-up and shutdown follow Dear
// ImGui's example_glfw_opengl3 (GLFW, context, ImGui, backends; and the
// reverse), wrapped in RAII so every early return cleans up.
#include "ui/app.h"

#include <GLFW/glfw3.h>
#include <malloc.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "backends/imgui_impl_glfw.h"
#include "backends/imgui_impl_opengl3.h"
#include "imgui.h"
#include "replay/memory_budget.h"
#include "ui/frame_renderer.h"
#include "ui/ingest_worker.h"
#include "ui/palette.h"
#include "ui/screenshot.h"
#include "ui/ui_state.h"

namespace fxs::ui {

namespace {

std::string g_glfw_error;  // the last GLFW error, for the one-line message

void on_glfw_error(int code, const char* what) {
  g_glfw_error = std::string(what ? what : "unknown") + " (GLFW error " + std::to_string(code) + ")";
}

// Owns GLFW, the window and the ImGui context, torn down in reverse order.
class Window {
 public:
  ~Window() {
    if (imgui_gl_) ImGui_ImplOpenGL3_Shutdown();
    if (imgui_glfw_) ImGui_ImplGlfw_Shutdown();
    if (imgui_) ImGui::DestroyContext();
    if (window_) glfwDestroyWindow(window_);
    if (glfw_) glfwTerminate();
  }

  // Returns "" or what went wrong.
  std::string open(const std::string& title, int w, int h, bool vsync, void* user) {
    glfwSetErrorCallback(on_glfw_error);
    if (!glfwInit()) return "cannot open the display: " + g_glfw_error;
    glfw_ = true;
    // GL 3.0 + GLSL 130, as the example does on Linux; llvmpipe provides it.
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
    window_ = glfwCreateWindow(w, h, title.c_str(), nullptr, nullptr);
    if (!window_) return "cannot create an OpenGL 3.0 window: " + g_glfw_error;
    glfwMakeContextCurrent(window_);
    glfwSwapInterval(vsync ? 1 : 0);
    glfwSetWindowUserPointer(window_, user);

    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    imgui_ = true;
    return {};
  }
  // After the app's own GLFW callbacks are installed: the backend chains to them.
  void init_backends() {
    ImGui_ImplGlfw_InitForOpenGL(window_, true);
    imgui_glfw_ = true;
    ImGui_ImplOpenGL3_Init("#version 130");
    imgui_gl_ = true;
  }
  GLFWwindow* get() const { return window_; }

 private:
  bool glfw_ = false, imgui_ = false, imgui_glfw_ = false, imgui_gl_ = false;
  GLFWwindow* window_ = nullptr;
};

// Input arrives through these (the ImGui backend chains to them), so an idle
// window sleeps in glfwWaitEvents and redraws only on input or new data.
struct InputFlag {
  bool seen = true;
};
InputFlag* flag_of(GLFWwindow* w) { return static_cast<InputFlag*>(glfwGetWindowUserPointer(w)); }
void install_input_callbacks(GLFWwindow* w) {
  glfwSetCursorPosCallback(w, [](GLFWwindow* w, double, double) { flag_of(w)->seen = true; });
  glfwSetMouseButtonCallback(w, [](GLFWwindow* w, int, int, int) { flag_of(w)->seen = true; });
  glfwSetScrollCallback(w, [](GLFWwindow* w, double, double) { flag_of(w)->seen = true; });
  glfwSetKeyCallback(w, [](GLFWwindow* w, int, int, int, int) { flag_of(w)->seen = true; });
  glfwSetCharCallback(w, [](GLFWwindow* w, unsigned) { flag_of(w)->seen = true; });
  glfwSetWindowFocusCallback(w, [](GLFWwindow* w, int) { flag_of(w)->seen = true; });
  glfwSetCursorEnterCallback(w, [](GLFWwindow* w, int) { flag_of(w)->seen = true; });
  glfwSetWindowSizeCallback(w, [](GLFWwindow* w, int, int) { flag_of(w)->seen = true; });
  glfwSetWindowRefreshCallback(w, [](GLFWwindow* w) { flag_of(w)->seen = true; });
}

void setup_style() {
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // the layout is fixed; never write imgui.ini into the user's directory
  // DejaVu Sans is on every Debian desktop (fonts-dejavu-core); the built-in
  // 13 px bitmap font is the fallback.
  const char* kFont = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  if (access(kFont, R_OK) == 0) io.Fonts->AddFontFromFileTTF(kFont, 15.0f);
  ImGui::StyleColorsDark();
  ImGuiStyle& s = ImGui::GetStyle();
  s.WindowRounding = 0;
  s.FrameRounding = 3;
  s.GrabRounding = 3;
  s.TabRounding = 3;
  s.ScrollbarRounding = 3;
  s.FramePadding = ImVec2(7, 4);
  s.ItemSpacing = ImVec2(8, 5);
  s.CellPadding = ImVec2(6, 3);
  s.WindowPadding = ImVec2(8, 8);
  ImVec4* c = s.Colors;
  // glClear already paints the background: a transparent main window saves
  // blending every pixel once more, which is most of a frame on llvmpipe.
  c[ImGuiCol_WindowBg] = ImVec4(0, 0, 0, 0);
  c[ImGuiCol_ChildBg] = ImVec4(0, 0, 0, 0);
  c[ImGuiCol_TableHeaderBg] = ImVec4(0.16f, 0.18f, 0.21f, 1);
  c[ImGuiCol_TableRowBgAlt] = ImVec4(1, 1, 1, 0.03f);
  c[ImGuiCol_TableBorderLight] = ImVec4(1, 1, 1, 0.06f);
  c[ImGuiCol_Header] = ImVec4(0.26f, 0.42f, 0.62f, 0.55f);
  c[ImGuiCol_HeaderHovered] = ImVec4(0.26f, 0.42f, 0.62f, 0.75f);
  c[ImGuiCol_HeaderActive] = ImVec4(0.26f, 0.42f, 0.62f, 1.0f);
}

uint64_t rss_bytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

// --screenshot-after: how far behind the traced program the window was when
// the picture was taken. Call timestamps are bpf_ktime_get_ns(), i.e.
// CLOCK_MONOTONIC, so the newest call's age is comparable with now. The
// counts are the frame's (the picture's status bar), not the loader's by now.
void print_live_lag(const TraceTotals& shown, double after_s) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  const uint64_t now_ns = uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
  if (shown.calls == 0 || shown.newest_ns > now_ns) {
    std::printf("screenshot after %.2f s: no calls loaded yet\n", after_s);
  } else {
    std::printf("screenshot after %.2f s: %llu calls loaded, the newest returned %.0f ms before it\n", after_s,
                static_cast<unsigned long long>(shown.calls), double(now_ns - shown.newest_ns) / 1e6);
  }
  std::fflush(stdout);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

// The bench's camera for frame i of n: three sweeps across the whole trace,
// each zooming from the full trace to 1/10000 of it and back, so every frame
// shows a different range at a different zoom.
void bench_view(UiState& st, double total, int i, int n) {
  double t = (static_cast<double>(i) + 0.5) / n;
  double sweep = std::fmod(t * 3.0, 1.0);
  double zoom = std::pow(10.0, -4.0 * std::sin(sweep * M_PI));  // 1 -> 1e-4 -> 1
  st.view_span = std::max(total * zoom, 1000.0);
  double centre = sweep * total;
  st.view_start = centre - st.view_span / 2;
}

void draw_main_window(FrameContext& f) {
  const ImGuiViewport* vp = ImGui::GetMainViewport();
  ImGui::SetNextWindowPos(vp->Pos);
  ImGui::SetNextWindowSize(vp->Size);
  ImGuiWindowFlags wf = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                        ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus;
  ImGui::Begin("futexscope", nullptr, wf);
  draw_controls(f);
  draw_deadlock_banner(f);
  float status_h = ImGui::GetFrameHeight() + ImGui::GetStyle().ItemSpacing.y;
  float avail = ImGui::GetContentRegionAvail().y - status_h;
  // As tall as the lanes need, up to 56% of the window: the tables get the rest.
  float timeline_h = std::max(180.0f, std::floor(std::min(avail * 0.56f, timeline_content_height(f))));
  ImGui::BeginChild("timeline", ImVec2(0, timeline_h), true, ImGuiWindowFlags_NoScrollWithMouse);
  draw_timeline(f);
  ImGui::EndChild();

  float bottom_h = std::max(100.0f, ImGui::GetContentRegionAvail().y - status_h);
  float w = ImGui::GetContentRegionAvail().x;
  ImGui::BeginChild("futexes", ImVec2(std::floor(w * 0.58f), bottom_h), false);
  if (ImGui::BeginTabBar("maintabs")) {
    if (ImGui::BeginTabItem("Futexes", nullptr, open_tab_flags(f.st, "futexes"))) {
      draw_futexes(f);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem(rseq_tab_label(f).c_str(), nullptr, open_tab_flags(f.st, "rseq"))) {
      draw_rseq(f);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem(umcg_tab_label(f).c_str(), nullptr, open_tab_flags(f.st, "umcg"))) {
      draw_umcg(f);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem(blocked_tab_label(f).c_str(), nullptr, open_tab_flags(f.st, "blocked"))) {
      draw_blocked(f);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
  }
  ImGui::EndChild();
  ImGui::SameLine();
  ImGui::BeginChild("side", ImVec2(0, bottom_h), false);
  if (ImGui::BeginTabBar("sidetabs")) {
    // --tab: brought to front once.
    auto tab_flags = [&](const char* name) {
      return f.st.select_tab == name ? ImGuiTabItemFlags_SetSelected : ImGuiTabItemFlags_None;
    };
    if (ImGui::BeginTabItem("Futex", nullptr, tab_flags("futex"))) {
      draw_futex_detail(f);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Buckets", nullptr, tab_flags("buckets"))) {
      draw_buckets(f);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("NUMA", nullptr, tab_flags("numa"))) {
      draw_numa(f);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Trace", nullptr, tab_flags("trace"))) {
      draw_trace_info(f);
      ImGui::EndTabItem();
    }
    if (ImGui::BeginTabItem("Machine", nullptr, tab_flags("machine"))) {
      draw_capabilities(f);
      ImGui::EndTabItem();
    }
    ImGui::EndTabBar();
    f.st.select_tab.clear();
  }
  ImGui::EndChild();
  draw_status(f);
  ImGui::End();
}

}  // namespace

std::string display_problem() {
  const char* display = std::getenv("DISPLAY");
  const char* wayland = std::getenv("WAYLAND_DISPLAY");
  if ((!display || !*display) && (!wayland || !*wayland)) return "no display (DISPLAY is not set)";
  return {};
}

int run_app(const AppOptions& o) {
  auto reader = TraceReader::open(o.trace_path);
  if (!reader) {
    std::fprintf(stderr, "futexscope %s: %s\n", o.command.c_str(), reader.message().c_str());
    return 1;
  }
  return run_app(o, std::move(*reader));
}

int run_app(const AppOptions& o, TraceReader trace) {
  const std::string who = "futexscope " + o.command + ": ";
  if (std::string why = display_problem(); !why.empty()) {
    std::fprintf(stderr,
                 "%s%s: run it in a desktop session, or headless under "
                 "xvfb-run -a -s \"-screen 0 %dx%dx24\" futexscope %s ...\n",
                 who.c_str(), why.c_str(), o.width, o.height, o.command.c_str());
    return 1;
  }
  struct stat sb {};
  uint64_t file_bytes = ::stat(o.trace_path.c_str(), &sb) == 0 && S_ISREG(sb.st_mode) ? uint64_t(sb.st_size) : 0;

  const bool offscreen_job = !o.screenshot_path.empty() || o.bench_frames > 0;
  InputFlag input;
  Window win;
  std::string title = "futexscope - " + o.trace_path;
  if (std::string err = win.open(title, o.width, o.height, !offscreen_job, &input); !err.empty()) {
    std::fprintf(stderr, "%s%s; run it in a desktop session or under xvfb-run\n", who.c_str(), err.c_str());
    return 1;
  }
  install_input_callbacks(win.get());
  win.init_backends();
  setup_style();
  FrameRenderer renderer(o.full_redraw);

  // Memory per loaded event: RSS grown from here to the end of loading.
  malloc_trim(0);
  uint64_t rss_before = rss_bytes();

  IngestWorker worker(std::move(trace), file_bytes, o.follow);
  // A trace (or a live recording) bigger than the machine's memory opens on
  // its first calls instead of swapping the machine to death; the status bar says so.
  const uint64_t memory_limit = o.memory_limit ? o.memory_limit : default_memory_limit();
  // The same number of wait durations (4 bytes each) for exact p50/p99 in the
  // futex table; past that they are estimated.
  const uint64_t limit_calls = std::max<uint64_t>(1, memory_limit / sizeof(TimelineCall));
  worker.set_timeline_call_limit(limit_calls);
  worker.set_wait_duration_limit(limit_calls);
  // The models besides the timeline (one entry per futex: a small file can
  // name millions) stop reading at the same budget as `report`; a stream that
  // still grows gets the machine's default.
  worker.set_heap_limit(o.follow ? std::max(memory_limit, default_memory_limit())
                                 : std::max(memory_limit_for_file(o.trace_path, 0), o.memory_limit));
  // The wake pairing in the same pass (the NUMA tab, wakers, exact arrows)
  // holds memory per call until the end of the stream.
  worker.set_pairing_limit(memory_limit);
  worker.start([] { glfwPostEmptyEvent(); });

  UiState st;
  std::snprintf(st.lane_filter, sizeof st.lane_filter, "%s", o.lane_filter.c_str());
  st.select_tab = o.tab;  // a side-panel tab (--tab), or
  st.open_tab = o.tab;    // a tab below the timeline
  int frames_after_load = 0;
  // The bench first renders a quick pass over the same camera path, not
  // counted: llvmpipe compiles shader variants and the caches fill on the
  // first frames after loading (those measured 15-18 ms, the rest ~12).
  constexpr int kBenchWarmup = 20;
  int bench_warmup = 0, bench_done = 0;
  double warmup_max_ms = 0;
  std::vector<double> bench_ms;
  double redrawn_px = 0;  // pixels drawn again over the measured frames
  bool measured = false;
  uint64_t seen_generation = UINT64_MAX;
  int settle = 3;  // ImGui needs a frame or two to settle after any change
  int settle_for_input = 0;  // frames owed to input: drawn at once, even while loading
  bool arrows_were_pending = false;
  auto last_frame = std::chrono::steady_clock::now();
  const auto window_opened = last_frame;
  int status = 0;

  while (!glfwWindowShouldClose(win.get())) {
    if (o.source_finished && o.source_finished()) worker.finish_following();
    IngestProgress progress = worker.progress();
    uint64_t gen = worker.generation();
    if (gen != seen_generation) settle = 3;
    if (input.seen) settle = settle_for_input = 3;
    input.seen = false;
    // The wake arrows are built on a thread of their own once loading is
    // done (ui/wake_arrows.h): look every 50 ms, and draw them when they are in.
    const bool arrows_pending = st.arrows && !st.arrows->ready();
    if (arrows_were_pending && !arrows_pending) settle = 3;
    arrows_were_pending = arrows_pending;
    bool busy = offscreen_job || settle > 0 || st.playing || st.animate;
    if (busy) {
      glfwPollEvents();
    } else {
      glfwWaitEventsTimeout(arrows_pending ? 0.05 : 1.0);  // wakes on input or glfwPostEmptyEvent from the worker
      continue;                                           // re-evaluate what changed before drawing
    }
    // While loading, the picture changes with every chunk: 4 frames per
    // second show the progress and leave the cores to the loader threads (a
    // frame on llvmpipe costs a core for ~10 ms; at 10 a second the load was
    // 15-20% slower, docs/BENCHMARKS.md). A live recording is flushed 4 times
    // a second too. Input still gets every frame.
    auto now = std::chrono::steady_clock::now();
    const auto kLoadingFrame = std::chrono::milliseconds(250);
    if (!progress.done && settle_for_input == 0 && now - last_frame < kLoadingFrame) {
      std::this_thread::sleep_for(kLoadingFrame - (now - last_frame));
    }
    double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_frame).count();
    last_frame = std::chrono::steady_clock::now();
    settle--;
    if (settle_for_input > 0) settle_for_input--;
    seen_generation = gen;

    if (progress.done && !measured) {
      measured = true;
      // Transient chunk buffers are gone by now; give their pages back so
      // the RSS measures what the models keep.
      malloc_trim(0);
      if (o.bench_frames > 0) {
        uint64_t rss_after = rss_bytes();
        uint64_t calls = progress.calls;
        double rate = progress.load_seconds > 0 ? double(calls) / progress.load_seconds : 0;
        std::printf("load events=%llu seconds=%.3f rate=%.0f/s rss_delta_bytes=%llu bytes_per_event=%.1f\n",
                    static_cast<unsigned long long>(calls), progress.load_seconds, rate,
                    static_cast<unsigned long long>(rss_after > rss_before ? rss_after - rss_before : 0),
                    calls ? double(rss_after > rss_before ? rss_after - rss_before : 0) / double(calls) : 0.0);
        std::fflush(stdout);
      }
    }
    if (st.playing) {
      st.playhead += dt * st.speed * 1e9;
      st.animate = true;
    }
    // The bench renders the finished picture: the wake arrows (and an open
    // NUMA tab) are in before its first frame.
    bool benching = o.bench_frames > 0 && progress.done && !arrows_pending && !worker.pairing_pending();
    auto t0 = std::chrono::steady_clock::now();
    if (benching) {
      std::lock_guard lk(worker.timeline_mutex());
      double total = double(worker.timeline().last_ns() - worker.timeline().first_ns());
      if (bench_warmup < kBenchWarmup)
        bench_view(st, std::max(total, 1000.0), bench_warmup, kBenchWarmup);
      else
        bench_view(st, std::max(total, 1000.0), bench_done, o.bench_frames);
      st.fit_pending = false;
    }

    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    // A screenshot or bench shows the data, not wherever the X server left the pointer.
    if (offscreen_job) ImGui::GetIO().MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    ImGui::NewFrame();
    std::string live = o.live_status ? o.live_status() : std::string();
    FrameContext f{worker, st, worker.futexes(), progress, take_totals(worker), o.trace_path, o.probe_text, live,
                   o.follow && !progress.done};
    st.animate = false;
    draw_main_window(f);
    ImGui::Render();
    int fw, fh;
    glfwGetFramebufferSize(win.get(), &fw, &fh);
    ImVec4 bg = ImGui::ColorConvertU32ToFloat4(colors::kBackground);
    renderer.render(ImGui::GetDrawData(), fw, fh, {bg.x, bg.y, bg.z, 1.0f});

    // Arrows started in this frame were not in it: the next frames draw them.
    const bool arrows_restarted = std::exchange(st.arrows_restarted, false);
    if (arrows_restarted) arrows_were_pending = true;  // settles once they are in
    // The NUMA tab and the wake arrows are computed after loading: the
    // picture waits for them. With --bench-frames, the last bench frame.
    const bool last_bench_frame = benching && bench_warmup >= kBenchWarmup && bench_done + 1 >= o.bench_frames;
    double shot_ms = 0;  // not part of the bench frame it shows
    const bool shot_due =
        o.screenshot_after_s > 0
            ? std::chrono::duration<double>(std::chrono::steady_clock::now() - window_opened).count() >=
                  o.screenshot_after_s
            : progress.done && !worker.pairing_pending() && !arrows_pending && !arrows_restarted &&
                  (o.bench_frames > 0 ? last_bench_frame : ++frames_after_load >= o.screenshot_frames);
    if (!o.screenshot_path.empty() && shot_due) {
      auto s0 = std::chrono::steady_clock::now();
      if (std::string err = write_framebuffer_png(o.screenshot_path, fw, fh); !err.empty()) {
        std::fprintf(stderr, "%s%s\n", who.c_str(), err.c_str());
        status = 1;
        break;
      }
      if (o.screenshot_after_s > 0) print_live_lag(f.totals, o.screenshot_after_s);
      // The picture's numbers in words, for scripts and tests that read them.
      std::printf("screenshot seek bar: %s\nscreenshot status bar: %s\n"
                  "screenshot timeline rows: %zu of %zu threads (%zu quiet, %s)\n",
                  st.seek_text.c_str(), st.status_text.c_str(), st.lane_rows.size(), st.lane_rows_lanes,
                  st.quiet_lanes, st.show_quiet ? "shown" : "collapsed");
      std::fflush(stdout);
      if (o.bench_frames == 0) break;
      shot_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - s0).count();
    }
    glfwSwapBuffers(win.get());
    if (benching) {
      glFinish();  // llvmpipe rasterises asynchronously: count the pixels too
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() - shot_ms;
      if (bench_warmup < kBenchWarmup) {
        bench_warmup++;
        warmup_max_ms = std::max(warmup_max_ms, ms);
      } else {
        bench_ms.push_back(ms);
        redrawn_px += double(renderer.last_damage().area());
        if (++bench_done >= o.bench_frames) {
          // redrawn: the share of the window's pixels drawn again per frame (ui/frame_renderer.h).
          std::printf("frame_ms p50=%.2f p99=%.2f frames=%d size=%dx%d redrawn=%.0f%% "
                      "(after %d warm-up frames, the slowest of them %.2f ms)\n",
                      percentile(bench_ms, 50), percentile(bench_ms, 99), o.bench_frames, fw, fh,
                      100.0 * redrawn_px / (double(bench_done) * fw * fh), kBenchWarmup, warmup_max_ms);
          break;
        }
      }
    }
  }
  worker.stop();
  for (const auto& w : worker.reader_warnings()) std::fprintf(stderr, "futexscope: warning: %s\n", w.c_str());
  return status;
}

}  // namespace fxs::ui
