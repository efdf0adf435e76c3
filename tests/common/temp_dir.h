// A fresh temporary directory for a test, removed with everything in it on
// destruction: also when an assertion ends the test early.
#pragma once

#include <string>

namespace fxs::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

}  // namespace fxs::test
