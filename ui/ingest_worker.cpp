#include "ui/ingest_worker.h"

#include <pthread.h>
#include <time.h>

#include <chrono>
#include <cstring>
#include <utility>

namespace fxs::ui {

namespace {

// How often the futex thread re-publishes statistics while loading:
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

bool ChunkQueue::push(Chunk c) {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return closed_ || q_.size() < capacity_; });
  if (closed_) return false;
  q_.push_back(std::move(c));
  cv_.notify_all();
  return true;
}

bool ChunkQueue::pop(Chunk& c) {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return closed_ || !q_.empty(); });
  if (q_.empty()) return false;
  c = std::move(q_.front());
  q_.pop_front();
  cv_.notify_all();
  return true;
}

void ChunkQueue::close() {
  std::lock_guard lk(mu_);
  closed_ = true;
  cv_.notify_all();
}

IngestWorker::IngestWorker(TraceReader reader, uint64_t file_bytes, bool follow)
    : reader_(std::move(reader)), header_(reader_.header()), file_bytes_(file_bytes), follow_(follow) {
  reader_.follow(follow);
  snapshot_ = std::make_shared<FutexSnapshot>();
}

IngestWorker::~IngestWorker() {
  stop();
  pool_alive_.reset();
}

void IngestWorker::start(std::function<void()> wake_ui) {
  wake_ui_ = std::move(wake_ui);
  started_ = std::chrono::steady_clock::now();
  reader_thread_ = std::thread([this] { read_loop(); });
  timeline_thread_ = std::thread([this] { timeline_loop(); });
  futex_thread_ = std::thread([this] { futex_loop(); });
}

void IngestWorker::stop() {
  stop_ = true;
  to_timeline_.close();
  to_futexes_.close();
  for (auto* t : {&reader_thread_, &timeline_thread_, &futex_thread_})
    if (t->joinable()) t->join();
}

// The second consumer to finish marks the load done and frees the chunk
// buffer pool: nothing will be read any more, and the pool would otherwise
// keep tens of MiB resident for the rest of the session.
void IngestWorker::consumer_done() {
  if (consumers_done_.fetch_add(1) + 1 != 2) return;
  {
    std::lock_guard lk(pool_mu_);
    pool_closed_ = true;
    pool_.clear();
  }
  done_after_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - started_)
                       .count();
}

void IngestWorker::bump() {
  generation_.fetch_add(1, std::memory_order_acq_rel);
  if (wake_ui_) wake_ui_();
}

std::shared_ptr<std::vector<uint8_t>> IngestWorker::take_buffer() {
  std::unique_ptr<std::vector<uint8_t>> buf;
  {
    std::lock_guard lk(pool_mu_);
    if (!pool_.empty()) {
      buf = std::move(pool_.back());
      pool_.pop_back();
    }
  }
  if (!buf) buf = std::make_unique<std::vector<uint8_t>>();
  // The last holder of the chunk (either consumer) puts the buffer back,
  // unless the worker is gone by then (the UI may hold nothing, but be safe).
  std::weak_ptr<bool> alive = pool_alive_;
  return std::shared_ptr<std::vector<uint8_t>>(buf.release(), [this, alive](std::vector<uint8_t>* b) {
    std::unique_ptr<std::vector<uint8_t>> owned(b);
    if (alive.expired()) return;
    std::lock_guard lk(pool_mu_);
    if (!pool_closed_ && pool_.size() < 20) pool_.push_back(std::move(owned));
  });
}

void IngestWorker::read_loop() {
  name_thread("fxs-read");
  size_t warnings_seen = 0;
  while (!stop_) {
    if (follow_ && finish_following_) {
      reader_.follow(false);  // what is in the file now is all there will be
      follow_ = false;
    }
    auto buf = take_buffer();
    auto next = reader_.next_chunk(*buf);
    bytes_read_ = reader_.bytes_read();
    if (reader_.warnings().size() != warnings_seen) {
      std::lock_guard lk(snap_mu_);
      reader_warnings_ = reader_.warnings();
      warnings_seen = reader_warnings_.size();
    }
    if (next == TraceReader::Next::kEnd) break;
    if (next == TraceReader::Next::kAgain) {
      std::this_thread::sleep_for(kFollowPoll);
      continue;
    }
    ChunkQueue::Chunk chunk = std::move(buf);
    if (!to_timeline_.push(chunk) || !to_futexes_.push(chunk)) break;
  }
  read_cpu_ns_ = thread_cpu_ns();  // before the consumers can finish: done means all three are stamped
  to_timeline_.close();
  to_futexes_.close();
}

void IngestWorker::timeline_loop() {
  name_thread("fxs-timeline");
  ChunkQueue::Chunk chunk;
  while (to_timeline_.pop(chunk)) {
    {
      std::lock_guard lk(timeline_mu_);
      timeline_.add_records(chunk->data(), chunk->size());
      calls_ = timeline_.calls();
    }
    chunk.reset();
    bump();
  }
  timeline_cpu_ns_ = thread_cpu_ns();
  consumer_done();
  bump();
}

void IngestWorker::publish_futexes(FutexModel& model, const BucketModel& buckets,
                                   const KindModel& kinds, bool final) {
  auto s = std::make_shared<FutexSnapshot>();
  s->futexes = model.finish();
  // The same kinds as `report`: values, bitsets, wake counts, glibc names in
  // stacks. No side mutex: this thread is the only writer of the stacks, and
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

// One walk over the chunk for all the models of this thread:
// FutexModel::add_records() minus the rseq and UMCG records (types from
// FXS_REC_RSEQ_ABORT up): those belong to their own models, and the futex
// model would count them as unknown and warn. The framing was checked by
// the reader. Hash-bucket records (and the buckets of futex records) also
// go to `buckets`, futex records to `kinds`. The few records the side models want (stacks, names,
// rseq, UMCG) are noted on the way and given to them under `side_mu`
// afterwards: a second walk over every record of the chunk cost a sixth of
// this thread's time.
void add_futex_chunk(FutexModel& model, BucketModel& buckets, KindModel& kinds, SideModels& side, std::mutex& side_mu,
                     const uint8_t* data, size_t size, std::vector<uint32_t>& side_offsets) {
  side_offsets.clear();
  for_each_chunk_record(data, size, [&](const uint8_t* p, const fxs_rec_hdr& h) {
    auto* rec = reinterpret_cast<const fxs_rec_hdr*>(p);
    if (h.type == FXS_REC_FUTEX)
      kinds.add(rec, model.add(rec));
    else if (h.type < FXS_REC_RSEQ_ABORT && !buckets.add(rec))
      model.add(rec);
    if (SideModels::wants(h, p)) side_offsets.push_back(static_cast<uint32_t>(p - data));
  });
  std::lock_guard lk(side_mu);
  for (uint32_t off : side_offsets) {
    fxs_rec_hdr h;
    std::memcpy(&h, data + off, sizeof h);
    side.add(h, data + off);
  }
  side.end_batch();
}

void IngestWorker::futex_loop() {
  name_thread("fxs-futexes");
  FutexModel model;
  BucketModel buckets;
  KindModel kinds;
  auto last = std::chrono::steady_clock::now();
  ChunkQueue::Chunk chunk;
  bool dirty = false;
  std::vector<uint32_t> side_offsets;
  while (to_futexes_.pop(chunk)) {
    add_futex_chunk(model, buckets, kinds, side_, side_mu_, chunk->data(), chunk->size(), side_offsets);
    chunk.reset();
    dirty = true;
    auto now = std::chrono::steady_clock::now();
    if (now - last >= kPublishEvery) {
      publish_futexes(model, buckets, kinds, false);
      last = std::chrono::steady_clock::now();
      dirty = false;
    }
  }
  if (dirty || model.events() == 0 || !model.has_stop_record()) publish_futexes(model, buckets, kinds, true);
  publish_side(/*final=*/true);  // everything is in: complete rseq/UMCG reports
  futexes_cpu_ns_ = thread_cpu_ns();
  consumer_done();
  bump();
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
  return p;
}

}  // namespace fxs::ui
