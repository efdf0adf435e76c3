// Futex names (collector/futex_namer.h -> FXS_REC_FUTEX_NAME -> report
// futexes[].name), recorded with the real BPF programs. fxs-sample-condvar
// prints the address of each of its words, which are members of one static
// struct, (anonymous namespace)::g_w, each a PaddedWord whose word is `w`:
// with DWARF the name is the member path, from a copy stripped of its debug
// information the symbol and the offset of the word in it.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run_command.h"

using nlohmann::json;
using fxs::test::run_command;
using fxs::test::TempDir;
using fxs::test::truth_from;

namespace {

const std::string kFutexscope = FXS_BINARY;
const std::string kSamples = FXS_SAMPLES_DIR;

// "fxs-sample-condvar: word ping  0x55..." lines: word name -> address.
std::map<std::string, uint64_t> words_of(const std::string& out) {
  std::map<std::string, uint64_t> words;
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    char name[32];
    uint64_t addr = 0;
    if (std::sscanf(line.c_str(), "fxs-sample-condvar: word %31s %" SCNx64, name, &addr) == 2) words[name] = addr;
  }
  return words;
}

// The report's name of every futex of `pid`, by address.
std::map<uint64_t, json> names_of(const json& report, long pid) {
  std::map<uint64_t, json> names;
  for (const json& f : report["futexes"])
    if (f["pid"] == pid) names[std::stoull(f["uaddr"].get<std::string>(), nullptr, 16)] = f["name"];
  return names;
}

struct Named {
  std::map<std::string, uint64_t> words;
  std::map<uint64_t, json> names;
};

Named record_and_name(const std::string& binary, const TempDir& dir, const std::string& exec_from = "") {
  Named n;
  const std::string trace = dir.path("names.fxs");
  std::vector<std::string> argv = {kFutexscope, "record", "-q", "-o", trace, "--"};
  if (!exec_from.empty()) argv.push_back(exec_from);
  for (const char* a : {"--rounds", "200"}) argv.push_back(a);
  argv.insert(argv.end() - 2, binary);
  auto r = run_command(argv);
  EXPECT_EQ(r.status, 0) << r.err;
  const json truth = truth_from(r.out);
  EXPECT_FALSE(truth.is_null()) << r.out;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  EXPECT_EQ(rep.status, 0) << rep.err;
  if (truth.is_null() || rep.status != 0) return n;
  n.words = words_of(r.out);
  n.names = names_of(json::parse(rep.out), truth["pid"].get<long>());
  return n;
}

TEST(FutexNames, AreTheMemberPathsOfTheSamplesWords) {
  REQUIRE_ROOT();
  TempDir dir;
  Named n = record_and_name(kSamples + "/fxs-sample-condvar", dir);
  ASSERT_GE(n.words.size(), 8u);
  size_t checked = 0;
  for (const auto& [word, addr] : n.words) {
    auto it = n.names.find(addr);
    if (it == n.names.end()) continue;  // a word the run did not use
    EXPECT_EQ(it->second, "(anonymous namespace)::g_w." + word + ".w") << "word " << word;
    checked++;
  }
  EXPECT_GE(checked, 8u) << "the report names too few of the sample's words";
}

// A process that made a futex call and then exec'd the sample (a shim): the
// names come from the sample's modules, read again after the exec.
TEST(FutexNames, OfAProgramExecdAfterAFutexCallAreItsOwn) {
  REQUIRE_ROOT();
  TempDir dir;
  Named n = record_and_name(kSamples + "/fxs-sample-condvar", dir, FXS_EXEC_HELPER);
  ASSERT_GE(n.words.size(), 8u);
  size_t checked = 0;
  for (const auto& [word, addr] : n.words) {
    auto it = n.names.find(addr);
    if (it == n.names.end()) continue;
    EXPECT_EQ(it->second, "(anonymous namespace)::g_w." + word + ".w") << "word " << word;
    checked++;
  }
  EXPECT_GE(checked, 8u);
}

// A word its process first uses as it exits is named after the process is
// gone: from the mappings the recorder read while it ran.
TEST(FutexNames, OfAWordFirstUsedAtExitAreItsMapping) {
  REQUIRE_ROOT();
  TempDir dir;
  const std::string trace = dir.path("exit.fxs");
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", FXS_AT_EXIT_HELPER});
  ASSERT_EQ(r.status, 0) << r.err;
  uint64_t addr = 0;
  ASSERT_EQ(std::sscanf(r.out.c_str(), "heap word %" SCNx64, &addr), 1) << r.out;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const json report = json::parse(rep.out);
  const json* word = nullptr;
  for (const json& f : report["futexes"])
    if (std::stoull(f["uaddr"].get<std::string>(), nullptr, 16) == addr) word = &f;
  ASSERT_NE(word, nullptr) << "no futex at 0x" << std::hex << addr;
  EXPECT_EQ((*word)["name"], "[heap]") << word->dump();
}

TEST(FutexNames, WithoutDwarfAreTheSymbolAndTheOffset) {
  REQUIRE_ROOT();
  TempDir dir;
  const std::string stripped = dir.path("fxs-sample-condvar");
  auto s = run_command({"objcopy", "--strip-debug", kSamples + "/fxs-sample-condvar", stripped});
  ASSERT_EQ(s.status, 0) << s.err;
  Named n = record_and_name(stripped, dir);
  ASSERT_GE(n.words.size(), 8u);
  const uint64_t base = n.words.at("ping");  // the first member of g_w
  size_t checked = 0;
  for (const auto& [word, addr] : n.words) {
    auto it = n.names.find(addr);
    if (it == n.names.end()) continue;
    char off[32];
    std::snprintf(off, sizeof off, "+0x%" PRIx64, addr - base);
    EXPECT_EQ(it->second, "(anonymous namespace)::g_w" + std::string(addr == base ? "" : off)) << "word " << word;
    checked++;
  }
  EXPECT_GE(checked, 8u);
}

// A heap word has no symbol: its name is the mapping and the sample's own
// function in the first stack recorded on it (the default sampled stacks
// give the contended lock one), not the C library's frames below it.
TEST(FutexNames, OfAHeapWordAreTheMappingAndTheFunctionThatWaitsOnIt) {
  REQUIRE_ROOT();
  TempDir dir;
  const std::string trace = dir.path("heap.fxs");
  auto r = run_command({kFutexscope, "record", "-q", "-o", trace, "--", kSamples + "/fxs-sample-mutex", "--heap"});
  ASSERT_EQ(r.status, 0) << r.err;
  const json truth = truth_from(r.out);
  ASSERT_FALSE(truth.is_null()) << r.out;
  auto rep = run_command({kFutexscope, "report", trace, "--format", "json"});
  ASSERT_EQ(rep.status, 0) << rep.err;
  const auto names = names_of(json::parse(rep.out), truth["pid"].get<long>());
  const uint64_t lock = std::stoull(truth["futexes"][0]["uaddr"].get<std::string>(), nullptr, 16);
  auto it = names.find(lock);
  ASSERT_NE(it, names.end()) << "the lock word is not in the report";
  ASSERT_TRUE(it->second.is_string()) << "the heap word has no name";
  const std::string name = it->second;
  EXPECT_EQ(name.rfind("[heap] in ", 0), 0u) << name;
  // The sample's lock code (samples/ground_truth.h: futex, futex_wait, or
  // futex_wake when a waker's stack came first), without its parameter list.
  EXPECT_TRUE(name.rfind("[heap] in fxs_sample::futex", 0) == 0 ||
              name.rfind("[heap] in (anonymous namespace)::", 0) == 0)
      << name;
  EXPECT_EQ(name.find('('), name.find("(anonymous namespace)")) << "a parameter list: " << name;
}

}  // namespace
