// window_load.h: what `futexscope replay` computes from a trace before it
// draws anything (no window needed): the loader (ui/ingest_worker.h) with
// its timeline, futex and side models, the wake pairing it computes in the
// same pass (the NUMA view, wakers), and the timeline's wake arrows.
#pragma once

#include <cstdint>
#include <string>

namespace fxs::fuzz {

// Reading stops, as the window's does, once the heap passes half of memory_limit.
void load_like_the_window(const std::string& path, uint64_t memory_limit);

}  // namespace fxs::fuzz
