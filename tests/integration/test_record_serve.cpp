// `record --serve ADDR` says where it listens: with port 0 the kernel picks
// the port, and the line on stderr is the only way to learn it. The address
// it names must be the one that serves the trace.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "run_command.h"

using fxs::test::run_command;
using fxs::test::TempDir;

namespace {

const std::string kFutexscope = FXS_BINARY;

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The first `n` bytes sent by 127.0.0.1:port, or what came before `timeout_s`.
std::string first_bytes(int port, size_t n, int timeout_s) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(uint16_t(port));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string got;
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[64];
      ssize_t k = read(fd, buf, std::min(sizeof buf, n - got.size()));
      if (k <= 0) break;
      got.append(buf, size_t(k));
    }
  }
  close(fd);
  return got;
}

TEST(RecordServe, SaysTheAddressItListensOn) {
  REQUIRE_ROOT();
  TempDir dir;
  const std::string trace = dir.path("t.fxs"), err = dir.path("err.txt");
  // stderr to a file, to read the line while the recording goes on.
  fxs::test::CommandResult rec;
  std::thread recorder([&] {
    rec = run_command({"sh", "-c", "exec \"$0\" record -q --serve 127.0.0.1:0 -o \"$1\" -- sleep 3 2>\"$2\"",
                       kFutexscope, trace, err},
                      60);
  });
  const std::regex line("futexscope: serving the trace on 127\\.0\\.0\\.1:([0-9]+) \\(futexscope ui --connect "
                        "127\\.0\\.0\\.1:([0-9]+)\\)\n");
  std::smatch m;
  std::string said;
  for (int i = 0; i < 200 && !std::regex_search(said, m, line); i++) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    said = read_file(err);
  }
  std::string magic;
  if (!m.empty()) magic = first_bytes(std::stoi(m[1].str()), 8, 30);
  recorder.join();
  ASSERT_EQ(rec.status, 0) << read_file(err);
  ASSERT_FALSE(m.empty()) << "no address line on stderr:\n" << said;
  EXPECT_EQ(m[1].str(), m[2].str());
  EXPECT_NE(m[1].str(), "0") << "the port the kernel chose, not the 0 asked for";
  EXPECT_EQ(magic, "FXSTRACE") << "nothing served at the address said";
}

}  // namespace
