// stream_socket.h: the trace stream over a socket (`record --serve ADDR`,
// `ui --connect ADDR`). The bytes are exactly those of the .fxs file
// (docs/trace-format.md); nothing is added, so a reader cannot tell a file
// from a socket.
//
// ADDR: a unix socket path (anything containing a '/'), HOST:PORT, or PORT
// alone (or :PORT) for the loopback address 127.0.0.1.
#pragma once

#include <sys/stat.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "replay/error.h"

namespace fxs {

// "" if `addr` has one of the forms above, else why not, naming the forms
// ("not an address: give PORT ..."); a port is a number from 0 to 65535.
std::string stream_address_problem(const std::string& addr);

// A connected socket, set non-blocking (TraceReader polls it).
Result<int> connect_stream(const std::string& addr);

// Serves a trace file that is being written: every client gets the file from
// its first byte, then whatever is appended, and once finish() was called and
// everything is sent, the end of the stream (the connection closes).
class StreamServer {
 public:
  // Listens on `addr`; `path` is the trace file the recorder writes.
  static Result<std::unique_ptr<StreamServer>> start(const std::string& addr, const std::string& path);
  ~StreamServer();  // finish() and join
  StreamServer(const StreamServer&) = delete;
  StreamServer& operator=(const StreamServer&) = delete;

  // The recording has stopped: send what is left, close every connection.
  void finish();
  // Where it listens, as `ui --connect` takes it: the socket path, or the
  // bound HOST:PORT (the port the kernel chose, for PORT 0).
  const std::string& address() const { return address_; }

 private:
  StreamServer() = default;
  void accept_loop();
  void serve(int client);

  // An earlier file of the same name must not be served: clients are sent
  // the file only once it differs from what was there at start().
  bool rewritten() const;
  bool existed_ = false;
  struct stat before_ {};

  int listen_fd_ = -1;
  std::string path_, unix_path_, address_;
  std::atomic<bool> finished_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> clients_;
};

}  // namespace fxs
