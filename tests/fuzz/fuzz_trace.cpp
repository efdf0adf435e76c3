// fuzz_trace: the libFuzzer entry point (docs/fuzzing.md). An input that
// begins with the trace magic is a trace file as it would be on disk (the
// hostile and sample traces are seeds of this kind); any other input is
// records wrapped into a valid trace (wrapped_trace.h), so that mutations
// get past the header and chunk checksums to the models.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "fuzz/every_reader.h"
#include "fuzz/memfd_file.h"
#include "fuzz/wrapped_trace.h"
#include "replay/trace_format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fxs;
  // One file for the whole run: a memfd per input would cost a syscall and an fd each.
  static fuzz::MemfdFile file;
  if (size >= sizeof kTraceMagic && std::memcmp(data, kTraceMagic, sizeof kTraceMagic) == 0) {
    file.assign(data, size);
  } else {
    file.clear();
    fuzz::write_wrapped_trace(fuzz::unwrap_input(data, size), file.dup_fd());
  }
  fuzz::run_every_reader(file.path());
  return 0;
}
