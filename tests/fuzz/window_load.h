// window_load.h: what `futexscope replay` computes from a trace before it
// draws anything (no window needed): the loader (ui/ingest_worker.h) with
// its timeline, futex and side models, the timeline's wake arrows, and the
// NUMA view's reread of the file (ui/numa_loader.h).
#pragma once

#include <cstdint>
#include <string>

namespace fxs::fuzz {

// Reading stops, as the window's does, once the heap passes half of memory_limit.
void load_like_the_window(const std::string& path, uint64_t memory_limit);

}  // namespace fxs::fuzz
