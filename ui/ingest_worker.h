// ingest_worker.h: loads a trace in the background while the UI draws what is
// loaded so far.
//
// Three named threads form a pipeline, so the work spreads over the cores:
//   fxs-read      TraceReader::next_chunk (read + zstd + framing checks)
//   fxs-timeline  TimelineModel::add_records, chunk by chunk, under a mutex
//                 the UI holds only while it draws the timeline
//   fxs-futexes   FutexModel::add_records; publishes an immutable snapshot of
//                 the per-futex statistics now and then and at the end
// Chunks travel as shared, immutable buffers through two bounded queues.
// With follow(true) (live mode) the reader polls a growing file until the
// worker is stopped.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "replay/bucket_model.h"
#include "replay/futex_model.h"
#include "replay/kind_model.h"
#include "replay/timeline_model.h"
#include "replay/trace_reader.h"
#include "ui/side_models.h"

namespace fxs::ui {

// The per-futex statistics at one moment; never changes once published.
struct FutexSnapshot {
  std::vector<FutexStats> futexes;  // ranked by total wait (FutexModel::rank)
  std::array<uint64_t, FXS_NR_COUNTERS> counters{};
  bool has_loss_record = false;
  bool summary = false;   // --summary aggregates (no per-call records)
  uint64_t events = 0;
  uint64_t duration_ns = 0;
  std::vector<std::string> warnings;  // the model's
  std::shared_ptr<const BucketReport> buckets;  // hash buckets and their lock spins
};

struct IngestProgress {
  uint64_t bytes_read = 0;
  uint64_t file_bytes = 0;   // 0 when unknown (a pipe or socket)
  uint64_t calls = 0;        // calls in the timeline
  bool done = false;         // every consumer has seen the end of the stream
  double load_seconds = 0;   // from start() to done (or to now)
  // CPU seconds each loader thread used, set when it finishes (0 before):
  // which stage pays for three threads sharing the cores (bench/load_bench).
  double read_cpu_seconds = 0, timeline_cpu_seconds = 0, futexes_cpu_seconds = 0;
};

// A bounded queue of chunks; close() wakes everyone and makes pop() drain then fail.
class ChunkQueue {
 public:
  using Chunk = std::shared_ptr<const std::vector<uint8_t>>;
  explicit ChunkQueue(size_t capacity) : capacity_(capacity) {}
  bool push(Chunk c);  // false once closed
  bool pop(Chunk& c);  // false when closed and empty
  void close();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> q_;
  size_t capacity_;
  bool closed_ = false;
};

// The fxs-futexes thread's work on one chunk: the futex, bucket and kind models,
// then the side models under `side_mu`; `side_offsets` is scratch space
// kept between calls. (A function of its own so bench/load_bench can time
// it alone.)
void add_futex_chunk(FutexModel& model, BucketModel& buckets, KindModel& kinds, SideModels& side, std::mutex& side_mu,
                     const uint8_t* data, size_t size, std::vector<uint32_t>& side_offsets);

class IngestWorker {
 public:
  IngestWorker(TraceReader reader, uint64_t file_bytes, bool follow);
  ~IngestWorker();  // stops and joins
  IngestWorker(const IngestWorker&) = delete;
  IngestWorker& operator=(const IngestWorker&) = delete;

  // `wake_ui` is called (from a worker thread) whenever new data was
  // published, so an idle UI can redraw; it must be thread-safe.
  void start(std::function<void()> wake_ui);
  void stop();
  // Before start(): the timeline keeps at most n calls (TimelineModel::set_call_limit).
  void set_timeline_call_limit(uint64_t n) { timeline_.set_call_limit(n); }
  // Following a growing file: no more data will come, so end at the end of the
  // file (progress().done becomes true). Called from the UI thread.
  void finish_following() { finish_following_ = true; }

  const TraceHeader& header() const { return header_; }
  // Hold this while reading timeline(); the timeline thread takes it per chunk.
  std::mutex& timeline_mutex() const { return timeline_mu_; }
  const TimelineModel& timeline() const { return timeline_; }
  std::shared_ptr<const FutexSnapshot> futexes() const;
  // rseq, UMCG and stacks: hold side_mutex() while reading side() (its
  // first_ns()/last_ns() need no lock).
  std::mutex& side_mutex() const { return side_mu_; }
  const SideModels& side() const { return side_; }
  IngestProgress progress() const;
  std::vector<std::string> reader_warnings() const;
  // Increases whenever something new was published.
  uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  void read_loop();
  void timeline_loop();
  void futex_loop();
  // final: the last publish (the bucket report is then always rebuilt).
  void publish_futexes(FutexModel& model, const BucketModel& buckets, const KindModel& kinds,
                       bool final);
  // The bucket report is rebuilt from scratch (O(all lock spins)): while
  // loading, at most a fifth of the time goes to it.
  std::shared_ptr<const BucketReport> buckets_;
  std::chrono::steady_clock::time_point buckets_built_{};
  std::chrono::steady_clock::duration buckets_cost_{};
  // The side models' reports: built (side_.prepare) without side_mu_, shown under it.
  void publish_side(bool final);
  void bump();
  void consumer_done();

  TraceReader reader_;
  TraceHeader header_;
  uint64_t file_bytes_;
  bool follow_;
  std::function<void()> wake_ui_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> finish_following_{false};
  std::atomic<uint64_t> generation_{0};
  std::atomic<uint64_t> bytes_read_{0};
  std::atomic<uint64_t> calls_{0};
  std::atomic<int> consumers_done_{0};
  std::chrono::steady_clock::time_point started_;
  std::atomic<int64_t> done_after_us_{-1};
  std::atomic<int64_t> read_cpu_ns_{0}, timeline_cpu_ns_{0}, futexes_cpu_ns_{0};

  ChunkQueue to_timeline_{8}, to_futexes_{8};

  // Chunk buffers are recycled: a fresh 4 MiB buffer per chunk costs page
  // faults and zeroing on every chunk, as much as decompressing it.
  std::shared_ptr<std::vector<uint8_t>> take_buffer();
  std::mutex pool_mu_;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> pool_;
  bool pool_closed_ = false;  // loading is over: buffers are freed, not pooled
  std::shared_ptr<bool> pool_alive_ = std::make_shared<bool>(true);

  mutable std::mutex timeline_mu_;
  TimelineModel timeline_;

  mutable std::mutex side_mu_;
  SideModels side_;

  mutable std::mutex snap_mu_;
  std::shared_ptr<const FutexSnapshot> snapshot_;
  std::vector<std::string> reader_warnings_;

  std::thread reader_thread_, timeline_thread_, futex_thread_;
};

}  // namespace fxs::ui
