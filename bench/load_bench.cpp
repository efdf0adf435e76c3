// load_bench: how fast the UI's loader (ui/ingest_worker) ingests a trace,
// without a window, so perf can profile it and before/after binaries can be
// compared without llvmpipe sharing the two cores.
//
// usage: fxs_load_bench TRACE [RUNS] [MODE]
//   full (default): the loader threads, as the replay window runs them;
//       prints the rate --bench-frames prints (timeline calls per second
//       from start to done), the CPU time all threads used, and each
//       stage's (read + decode, timeline, futexes) summed over the threads.
//   read: what the loader threads do in parallel: read and check a chunk
//       (TraceReader::next_stored_chunk: crc32), then decode it
//       (ChunkDecoder: zstd, framing walk, the futex keys).
//   timeline / futexes: the reader, then one consumer's work on each chunk
//       on the same thread; only the consumer's CPU time is counted.
//   pairing: the same for the wake pairing's stage.
//   full-unpaired: the loader without the wake pairing (full takes the RSS
//       once the pairing is finished too).
//   full+pairing: full, with the rate and CPU time up to the moment the
//       pairing is finished too (the NUMA tab, "Woken by", the exact arrows
//       in): what a build that paired in a second read of the file after
//       "done" (c14e1be and before) must be compared with.
// CPU time is what to compare on a shared machine: wall time depends on
// what else runs on the cores, CPU time much less.
#include <malloc.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

#include "ui/ingest_worker.h"

namespace {

uint64_t rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  unsigned long long pages = 0, resident = 0;
  if (f) {
    if (std::fscanf(f, "%llu %llu", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return resident * 4096;
}

double cpu_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

int run_full(const std::string& path, fxs::TraceReader reader, bool paired, bool until_paired = false) {
  struct stat sb {};
  uint64_t file_bytes = ::stat(path.c_str(), &sb) == 0 ? uint64_t(sb.st_size) : 0;
  malloc_trim(0);
  uint64_t rss0 = rss_bytes();
  double cpu0 = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID);
  fxs::ui::IngestWorker worker(std::move(reader), file_bytes, /*follow=*/false);
  if (!paired) worker.set_pairing_limit(0);
  worker.start(nullptr);
  // The done time is stamped by the worker itself: polling here only costs a little CPU.
  while (!worker.progress().done) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  double cpu = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
  auto p = worker.progress();
  // Then the wake pairing's finish on its own thread (the arrows, the NUMA tab, "Woken by").
  auto t_done = std::chrono::steady_clock::now();
  while (worker.pairing_pending()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const double pairing_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_done).count();
  if (until_paired) {
    cpu = cpu_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    p.load_seconds += pairing_s;
  }
  malloc_trim(0);  // as the window does: the RSS then measures what the models keep
  uint64_t rss1 = rss_bytes();
  std::printf("%s events=%llu seconds=%.3f rate=%.0f/s cpu_seconds=%.3f cpu_ns_per_event=%.1f futexes=%zu "
              "bytes_per_event=%.1f read_cpu=%.3f timeline_cpu=%.3f futexes_cpu=%.3f pairing_cpu=%.3f "
              "pairing_after_done=%.3f\n",
              until_paired ? "load+pairing" : paired ? "load" : "load-unpaired", static_cast<unsigned long long>(p.calls), p.load_seconds,
              p.load_seconds > 0 ? double(p.calls) / p.load_seconds : 0.0, cpu,
              p.calls ? cpu * 1e9 / double(p.calls) : 0.0, worker.futexes()->futexes.size(),
              p.calls && rss1 > rss0 ? double(rss1 - rss0) / double(p.calls) : 0.0, p.read_cpu_seconds,
              p.timeline_cpu_seconds, p.futexes_cpu_seconds, p.pairing_cpu_seconds, pairing_s);
  return 0;
}

// One stage alone on this thread: `stage` gets each chunk; only its CPU time counts
// (for "read", the reader's).
using Stage = std::function<void(const uint8_t*, size_t, const fxs::ChunkFutexKeys&)>;
int run_stage(const char* mode, fxs::TraceReader reader, const Stage& stage) {
  std::vector<uint8_t> buf;
  fxs::StoredChunk stored;
  fxs::ChunkDecoder decoder;
  fxs::ChunkFutexKeys keys;
  uint64_t records = 0, raw = 0;
  double cpu = 0;
  for (;;) {
    double t0 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    auto next = reader.next_stored_chunk(stored);
    if (next != fxs::TraceReader::Next::kChunk) break;
    if (!decoder.decode(stored.header, stored.payload.data(), buf, &keys).empty()) continue;  // as the loader: skipped
    double t1 = cpu_seconds(CLOCK_THREAD_CPUTIME_ID);
    records += stored.header.record_count;
    raw += buf.size();
    if (!stage) {
      cpu += t1 - t0;
      continue;
    }
    stage(buf.data(), buf.size(), keys);
    cpu += cpu_seconds(CLOCK_THREAD_CPUTIME_ID) - t1;
  }
  std::printf("%s records=%llu raw_bytes=%llu cpu_seconds=%.3f rate=%.0f/s cpu_ns_per_record=%.1f\n", mode,
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(raw), cpu,
              double(records) / cpu, cpu * 1e9 / double(records));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: fxs_load_bench TRACE [RUNS] [full|full-unpaired|full+pairing|read|timeline|futexes|pairing]\n");
    return 2;
  }
  const std::string path = argv[1];
  int runs = argc > 2 ? std::atoi(argv[2]) : 1;
  const std::string mode = argc > 3 ? argv[3] : "full";
  for (int i = 0; i < runs; i++) {
    auto reader = fxs::TraceReader::open(path);
    if (!reader) {
      std::fprintf(stderr, "fxs_load_bench: %s\n", reader.error().message.c_str());
      return 1;
    }
    int rc = 0;
    if (mode == "full" || mode == "full-unpaired" || mode == "full+pairing") {
      rc = run_full(path, std::move(*reader), mode != "full-unpaired", mode == "full+pairing");
    } else if (mode == "read") {
      rc = run_stage("read", std::move(*reader), Stage());
    } else if (mode == "timeline") {
      fxs::TimelineModel tl;
      rc = run_stage("timeline", std::move(*reader),
                     Stage([&](const uint8_t* d, size_t n, const fxs::ChunkFutexKeys& k) {
                       tl.add_records(d, n, &k);
                     }));
    } else if (mode == "futexes") {
      fxs::FutexTableModels table;
      fxs::ui::SideModels side;
      std::mutex mu;
      std::vector<uint32_t> scratch;
      rc = run_stage("futexes", std::move(*reader),
                     Stage([&](const uint8_t* d, size_t n, const fxs::ChunkFutexKeys& k) {
                       fxs::ui::add_futex_chunk(table, side, mu, d, n, &k, scratch);
                     }));
    } else if (mode == "pairing") {
      fxs::PairingModels pairing(reader->header().cpu_node);
      rc = run_stage("pairing", std::move(*reader), Stage([&](const uint8_t* d, size_t n, const fxs::ChunkFutexKeys&) {
                       pairing.add_chunk(d, n);
                     }));
    } else {
      std::fprintf(stderr, "fxs_load_bench: unknown mode %s (full, full-unpaired, full+pairing, read, timeline, futexes, pairing)\n", mode.c_str());
      return 2;
    }
    if (rc) return rc;
    std::fflush(stdout);
  }
  return 0;
}
