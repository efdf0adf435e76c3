// PageNodeResolver's bookkeeping without root: a fake move_pages answers from
// a table the test controls (which processes are alive, which node each page
// is on), and the records the resolver writes are read back from the trace.
// One test uses the real system call on a child of the test (same user: no
// root needed), whose own move_pages answer is the truth; the recorder's use
// of it is covered by the integration tests RecordNuma.* and the VM tests.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "collector/page_node_resolver.h"
#include "replay/trace_reader.h"
#include "replay/trace_writer.h"

namespace fxs {
namespace {

const uint64_t kPage = uint64_t(sysconf(_SC_PAGESIZE));

// A pretend machine: live processes and the node of each of their pages.
struct FakeKernel {
  std::set<uint32_t> alive;
  std::set<uint32_t> zombies;                       // exiting: EINVAL
  std::map<std::pair<uint32_t, uint64_t>, int> node;  // (tgid, page) -> node; absent: -ENOENT
  std::vector<std::pair<uint32_t, size_t>> calls;   // (tgid, pages asked) per call

  long query(uint32_t tgid, std::vector<void*>& pages, std::vector<int>& status) {
    calls.emplace_back(tgid, pages.size());
    if (zombies.count(tgid)) return -EINVAL;
    if (!alive.count(tgid)) return -ESRCH;
    status.assign(pages.size(), -ENOENT);
    for (size_t i = 0; i < pages.size(); i++) {
      auto it = node.find({tgid, reinterpret_cast<uint64_t>(pages[i])});
      if (it != node.end()) status[i] = it->second;
    }
    return 0;
  }
  size_t pages_asked() const {
    size_t n = 0;
    for (const auto& c : calls) n += c.second;
    return n;
  }
};

using Rec = std::tuple<uint32_t, uint64_t, int32_t>;  // tgid, page, node

class PageNodeResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fxs-pagenode-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/pages.fxs";
    auto w = TraceWriter::create(path_, TraceHeader{});
    ASSERT_TRUE(w.ok()) << w.message();
    w_.emplace(std::move(w.value()));
  }
  void TearDown() override {
    std::remove(path_.c_str());
    rmdir(dir_.c_str());
  }
  PageNodeResolver make(size_t max_pages, size_t budget) {
    return PageNodeResolver(
        [this](uint32_t t, std::vector<void*>& p, std::vector<int>& s) { return k_.query(t, p, s); }, max_pages,
        budget);
  }
  // Closes the trace and returns its FXS_REC_PAGE_NODE records in order.
  std::vector<Rec> records() {
    EXPECT_TRUE(w_->close().ok());
    std::vector<Rec> out;
    auto r = TraceReader::open(path_);
    EXPECT_TRUE(r.ok()) << r.message();
    if (!r.ok()) return out;
    EXPECT_TRUE(r.value()
                    .for_each_record([&](const fxs_rec_hdr* h) {
                      if (h->type != FXS_REC_PAGE_NODE) return;
                      auto* p = reinterpret_cast<const fxs_page_node_rec*>(h);
                      EXPECT_EQ(p->page_size, kPage);
                      out.emplace_back(p->tgid, p->page, p->node);
                    })
                    .ok());
    return out;
  }
  // Every page of every process: one page per index.
  static uint64_t page(uint64_t i) { return 0x10000000ull + i * kPage; }

  FakeKernel k_;
  std::string dir_, path_;
  std::optional<TraceWriter> w_;
};

TEST_F(PageNodeResolverTest, AnswersAreWrittenOncePerPage) {
  auto r = make(100, 100);
  k_.alive = {7};
  k_.node[{7, page(0)}] = 1;
  ASSERT_TRUE(r.note(7, page(0) + 12, *w_).ok());
  ASSERT_TRUE(r.note(7, page(0) + 40, *w_).ok());  // same page: not asked again
  ASSERT_TRUE(r.note(7, page(1), *w_).ok());       // not present: -ENOENT
  EXPECT_EQ(r.pages(), 2u);
  EXPECT_EQ(k_.calls.size(), 2u);
  EXPECT_EQ(records(), (std::vector<Rec>{{7, page(0), 1}, {7, page(1), -ENOENT}}));
}

// The cap bounds live pages: a process that exits gives its pages back,
// and lookups refused while the cap was full are counted.
TEST_F(PageNodeResolverTest, GoneProcessesReleaseTheirPagesToTheCap) {
  auto r = make(4, 100);
  k_.alive = {1, 2};
  for (uint64_t i = 0; i < 4; i++) ASSERT_TRUE(r.note(1, page(i), *w_).ok());
  EXPECT_EQ(r.pages(), 4u);
  ASSERT_TRUE(r.note(2, page(0), *w_).ok());  // cap full: not asked
  ASSERT_TRUE(r.note(2, page(1), *w_).ok());
  EXPECT_EQ(r.dropped_by_cap(), 2u);
  EXPECT_EQ(k_.calls.size(), 4u);

  k_.alive.erase(1);                             // process 1 exits
  ASSERT_TRUE(r.refresh_step(*w_, 0).ok());      // the pass finds it gone
  EXPECT_EQ(r.pages(), 0u);
  EXPECT_EQ(r.processes_released(), 1u);
  k_.node[{2, page(0)}] = 0;
  ASSERT_TRUE(r.note(2, page(0), *w_).ok());     // room again
  EXPECT_EQ(r.pages(), 1u);
  EXPECT_EQ(r.dropped_by_cap(), 2u);
  const auto recs = records();
  ASSERT_EQ(recs.size(), 5u);  // 4 of process 1, then process 2's page: no record for the gone process
  EXPECT_EQ(recs.back(), Rec(2, page(0), 0));
}

// A zombie (EINVAL: no address space left) is gone too; so is a process
// whose very first page answers ESRCH (it exited before the collector asked):
// its answer is written, nothing is kept.
TEST_F(PageNodeResolverTest, ZombiesAndProcessesGoneAtFirstSightKeepNothing) {
  auto r = make(100, 100);
  k_.alive = {3};
  ASSERT_TRUE(r.note(3, page(0), *w_).ok());
  ASSERT_TRUE(r.note(9, page(0), *w_).ok());  // never alive
  EXPECT_EQ(r.pages(), 1u);
  k_.zombies = {3};
  ASSERT_TRUE(r.refresh_step(*w_, 0).ok());
  EXPECT_EQ(r.pages(), 0u);
  // pid 3 reused by a new process: asked afresh.
  k_.zombies.clear();
  k_.node[{3, page(0)}] = 1;
  ASSERT_TRUE(r.note(3, page(0), *w_).ok());
  EXPECT_EQ(r.pages(), 1u);
  EXPECT_EQ(records(), (std::vector<Rec>{{3, page(0), -ENOENT}, {9, page(0), -ESRCH}, {3, page(0), 1}}));
}

// A pass re-asks every page once, at most `budget` pages per step, round-robin
// over the processes; a migration is written once; the next pass starts a
// period after the previous one began, not at once.
TEST_F(PageNodeResolverTest, RefreshIsSlicedByTheBudget) {
  auto r = make(100, 3);
  k_.alive = {1, 2};
  for (uint64_t i = 0; i < 5; i++) ASSERT_TRUE(r.note(1, page(i), *w_).ok());
  for (uint64_t i = 0; i < 4; i++) ASSERT_TRUE(r.note(2, page(i), *w_).ok());
  k_.calls.clear();
  k_.node[{1, page(4)}] = 1;  // migrated
  k_.node[{2, page(0)}] = 1;  // migrated

  const uint64_t t0 = 5'000'000'000ull;
  int steps = 0;
  do {
    ASSERT_TRUE(r.refresh_step(*w_, t0 + uint64_t(steps)).ok());
    steps++;
    for (const auto& c : k_.calls) EXPECT_LE(c.second, 3u);
  } while (r.pass_under_way() && steps < 100);
  EXPECT_EQ(steps, 3);  // 9 pages, 3 per step
  EXPECT_EQ(k_.pages_asked(), 9u);
  std::set<uint32_t> asked;
  for (const auto& c : k_.calls) asked.insert(c.first);
  EXPECT_EQ(asked, (std::set<uint32_t>{1, 2}));

  // Within the period: nothing asked.
  k_.calls.clear();
  ASSERT_TRUE(r.refresh_step(*w_, t0 + PageNodeResolver::kRefreshPeriodNs - 1).ok());
  EXPECT_TRUE(k_.calls.empty());
  // A period after the last pass began: a new one, same pages, no change, no record.
  ASSERT_TRUE(r.refresh_step(*w_, t0 + PageNodeResolver::kRefreshPeriodNs).ok());
  EXPECT_EQ(k_.pages_asked(), 3u);

  const auto recs = records();
  ASSERT_EQ(recs.size(), 9u + 2u);
  const std::set<Rec> moved(recs.begin() + 9, recs.end());
  EXPECT_EQ(moved, (std::set<Rec>{{1, page(4), 1}, {2, page(0), 1}}));
}

// A process released between two steps of a pass is skipped; one noted
// during a pass waits for the next pass; refresh() does a whole pass at once.
TEST_F(PageNodeResolverTest, PassSurvivesChangesBetweenSteps) {
  auto r = make(100, 2);
  k_.alive = {1, 2};
  for (uint64_t i = 0; i < 4; i++) ASSERT_TRUE(r.note(1, page(i), *w_).ok());
  for (uint64_t i = 0; i < 4; i++) ASSERT_TRUE(r.note(2, page(i), *w_).ok());
  k_.calls.clear();
  ASSERT_TRUE(r.refresh_step(*w_, 0).ok());  // 2 pages of one process
  ASSERT_EQ(k_.calls.size(), 1u);
  const uint32_t first = k_.calls[0].first, other = first == 1 ? 2 : 1;
  k_.alive.erase(other);
  ASSERT_TRUE(r.note(other, page(9), *w_).ok());  // the kernel says gone: released now
  EXPECT_EQ(r.pages(), 4u);
  k_.alive.insert(5);
  ASSERT_TRUE(r.note(5, page(0), *w_).ok());
  k_.calls.clear();
  while (r.pass_under_way()) ASSERT_TRUE(r.refresh_step(*w_, 1).ok());
  EXPECT_EQ(k_.calls, (std::vector<std::pair<uint32_t, size_t>>{{first, 2}}));
  k_.calls.clear();
  ASSERT_TRUE(r.refresh(*w_).ok());
  EXPECT_FALSE(r.pass_under_way());
  EXPECT_EQ(k_.pages_asked(), 5u);  // 4 + 1, unbudgeted
}

// The real move_pages: a live child's page gets the node the child itself
// sees; once the child has exited (a zombie: EINVAL, no address space) the
// pass forgets it; once reaped, a new lookup answers -ESRCH and keeps nothing.
TEST_F(PageNodeResolverTest, RealMovePagesForgetsAnExitedChild) {
  int to_parent[2], to_child[2];
  ASSERT_EQ(pipe(to_parent), 0);
  ASSERT_EQ(pipe(to_child), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    void* p = mmap(nullptr, kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    static_cast<volatile char*>(p)[0] = 1;
    int status = -1;
    syscall(SYS_move_pages, 0, 1ul, &p, nullptr, &status, 0);
    const int64_t msg[2] = {int64_t(reinterpret_cast<uintptr_t>(p)), status};
    if (write(to_parent[1], msg, sizeof(msg)) != sizeof(msg)) _exit(1);
    char c;
    (void)!read(to_child[0], &c, 1);  // until the parent lets go
    _exit(0);
  }
  int64_t msg[2] = {0, 0};
  ASSERT_EQ(read(to_parent[0], msg, sizeof(msg)), ssize_t(sizeof(msg)));
  const uint64_t page = uint64_t(msg[0]);
  const int32_t truth = int32_t(msg[1]);
  ASSERT_GE(truth, 0) << "the child's own move_pages failed";

  PageNodeResolver r;  // the real move_pages
  ASSERT_TRUE(r.note(uint32_t(pid), page + 8, *w_).ok());
  EXPECT_EQ(r.pages(), 1u);
  ASSERT_TRUE(r.refresh_step(*w_, 0).ok());  // alive: kept, no change, no record
  EXPECT_EQ(r.pages(), 1u);

  ASSERT_EQ(write(to_child[1], "x", 1), 1);
  siginfo_t si{};
  ASSERT_EQ(waitid(P_PID, id_t(pid), &si, WEXITED | WNOWAIT), 0);  // exited, not reaped
  ASSERT_TRUE(r.refresh(*w_).ok());
  EXPECT_EQ(r.pages(), 0u) << "a zombie's pages were kept";
  EXPECT_EQ(r.processes_released(), 1u);
  ASSERT_EQ(waitpid(pid, nullptr, 0), pid);
  ASSERT_TRUE(r.note(uint32_t(pid), page + kPage, *w_).ok());
  EXPECT_EQ(r.pages(), 0u);
  for (int fd : {to_parent[0], to_parent[1], to_child[0], to_child[1]}) close(fd);
  EXPECT_EQ(records(), (std::vector<Rec>{{uint32_t(pid), page, truth}, {uint32_t(pid), page + kPage, -ESRCH}}));
}

}  // namespace
}  // namespace fxs
