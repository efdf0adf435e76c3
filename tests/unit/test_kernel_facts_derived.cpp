// What the collector derives from kernel facts without touching the kernel:
// the sysfs list parser and the futex hash shape (collector/hash_shape.h).
#include <gtest/gtest.h>

#include <vector>

#include "collector/hash_shape.h"
#include "collector/kernel_facts.h"
#include "collector/sysfs_list.h"

namespace fxs {
namespace {

TEST(SysfsList, RangesAndSingles) {
  EXPECT_EQ(parse_sysfs_list("0-3,8,10-11\n"), (std::vector<uint32_t>{0, 1, 2, 3, 8, 10, 11}));
  EXPECT_EQ(parse_sysfs_list("0"), (std::vector<uint32_t>{0}));
  EXPECT_TRUE(parse_sysfs_list("").empty());
}

TEST(SysfsList, MalformedPartsAreSkipped) {
  EXPECT_EQ(parse_sysfs_list("x,2,3-1,4-5,-1,7-"), (std::vector<uint32_t>{2, 4, 5}));
  EXPECT_TRUE(parse_sysfs_list("0-4294967295").empty()) << "a corrupt range must not exhaust memory";
}

// Linux 6.18 here: one node, NUMA-aware hash (futex_key.both.node), size from the log.
TEST(HashShape, FromLogOnNumaAwareKernel) {
  KernelFacts f;
  f.possible_cpus = 2;
  f.possible_nodes = {0};
  f.numa_hash = true;
  f.global_hash_entries = 512;
  f.hash_layout = {64, 4, 64};
  f.tp_lock_contention = true;
  HashShape s = hash_shape(f);
  EXPECT_EQ(s.entries_per_node, 512u);
  EXPECT_EQ(s.source, "kernel log");
  EXPECT_EQ(s.nr_node_ids, 1u);
  EXPECT_TRUE(s.numa_hash);
  EXPECT_EQ(s.bucket_size, 64);
  EXPECT_EQ(s.lock_offset, 4);
  EXPECT_EQ(s.queues_offset, 64);
  EXPECT_TRUE(s.contention_tp);
  EXPECT_EQ(s.mask(), 511u);
  EXPECT_EQ(s.shift(), 9u);
}

// The sizing rule differs with the NUMA-aware hash: per node, not per machine.
TEST(HashShape, SizingRuleFollowsTheMeasuredHashKind) {
  KernelFacts f;
  f.possible_cpus = 2;
  f.possible_nodes = {0, 1};
  f.numa_hash = false;  // 6.1: one table of 256 x possible CPUs
  EXPECT_EQ(hash_shape(f).entries_per_node, 512u);
  f.numa_hash = true;   // a table per node of 256 x CPUs / nodes
  EXPECT_EQ(hash_shape(f).entries_per_node, 256u);
  EXPECT_EQ(hash_shape(f).nr_node_ids, 2u);
}

TEST(HashShape, SparseNodesRemapToTheNextPossibleOne) {
  KernelFacts f;
  f.possible_nodes = {0, 2};
  HashShape s = hash_shape(f);
  EXPECT_EQ(s.nr_node_ids, 3u);
  EXPECT_EQ(s.node_remap, (std::vector<uint16_t>{0, 2, 2}));
}

TEST(HashShape, NoNodeDirectoryIsOneNode) {
  KernelFacts f;  // possible_nodes empty: CONFIG_NUMA off
  HashShape s = hash_shape(f);
  EXPECT_EQ(s.nr_node_ids, 1u);
  EXPECT_EQ(s.node_remap, (std::vector<uint16_t>{0}));
}

}  // namespace
}  // namespace fxs
