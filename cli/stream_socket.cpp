#include "cli/stream_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace fxs {

namespace {

bool is_unix(const std::string& addr) { return addr.find('/') != std::string::npos; }

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return Error{path + ": unix socket path too long"};
  std::memcpy(sa.sun_path, path.c_str(), path.size());
  return sa;
}

// HOST:PORT, :PORT or PORT (loopback) into host and port.
struct TcpAddress {
  std::string host, port;
};

// The port must be a number: a service name would reach getaddrinfo and come
// back as "Servname not supported for ai_socktype", which names no fix.
Result<TcpAddress> split_tcp(const std::string& addr) {
  size_t colon = addr.rfind(':');
  TcpAddress a{colon == std::string::npos ? "" : addr.substr(0, colon),
               colon == std::string::npos ? addr : addr.substr(colon + 1)};
  bool numeric = !a.port.empty() && a.port.size() <= 5 &&
                 a.port.find_first_not_of("0123456789") == std::string::npos && std::stoul(a.port) <= 65535;
  if (!numeric)
    return Error{"not an address: give PORT or :PORT (loopback), HOST:PORT, or a unix socket path (with a '/')"};
  if (a.host.empty()) a.host = "127.0.0.1";  // loopback unless a host is named
  if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') a.host = a.host.substr(1, a.host.size() - 2);
  return a;
}

// HOST:PORT, :PORT or PORT (loopback), resolved for TCP.
Result<addrinfo*> tcp_addresses(const std::string& addr, bool passive) {
  auto a = split_tcp(addr);
  if (!a) return Error{addr + ": " + a.message()};
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  if (passive) hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (int rc = getaddrinfo(a->host.c_str(), a->port.c_str(), &hints, &res); rc != 0)
    return Error{addr + ": " + gai_strerror(rc)};
  return res;
}

// The bound address of a TCP socket as HOST:PORT ([HOST]:PORT for IPv6).
std::string bound_tcp_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  char host[NI_MAXHOST], port[NI_MAXSERV];
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0 ||
      getnameinfo(reinterpret_cast<sockaddr*>(&ss), len, host, sizeof host, port, sizeof port,
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return "?";
  return ss.ss_family == AF_INET6 ? "[" + std::string(host) + "]:" + port : std::string(host) + ":" + port;
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

bool send_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) return false;  // the client went away
    p += k;
    n -= size_t(k);
  }
  return true;
}

}  // namespace

std::string stream_address_problem(const std::string& addr) {
  if (is_unix(addr)) return {};
  auto a = split_tcp(addr);
  return a ? std::string() : a.message();
}

Result<int> connect_stream(const std::string& addr) {
  if (is_unix(addr)) {
    auto sa = unix_address(addr);
    if (!sa) return sa.error();
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return Error{errno_message("socket", errno)};
    if (connect(fd, reinterpret_cast<const sockaddr*>(&*sa), sizeof *sa) != 0) {
      int e = errno;
      close(fd);
      return Error{errno_message("connect " + addr, e)};
    }
    set_nonblocking(fd);
    return fd;
  }
  auto res = tcp_addresses(addr, false);
  if (!res) return res.error();
  std::string last = addr + ": no address";
  int fd = -1;
  for (addrinfo* ai = *res; ai && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      last = errno_message("connect " + addr, errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(*res);
  if (fd < 0) return Error{last};
  set_nonblocking(fd);
  return fd;
}

Result<std::unique_ptr<StreamServer>> StreamServer::start(const std::string& addr, const std::string& path) {
  std::unique_ptr<StreamServer> s(new StreamServer());
  s->path_ = path;
  s->existed_ = stat(path.c_str(), &s->before_) == 0;
  if (is_unix(addr)) {
    auto sa = unix_address(addr);
    if (!sa) return sa.error();
    s->listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->listen_fd_ < 0) return Error{errno_message("socket", errno)};
    unlink(addr.c_str());  // a stale socket file from an earlier run would make bind fail
    if (bind(s->listen_fd_, reinterpret_cast<const sockaddr*>(&*sa), sizeof *sa) != 0)
      return Error{errno_message("bind " + addr, errno)};
    s->unix_path_ = addr;
  } else {
    auto res = tcp_addresses(addr, true);
    if (!res) return res.error();
    std::string last = addr + ": no address";
    for (addrinfo* ai = *res; ai && s->listen_fd_ < 0; ai = ai->ai_next) {
      int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        last = errno_message("bind " + addr, errno);
        close(fd);
        continue;
      }
      s->listen_fd_ = fd;
    }
    freeaddrinfo(*res);
    if (s->listen_fd_ < 0) return Error{last};
  }
  if (listen(s->listen_fd_, 8) != 0) return Error{errno_message("listen " + addr, errno)};
  s->address_ = s->unix_path_.empty() ? bound_tcp_address(s->listen_fd_) : s->unix_path_;
  StreamServer* raw = s.get();
  s->acceptor_ = std::thread([raw] { raw->accept_loop(); });
  return s;
}

StreamServer::~StreamServer() {
  finish();
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard lk(mu_);
  for (auto& t : clients_) t.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  if (!unix_path_.empty()) unlink(unix_path_.c_str());
}

void StreamServer::finish() { finished_ = true; }

bool StreamServer::rewritten() const {
  struct stat now {};
  if (stat(path_.c_str(), &now) != 0) return false;
  if (!existed_) return true;
  // The recorder truncates and rewrites the file: a new inode, a shorter
  // file or a new modification time all say it has started.
  return now.st_ino != before_.st_ino || now.st_size < before_.st_size ||
         now.st_mtim.tv_sec != before_.st_mtim.tv_sec || now.st_mtim.tv_nsec != before_.st_mtim.tv_nsec;
}

void StreamServer::accept_loop() {
  pthread_setname_np(pthread_self(), "fxs-serve");
  while (!finished_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;  // wake up now and then to see finish()
    int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    std::lock_guard lk(mu_);
    clients_.emplace_back([this, c] { serve(c); });
  }
}

// Tails the trace file into one client. The recorder appends whole chunks
// now and then; a client may see half a chunk for a moment, which its reader
// simply waits out, as with a growing file.
void StreamServer::serve(int client) {
  int fd = -1;
  std::vector<char> buf(1 << 20);
  for (;;) {
    // The recorder may not have (re)written the file yet.
    if (fd < 0 && rewritten()) fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    bool done = finished_.load();  // read before the last read(): nothing is appended after finish()
    ssize_t k = fd >= 0 ? read(fd, buf.data(), buf.size()) : 0;
    if (k > 0) {
      if (!send_all(client, buf.data(), size_t(k))) break;
      continue;
    }
    if (k < 0 && errno == EINTR) continue;
    if (k < 0 || done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (fd >= 0) close(fd);
  shutdown(client, SHUT_RDWR);
  close(client);
}

}  // namespace fxs
