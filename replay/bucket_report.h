// bucket_report.h: the hash-bucket parts of `futexscope report` (JSON keys
// "bucket" per futex, "buckets", "hash"; docs/report-json.md) and their text.
#pragma once

#include <cstddef>
#include <ostream>

#include <nlohmann/json_fwd.hpp>  // the JSON writers include json.hpp themselves

#include "replay/bucket_model.h"

namespace fxs {

class JsonWriter;

// A futex's "bucket" object: {table, index, node, ...}, written...
void write_futex_bucket_json(const FutexBucket& b, JsonWriter& w);
// ... and parsed back (tests).
nlohmann::json futex_bucket_json(const FutexBucket& b);
// "buckets": contended or shared buckets, ranked (top: how many, 0 = all).
nlohmann::json buckets_json(const BucketReport& r, size_t top);
// "hash": the global table, each process's private table with advice, and
// how the computed buckets compared with the kernel's lock addresses.
nlohmann::json hash_json(const BucketReport& r);

// Said wherever a trace shows no lock contention at all: an empty bucket view
// is then no proof that the bucket locks were free.
inline constexpr const char* kNoLockContentionNote =
    "the kernel reported no lock contention: a VM guest without paravirtual spinlocks spins in "
    "virt_spin_lock(), which has no tracepoint, so there 0 does not mean uncontended";

// A futex's bucket in words ("bucket private #12  lock contended 3x, spun
// 1.20us"): the text report's line, the window's futex panel.
std::string futex_bucket_text(const FutexBucket& b);
// One line for a futex in the text report: futex_bucket_text, indented.
void write_futex_bucket_text(const FutexBucket& b, std::ostream& out);
// The "hash buckets" section of the text report: at most `top` buckets and
// `top` process lines (0 = all).
void write_buckets_text(const BucketReport& r, size_t top, std::ostream& out);

}  // namespace fxs
