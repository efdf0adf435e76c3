// fxs_fuzz_unwrap INPUT OUT.fxs: writes the trace a wrapped fuzz input
// (wrapped_trace.h) stands for, so a finding of the wrapped form can be
// replayed with `futexscope report` and the window like any trace.
#include <fcntl.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <vector>

#include "fuzz/wrapped_trace.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s INPUT OUT.fxs\n", argv[0]);
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int fd = ::open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (!in || fd < 0) {
    std::perror(fd < 0 ? argv[2] : argv[1]);
    return 1;
  }
  fxs::fuzz::write_wrapped_trace(fxs::fuzz::unwrap_input(data.data(), data.size()), fd);
  return 0;
}
