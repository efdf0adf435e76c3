#include "ui/pairing_finisher.h"

#include <pthread.h>

#include <chrono>
#include <utility>

namespace fxs::ui {

PairingFinisher::~PairingFinisher() {
  if (thread_.joinable()) thread_.join();
}

void PairingFinisher::finish(std::unique_ptr<PairingModels> models, uint64_t generation, bool complete,
                             std::function<void()> done, double copy_seconds) {
  if (thread_.joinable()) thread_.join();
  busy_ = true;
  thread_ = std::thread([this, m = std::move(models), generation, complete, done = std::move(done), copy_seconds] {
    pthread_setname_np(pthread_self(), "fxs-pair");
    auto t0 = std::chrono::steady_clock::now();
    auto s = std::make_shared<PairingSnapshot>();
    s->generation = generation;
    s->complete = complete;
    s->report = m->finish({&s->wakes, &s->attributed, &s->pairing});
    for (uint32_t i = 0; i < s->report.futexes.size(); i++)
      s->numa_index.emplace(PairKey{s->report.futexes[i].tgid, s->report.futexes[i].uaddr}, i);
    s->seconds = copy_seconds + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    {
      std::lock_guard lk(mu_);
      snap_ = std::move(s);
    }
    if (done) done();
    busy_ = false;  // last: a caller that waits for !busy() may then drop what `done` uses
  });
}

std::shared_ptr<const PairingSnapshot> PairingFinisher::snapshot() const {
  std::lock_guard lk(mu_);
  return snap_;
}

}  // namespace fxs::ui
