#include "ui/ingest_worker.h"

#include <malloc.h>
#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <utility>

#include "replay/huge_pages.h"

namespace fxs::ui {

namespace {

// How often the futexes stage re-publishes statistics while loading:
// FutexModel::finish() costs O(futexes + waits), so not after every chunk.
constexpr auto kPublishEvery = std::chrono::milliseconds(400);
// While following a growing file, how long to wait before polling again.
constexpr auto kFollowPoll = std::chrono::milliseconds(50);

void name_thread(const char* name) { pthread_setname_np(pthread_self(), name); }

int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

}  // namespace

bool ChunkTurns::wait(uint64_t ticket) {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return closed_ || current_ == ticket; });
  return !closed_;
}

void ChunkTurns::leave() {
  std::lock_guard lk(mu_);
  current_++;
  cv_.notify_all();
}

void ChunkTurns::close() {
  std::lock_guard lk(mu_);
  closed_ = true;
  cv_.notify_all();
}

// What one loader thread took from the read stage, in file order.
struct IngestWorker::Ticket {
  uint64_t number = 0;
  bool has_records = false;         // a chunk that decoded
  bool end = false;                 // the end of the stream: the last ticket
  bool end_only = false;            // past the memory limit: only the loss counters and the stop record
  std::vector<std::string> warnings;  // the reader's since the last ticket, then a decoding failure
};

IngestWorker::IngestWorker(TraceReader reader, uint64_t file_bytes, bool follow)
    : reader_(std::move(reader)), header_(reader_.header()), file_bytes_(file_bytes), follow_(follow) {
  reader_.follow(follow);
  snapshot_ = std::make_shared<FutexSnapshot>();
  pairing_ = std::make_unique<PairingModels>(header_.cpu_node);
}

IngestWorker::~IngestWorker() { stop(); }

void IngestWorker::start(std::function<void()> wake_ui) {
  wake_ui_ = std::move(wake_ui);
  // Blocks from kPrefaultFrom up are mapped each on its own and unmapped
  // when freed. glibc's default raises that threshold after each such free,
  // so the pairing's large tables, freed once it is finished, stayed in the
  // heap between the models the window keeps: the condvar sample's RSS per
  // event once everything was in was 3x that of the same models without
  // that (docs/BENCHMARKS.md, "Load speed and memory with everything in").
  mallopt(M_MMAP_THRESHOLD, int(kPrefaultFrom));
  if (pairing_limit_ == 0) {
    pairing_.reset();
    pairing_alive_ = false;
    pairing_missing_ = "not computed: this window pairs no waits with their wakes";
  }
  started_ = std::chrono::steady_clock::now();
  last_publish_ = started_;
  // Two threads on two cores; past four, the stages that keep file order
  // (timeline, futexes) bound the rate anyway.
  loaders_ = std::clamp(std::thread::hardware_concurrency(), 2u, 4u);
  for (unsigned i = 0; i < loaders_; i++) loader_threads_.emplace_back([this, i] { load_loop(i); });
}

void IngestWorker::stop() {
  stop_ = true;
  timeline_turns_.close();
  futex_turns_.close();
  pairing_turns_.close();
  for (auto& t : loader_threads_)
    if (t.joinable()) t.join();
}

// The last loader thread to leave marks the load done: by then every chunk
// buffer is freed and every stage's CPU time counted.
void IngestWorker::loader_done() {
  if (loaders_done_.fetch_add(1) + 1 != loaders_) return;
  done_after_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - started_)
                       .count();
  bump();
}

void IngestWorker::bump() {
  generation_.fetch_add(1, std::memory_order_acq_rel);
  if (wake_ui_) wake_ui_();
}

void IngestWorker::load_loop(unsigned index) {
  name_thread(("fxs-load-" + std::to_string(index)).c_str());
  {
    // Kept across chunks: a fresh 4 MiB buffer per chunk costs page faults
    // and zeroing on every chunk, as much as decompressing it.
    ChunkDecoder decoder;
    StoredChunk stored;
    std::vector<uint8_t> records;
    ChunkFutexKeys keys;
    std::vector<uint32_t> side_offsets;
    int64_t read_ns = 0;
    while (!stop_) {
      Ticket t;
      int64_t t0 = thread_cpu_ns();
      TraceReader::Next next;
      bool refresh = false;
      {
        std::lock_guard lk(reader_mu_);
        if (ended_) break;
        if (follow_ && finish_following_) {
          reader_.follow(false);  // what is in the file now is all there will be
          follow_ = false;
        }
        // Between chunks: a chunk may expand a thousandfold. Past the limit
        // the models take nothing more (what the window holds stays
        // drawable), but the rest is read for the recording's loss counters
        // and its stop record, which take no memory: the window never shows
        // fewer losses than the recorder counted.
        const bool newly_over = !over_budget_ && heap_budget_.exceeded_now();
        over_budget_ = over_budget_ || newly_over;
        t.end_only = over_budget_;
        next = reader_.next_stored_chunk(stored);
        bytes_read_ = reader_.bytes_read();
        const auto& w = reader_.warnings();
        t.warnings.assign(w.begin() + static_cast<std::ptrdiff_t>(warnings_taken_), w.end());
        warnings_taken_ = w.size();
        if (newly_over) t.warnings.push_back(heap_budget_.warning(calls_.load(), "the window"));
        // A live view asked for the pairing while nothing new comes: a turn
        // of the stages without records serves it.
        refresh = next == TraceReader::Next::kAgain && pairing_refresh_ && pairing_alive_ && !finisher_.busy();
        if (next != TraceReader::Next::kAgain || !t.warnings.empty() || refresh) t.number = next_ticket_++;
        if (next == TraceReader::Next::kEnd) ended_ = true;
      }
      if (next == TraceReader::Next::kAgain && t.warnings.empty() && !refresh) {
        read_ns += thread_cpu_ns() - t0;
        std::this_thread::sleep_for(kFollowPoll);
        continue;
      }
      t.end = next == TraceReader::Next::kEnd;
      if (next == TraceReader::Next::kChunk) {
        // The futex keys here, in parallel with the other loader threads,
        // rather than in the stages below, which take one chunk at a time.
        std::string problem = decoder.decode(stored.header, stored.payload.data(), records, &keys);
        t.has_records = problem.empty();
        if (t.has_records && t.end_only) {
          keep_only_records(records, kEndRecords);
          keys.build(records.data(), records.size());
        }
        if (!problem.empty()) t.warnings.push_back(stored.label + ": " + problem + ", skipped");
      }
      read_ns += thread_cpu_ns() - t0;
      if (!apply_in_order(t, records, keys, side_offsets) || t.end) break;
    }
    read_cpu_ns_ += read_ns;
  }
  loader_done();
}

// The ticket's chunk through the timeline, then the futex models, each in
// file order; false when the worker is stopping.
bool IngestWorker::apply_in_order(const Ticket& t, const std::vector<uint8_t>& records, const ChunkFutexKeys& keys,
                                  std::vector<uint32_t>& side_offsets) {
  if (!timeline_turns_.wait(t.number)) return false;
  int64_t t0 = thread_cpu_ns();
  if (t.has_records) {
    std::lock_guard lk(timeline_mu_);
    timeline_.add_records(records.data(), records.size(), &keys);
    calls_ = timeline_.calls();
  }
  timeline_turns_.leave();
  int64_t t1 = thread_cpu_ns();
  timeline_cpu_ns_ += t1 - t0;
  if (t.has_records) bump();

  if (!futex_turns_.wait(t.number)) return false;
  t1 = thread_cpu_ns();
  if (!t.warnings.empty()) {
    std::lock_guard lk(snap_mu_);
    reader_warnings_.insert(reader_warnings_.end(), t.warnings.begin(), t.warnings.end());
  }
  if (t.has_records) {
    add_futex_chunk(table_, side_, side_mu_, records.data(), records.size(), &keys, side_offsets);
    unpublished_ = true;
    auto now = std::chrono::steady_clock::now();
    if (now - last_publish_ >= std::max<std::chrono::steady_clock::duration>(kPublishEvery, publish_cost_ * 4)) {
      publish_futexes(false);
      last_publish_ = std::chrono::steady_clock::now();
      publish_cost_ = last_publish_ - now;
      unpublished_ = false;
    }
  }
  if (t.end) {
    if (unpublished_ || table_.futexes.events() == 0 || !table_.futexes.has_stop_record()) publish_futexes(true);
    publish_side(/*final=*/true);  // everything is in: complete rseq/UMCG reports
  }
  futex_turns_.leave();
  int64_t t2 = thread_cpu_ns();
  futexes_cpu_ns_ += t2 - t1;

  // The wake pairing, a stage of its own: on two cores it runs beside the
  // next chunk's futexes stage.
  if (!pairing_turns_.wait(t.number)) return false;
  t2 = thread_cpu_ns();
  const uint64_t paired = t.has_records && pairing_ ? pairing_->add_chunk(records.data(), records.size()) : 0;
  feed_pairing(paired, t.end);  // also a live view's refresh, with or without records
  pairing_turns_.leave();
  pairing_cpu_ns_ += thread_cpu_ns() - t2;
  return true;
}

// The pairing stage, after each chunk: drops the pairing past its memory
// limit, copies it for a live view that asked, and hands it over whole at
// the end of the stream.
void IngestWorker::feed_pairing(uint64_t records, bool end) {
  if (!pairing_) {
    pairing_refresh_ = false;  // there is nothing to refresh
    return;
  }
  pairing_records_ += records;
  if (pairing_records_ > pairing_limit_ / kPairingBytesPerRecord) {
    pairing_.reset();
    pairing_alive_ = false;
    char limit[32];
    if (pairing_limit_ >= (uint64_t{1} << 30))
      std::snprintf(limit, sizeof limit, "%.1f GiB", double(pairing_limit_) / double(uint64_t{1} << 30));
    else
      std::snprintf(limit, sizeof limit, "%.0f MiB", double(pairing_limit_) / double(uint64_t{1} << 20));
    std::lock_guard lk(snap_mu_);
    pairing_dropped_ = true;
    pairing_missing_ = "not computed: pairing every wait with its wake passed the memory limit (" +
                       std::string(limit) + ", --memory-limit) after " + std::to_string(pairing_records_) +
                       " calls and wakes; `futexscope report FILE` computes it";
    return;
  }
  auto wake = [this] {
    if (wake_ui_) wake_ui_();
  };
  if (end) {
    pairing_alive_ = false;
    if (stop_) return;  // the window is closing
    finisher_.finish(std::move(pairing_), generation(), /*complete=*/true, wake);
  } else if (pairing_refresh_ && !finisher_.busy()) {
    pairing_refresh_ = false;
    const auto t0 = std::chrono::steady_clock::now();
    auto copy = std::make_unique<PairingModels>(*pairing_);
    const double copy_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    finisher_.finish(std::move(copy), generation(), /*complete=*/false, wake, copy_s);
  }
}

bool IngestWorker::pairing_pending() const { return pairing_alive_ || finisher_.busy(); }

std::string IngestWorker::pairing_missing() const {
  std::lock_guard lk(snap_mu_);
  return pairing_missing_;
}

void IngestWorker::publish_futexes(bool final) {
  FutexModel& model = table_.futexes;
  const BucketModel& buckets = table_.buckets;
  const KindModel& kinds = table_.kinds;
  auto s = std::make_shared<FutexSnapshot>();
  s->futexes = model.finish();
  // The same kinds as `report`: values, bitsets, wake counts, glibc names in
  // stacks. No side mutex: this stage is the only writer of the stacks, and
  // views only read them, so the UI never waits while thousands of futexes
  // are classified.
  for (FutexStats& f : s->futexes) f.kind = kinds.kind(f, model.index_of(f.tgid, f.uaddr), &side_.stacks());
  FutexModel::rank(s->futexes);
  s->counters = model.counters();
  s->has_loss_record = model.has_loss_record();
  s->summary = header_.summary || model.summary();
  s->events = model.events();
  s->duration_ns = model.duration_ns();
  s->warnings = model.warnings();
  // The whole stream is in (not a window closed mid-load): say if it was cut short.
  if (final && !stop_ && !model.has_stop_record()) s->warnings.push_back(kNoStopRecordWarning);
  auto now = std::chrono::steady_clock::now();
  if (final || !buckets_ || (now - buckets_built_) >= buckets_cost_ * 5) {
    buckets_ = std::make_shared<const BucketReport>(buckets.finish(s->futexes));
    buckets_built_ = std::chrono::steady_clock::now();
    buckets_cost_ = buckets_built_ - now;
  }
  s->buckets = buckets_;
  publish_side(false);
  {
    std::lock_guard lk(snap_mu_);
    snapshot_ = std::move(s);
  }
  bump();
}

// The reports are built without the side mutex (the UMCG lanes cost
// O(all spans)) and swapped in under it, so the UI never waits on a rebuild.
void IngestWorker::publish_side(bool final) {
  side_.prepare(final);
  std::lock_guard lk(side_mu_);
  side_.publish();
}

// One walk over the chunk for the per-futex table's models (routed by
// their declarations, as TraceModels routes them). The framing was checked
// by the reader. The few records the side models want (stacks, names, rseq,
// UMCG) are noted on the way and given to them under `side_mu` afterwards:
// a second walk over every record of the chunk cost a sixth of this stage's
// time.
void add_futex_chunk(FutexTableModels& table, SideModels& side, std::mutex& side_mu, const uint8_t* data, size_t size,
                     const ChunkFutexKeys* keys, std::vector<uint32_t>& side_offsets) {
  side_offsets.clear();
  FutexModel& model = table.futexes;
  model.start_chunk(keys, data, size);
  size_t futex_records = 0;
  for_each_chunk_record(data, size, [&](const uint8_t* p, const fxs_rec_hdr& h) {
    auto* rec = reinterpret_cast<const fxs_rec_hdr*>(p);
    if (FutexTableModels::kReads.has(h.type))
      table.add(rec, h.type == FXS_REC_FUTEX && keys ? keys->id(futex_records++) : ChunkFutexKeys::kNone);
    if (SideModels::wants(h, p)) side_offsets.push_back(static_cast<uint32_t>(p - data));
  });
  model.end_chunk();
  std::lock_guard lk(side_mu);
  for (uint32_t off : side_offsets) {
    fxs_rec_hdr h;
    std::memcpy(&h, data + off, sizeof h);
    side.add(h, data + off);
  }
  side.end_batch();
}

std::shared_ptr<const FutexSnapshot> IngestWorker::futexes() const {
  std::lock_guard lk(snap_mu_);
  return snapshot_;
}

std::vector<std::string> IngestWorker::reader_warnings() const {
  std::lock_guard lk(snap_mu_);
  return reader_warnings_;
}

IngestProgress IngestWorker::progress() const {
  IngestProgress p;
  p.bytes_read = bytes_read_.load();
  p.file_bytes = file_bytes_;
  p.calls = calls_.load();
  int64_t done_us = done_after_us_.load();
  p.done = done_us >= 0;
  p.load_seconds = p.done ? static_cast<double>(done_us) / 1e6
                          : std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  p.read_cpu_seconds = static_cast<double>(read_cpu_ns_.load()) / 1e9;
  p.timeline_cpu_seconds = static_cast<double>(timeline_cpu_ns_.load()) / 1e9;
  p.futexes_cpu_seconds = static_cast<double>(futexes_cpu_ns_.load()) / 1e9;
  p.pairing_cpu_seconds = static_cast<double>(pairing_cpu_ns_.load()) / 1e9;
  return p;
}

}  // namespace fxs::ui
