#include "ui/numa_loader.h"

#include <pthread.h>

#include "replay/numa_report.h"

namespace fxs::ui {

NumaLoader::~NumaLoader() {
  cancel_ = true;
  join();
}

void NumaLoader::join() {
  if (thread_.joinable()) thread_.join();
}

void NumaLoader::request(const std::string& path, uint64_t generation, bool follow) {
  if (busy_) return;
  join();  // the previous run has finished
  busy_ = true;
  requested_at_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this, path, generation, follow] {
    pthread_setname_np(pthread_self(), "fxs-numa");
    auto t0 = std::chrono::steady_clock::now();
    auto keep_going = [this] { return !cancel_.load(); };
    auto s = std::make_shared<NumaSnapshot>();
    s->generation = generation;
    if (!follow) {
      auto r = numa_report_from_file(path, keep_going, {&s->wakes, &s->attributed, &s->pairing});
      if (r.ok()) {
        s->ok = true;
        s->report = std::move(r.value());
      } else {
        s->error = r.message();
      }
    } else {
      Status st;
      uint64_t before = follower_ ? follower_->bytes_read() : 0;  // a new follower read the header too
      if (!follower_) {
        auto f = NumaFollower::open(path, /*follow=*/true);
        if (f.ok())
          follower_ = std::make_unique<NumaFollower>(std::move(f.value()));
        else
          st = Error{f.message()};
      }
      if (follower_) st = follower_->update(keep_going);
      if (st.ok()) {
        s->ok = true;
        s->report = follower_->report({&s->wakes, &s->attributed, &s->pairing});
        s->bytes_read = follower_->bytes_read() - before;
      } else {
        s->error = st.message();
      }
    }
    s->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    {
      std::lock_guard lk(mu_);
      snap_ = std::move(s);
    }
    busy_ = false;
  });
}

std::shared_ptr<const NumaSnapshot> NumaLoader::snapshot() const {
  std::lock_guard lk(mu_);
  return snap_;
}

}  // namespace fxs::ui
