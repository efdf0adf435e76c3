// Runs a command for the integration tests and captures what it printed.
#pragma once

#include <string>
#include <vector>

namespace fxs::test {

struct CommandResult {
  int status = -1;     // exit code, or 128 + signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs argv (no shell), feeding it no stdin; kills it after timeout_s.
CommandResult run_command(const std::vector<std::string>& argv, int timeout_s = 120);

// A fresh temporary directory, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

}  // namespace fxs::test
