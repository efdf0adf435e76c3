// ingest_worker.h: loads a trace in the background while the UI draws what is
// loaded so far.
//
// A few loader threads (fxs-load-N, one per core up to 4) each carry one chunk
// at a time through every stage:
//   read      TraceReader::next_stored_chunk, in file order under a mutex
//   decode    ChunkDecoder::decode (zstd + framing checks), in parallel
//   timeline  TimelineModel::add_records, in file order, under a mutex the
//             UI holds only while it draws the timeline
//   futexes   FutexModel and the other models, in file order; publishes an
//             immutable snapshot of the per-futex statistics now and then
//             and at the end
//   pairing   the wake pairing (replay/pairing_models.h), in file order;
//             finished on its own thread (ui/pairing_finisher.h) at the
//             end of the stream, or from a copy when a live view asks
//             (refresh_pairing)
// A thread per stage (the earlier design) left three busy threads on two
// cores time-slicing, and every chunk was read by another core than the
// one that decompressed it (docs/BENCHMARKS.md, "Load speed, fifth pass").
// With follow(true) (live mode) the reader polls a growing file until the
// worker is stopped.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "replay/futex_table_models.h"
#include "replay/memory_budget.h"
#include "replay/pairing_models.h"
#include "replay/record_types.h"
#include "replay/timeline_model.h"
#include "replay/trace_reader.h"
#include "ui/pairing_finisher.h"
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
  // CPU seconds the loader threads spent in each stage, summed over them
  // (read includes decode); final once done (bench/load_bench).
  double read_cpu_seconds = 0, timeline_cpu_seconds = 0, futexes_cpu_seconds = 0, pairing_cpu_seconds = 0;
};

// Lets chunks through a stage one at a time in file order: ticket n passes
// wait() once ticket n - 1 has called leave(). close() releases every waiter
// (wait() then returns false).
class ChunkTurns {
 public:
  bool wait(uint64_t ticket);
  void leave();
  void close();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t current_ = 0;
  bool closed_ = false;
};

// The futexes stage's work on one chunk: the per-futex table's models,
// then the side models under `side_mu`; `keys` (may be null) are the chunk's
// futexes, `side_offsets` is scratch space kept between calls. (A function
// of its own so bench/load_bench can time it alone.)
void add_futex_chunk(FutexTableModels& table, SideModels& side, std::mutex& side_mu, const uint8_t* data, size_t size,
                     const ChunkFutexKeys* keys, std::vector<uint32_t>& side_offsets);
// What the wake pairing holds per futex call and wake record until it is
// finished (the per-wait table entries of the wake, split and holder models,
// a record per wake, the futile model's entries), rounded up.
inline constexpr uint64_t kPairingBytesPerRecord = 160;

class IngestWorker {
 public:
  // What the window's models read, routed by their declarations as the
  // report's are (replay/trace_models.h).
  static constexpr RecordTypes kReads =
      TimelineModel::kReads | FutexTableModels::kReads | SideModels::kReads | PairingModels::kReads;

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
  // Before start(): the futex table keeps at most n wait durations
  // (FutexModel::set_duration_limit).
  void set_wait_duration_limit(uint64_t n) { table_.futexes.set_duration_limit(n); }
  // Before start(): reading stops, with a warning, once the heap passes this.
  void set_heap_limit(uint64_t bytes) { heap_budget_ = MemoryBudget(bytes); }
  // Before start(): the wake pairing is dropped (with a warning) once it
  // would hold more than this (kPairingBytesPerRecord a record); 0: no pairing.
  void set_pairing_limit(uint64_t bytes) { pairing_limit_ = bytes; }
  // Following a growing file: no more data will come, so end at the end of the
  // file (progress().done becomes true). Called from the UI thread.
  void finish_following() { finish_following_ = true; }

  // The wake pairing: the latest finished one, or nullptr (not yet, or dropped).
  std::shared_ptr<const PairingSnapshot> pairing() const { return finisher_.snapshot(); }
  // Being finished, or still to come at the end of the stream.
  bool pairing_pending() const;
  // Why there is no pairing ("" if there is or will be one).
  std::string pairing_missing() const;
  // The pairing was given up past the memory limit (pairing_missing() says more).
  bool pairing_dropped() const { return pairing_dropped_; }
  // A growing trace: pair what is loaded now (a copy of the models, taken
  // at the pairing stage's next turn, finished on the side). Any thread.
  void refresh_pairing() const { pairing_refresh_ = true; }

  const TraceHeader& header() const { return header_; }
  // Hold this while reading timeline(); the timeline stage takes it per chunk.
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
  void load_loop(unsigned index);
  // One chunk (or, with no records, only warnings or the end) through the
  // stages that keep file order.
  struct Ticket;
  bool apply_in_order(const Ticket& t, const std::vector<uint8_t>& records, const ChunkFutexKeys& keys,
                      std::vector<uint32_t>& side_offsets);
  // final: the last publish (the bucket report is then always rebuilt).
  void publish_futexes(bool final);
  // The bucket report is rebuilt from scratch (O(all lock spins)): while
  // loading, at most a fifth of the time goes to it.
  std::shared_ptr<const BucketReport> buckets_;
  std::chrono::steady_clock::time_point buckets_built_{};
  std::chrono::steady_clock::duration buckets_cost_{};
  // The side models' reports: built (side_.prepare) without side_mu_, shown under it.
  void publish_side(bool final);
  void bump();
  void loader_done();

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
  unsigned loaders_ = 0;
  std::atomic<unsigned> loaders_done_{0};
  std::chrono::steady_clock::time_point started_;
  std::atomic<int64_t> done_after_us_{-1};
  std::atomic<int64_t> read_cpu_ns_{0}, timeline_cpu_ns_{0}, futexes_cpu_ns_{0}, pairing_cpu_ns_{0};

  // The read stage: reader_, the next ticket, and how many of the reader's
  // warnings were handed on with a ticket.
  std::mutex reader_mu_;
  uint64_t next_ticket_ = 0;
  size_t warnings_taken_ = 0;
  bool ended_ = false;  // the end of the stream has its ticket
  bool over_budget_ = false;  // past heap_budget_: only the end records are read on
  MemoryBudget heap_budget_{UINT64_MAX};
  ChunkTurns timeline_turns_, futex_turns_, pairing_turns_;

  // The futexes stage's models: used only by the ticket inside futex_turns_.
  FutexTableModels table_;
  // The pairing stage's (used only by the ticket inside pairing_turns_).
  std::unique_ptr<PairingModels> pairing_;  // null once handed over or dropped
  std::atomic<bool> pairing_alive_{true};   // pairing_ is not null (for other threads)
  uint64_t pairing_records_ = 0;
  uint64_t pairing_limit_ = UINT64_MAX;
  mutable std::atomic<bool> pairing_refresh_{false};
  // After the models: its thread may still be finishing them when the worker goes.
  PairingFinisher finisher_;
  void feed_pairing(uint64_t records, bool end);
  std::chrono::steady_clock::time_point last_publish_{};
  // What the last publish took: a snapshot costs O(futexes), so with
  // hundreds of thousands of futexes publishes are spaced out to keep them
  // under a fifth of the stage's time.
  std::chrono::steady_clock::duration publish_cost_{};
  bool unpublished_ = false;

  mutable std::mutex timeline_mu_;
  TimelineModel timeline_;

  mutable std::mutex side_mu_;
  SideModels side_;

  mutable std::mutex snap_mu_;
  std::shared_ptr<const FutexSnapshot> snapshot_;
  std::vector<std::string> reader_warnings_;
  std::string pairing_missing_;
  std::atomic<bool> pairing_dropped_{false};

  std::vector<std::thread> loader_threads_;
};

}  // namespace fxs::ui
