#include "fuzz/window_load.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "replay/chrome_export.h"
#include "replay/trace_reader.h"
#include "ui/ingest_worker.h"
#include "ui/side_models.h"
#include "ui/wake_arrows.h"

namespace fxs::fuzz {

namespace {

// What the loader's wake_ui signals; it must outlive the worker, whose
// threads (the pairing's finisher too) call it until they are joined.
struct Wakeup {
  std::mutex mu;
  std::condition_variable cv;
};

// The loader's whole run; returns once every stage has seen the end.
void ingest(ui::IngestWorker& worker, Wakeup& w) {
  // wake_ui runs on a loader thread whenever something was published; the
  // last one comes after progress().done is set.
  worker.start([&w] {
    std::lock_guard lk(w.mu);
    w.cv.notify_all();
  });
  std::unique_lock lk(w.mu);
  w.cv.wait(lk, [&] { return worker.progress().done; });
}

// The timeline's arrows, as the view builds them once the trace is in (by
// time, and exactly from the pairing pass's attributions), and as the live
// view pairs them around what it shows.
void wake_arrows(const ui::IngestWorker& worker, std::shared_ptr<const std::vector<WakeAttribution>> attributed) {
  const TimelineModel& tl = worker.timeline();
  for (auto a : {std::shared_ptr<const std::vector<WakeAttribution>>(), attributed}) {
    ui::WakeArrows arrows;
    arrows.start(tl, a);
    while (!arrows.ready()) std::this_thread::yield();
  }
  std::lock_guard lk(worker.side_mutex());
  ui::TraceExtent extent = ui::trace_extent(tl, worker.side());
  ui::LiveWakeArrows live;
  (void)live.update(tl, extent.first_ns, extent.last_ns);
  // The futex panel's "woken by" of the top futex.
  if (!tl.futexes().empty()) (void)pair_wakes(tl, 0);
}

}  // namespace

void load_like_the_window(const std::string& path, uint64_t memory_limit) {
  auto reader = TraceReader::open(path);
  if (!reader.ok()) return;  // the window says so in one line
  Wakeup wakeup;
  ui::IngestWorker worker(std::move(*reader), 0, /*follow=*/false);
  worker.set_heap_limit(memory_limit);
  worker.set_pairing_limit(memory_limit);
  ingest(worker, wakeup);
  worker.stop();  // joins: nothing changes the models any more
  (void)worker.futexes();
  (void)worker.reader_warnings();
  {
    std::lock_guard lk(worker.side_mutex());
    (void)worker.side().umcg();
  }
  // The wake pairing of the same pass (NUMA tab, wakers, the Futex tab's
  // split/futile/holders, exact arrows), finished on its own thread.
  while (worker.pairing_pending()) std::this_thread::yield();
  auto paired = worker.pairing();
  wake_arrows(worker, paired ? std::shared_ptr<const std::vector<WakeAttribution>>(paired, &paired->attributed)
                             : nullptr);
}

}  // namespace fxs::fuzz
