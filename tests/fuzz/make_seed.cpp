// fxs_fuzz_make_seed TRACE OUT: the records of TRACE (and its header's
// fields) as a wrapped input of fuzz_trace (wrapped_trace.h), at most
// kMaxSeedBytes, so the wrapped form starts from real recordings too.
#include <cstdio>
#include <fstream>
#include <vector>

#include "fuzz/wrapped_trace.h"
#include "replay/trace_reader.h"

namespace {

// Small seeds keep each run fast; a few thousand records cover every record type the samples make.
constexpr size_t kMaxSeedBytes = 64 << 10;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s TRACE OUT\n", argv[0]);
    return 2;
  }
  auto reader = fxs::TraceReader::open(argv[1]);
  if (!reader.ok()) {
    std::fprintf(stderr, "%s\n", reader.error().message.c_str());
    return 1;
  }
  std::vector<uint8_t> records, chunk;
  while (records.size() < kMaxSeedBytes && reader->next_chunk(chunk) == fxs::TraceReader::Next::kChunk)
    records.insert(records.end(), chunk.begin(), chunk.end());
  std::vector<uint8_t> seed = fxs::fuzz::wrap_records(reader->header(), records, kMaxSeedBytes);
  std::ofstream out(argv[2], std::ios::binary);
  out.write(reinterpret_cast<const char*>(seed.data()), static_cast<std::streamsize>(seed.size()));
  return out ? 0 : 1;
}
