#include "common/temp_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

namespace fxs::test {

TempDir::TempDir() {
  char tmpl[] = "/tmp/fxs-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  dir_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

}  // namespace fxs::test
