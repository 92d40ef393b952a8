#include "tests/testing/keepalive_client.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace dokku::testutil {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Reads more bytes into `buf`; false on EOF or error (with `why`).
bool ReadMore(int fd, std::string* buf, std::string* why) {
  char chunk[16384];
  while (true) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n > 0) {
      buf->append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    *why = n == 0 ? "connection closed by the server" : std::string("read: ") + strerror(errno);
    return false;
  }
}

}  // namespace

int ConnectLoopback(const std::string& address) {
  const size_t colon = address.rfind(':');
  const int port = std::atoi(address.substr(colon + 1).c_str());
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{10, 0};  // a hung answer is a failure, not a hang of the test
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool KeepAliveGet(int fd, const std::string& host, int* status, std::string* body, bool* close,
                  std::string* why) {
  const std::string request = fmt::format("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", host);
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *why = std::string("send: ") + strerror(errno);
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  std::string buf;
  size_t header_end;
  while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadMore(fd, &buf, why)) return false;
  }
  const std::string head = buf.substr(0, header_end);
  buf.erase(0, header_end + 4);
  if (head.rfind("HTTP/1.1 ", 0) != 0 || head.size() < 12) {
    *why = "bad status line: " + head.substr(0, 40);
    return false;
  }
  *status = std::atoi(head.c_str() + 9);
  const std::string lower = Lower(head);
  *close = lower.find("\r\nconnection: close") != std::string::npos;
  const bool chunked = lower.find("\r\ntransfer-encoding: chunked") != std::string::npos;
  const size_t cl = lower.find("\r\ncontent-length:");
  body->clear();
  if (chunked) {
    while (true) {
      size_t eol;
      while ((eol = buf.find("\r\n")) == std::string::npos) {
        if (!ReadMore(fd, &buf, why)) return false;
      }
      const size_t size = std::strtoul(buf.substr(0, eol).c_str(), nullptr, 16);
      while (buf.size() < eol + 2 + size + 2) {
        if (!ReadMore(fd, &buf, why)) return false;
      }
      body->append(buf, eol + 2, size);
      buf.erase(0, eol + 2 + size + 2);
      if (size == 0) return true;  // no trailers from nginx
    }
  }
  if (cl != std::string::npos) {
    const size_t length = std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
    while (buf.size() < length) {
      if (!ReadMore(fd, &buf, why)) return false;
    }
    *body = buf.substr(0, length);
    return true;
  }
  // Neither: the body runs to the end of the connection.
  *close = true;
  std::string ignored;
  while (ReadMore(fd, &buf, &ignored)) {
  }
  *body = buf;
  return true;
}

KeepAliveLoop::KeepAliveLoop(std::string address, std::string host, int clients,
                             std::set<std::string> good, int pause_ms)
    : address_(std::move(address)),
      host_(std::move(host)),
      clients_(clients),
      good_(std::move(good)),
      pause_ms_(pause_ms) {}

KeepAliveLoop::~KeepAliveLoop() { Stop(); }

void KeepAliveLoop::Start() {
  for (int i = 0; i < clients_; ++i) workers_.emplace_back([this] { Run(); });
}

void KeepAliveLoop::Stop() {
  stop_ = true;
  for (std::thread& t : workers_) t.join();
  workers_.clear();
}

int64_t KeepAliveLoop::count(const std::string& body) {
  std::lock_guard<std::mutex> lock(mu_);
  return bodies_[body];
}

std::string KeepAliveLoop::Problems() {
  std::lock_guard<std::mutex> lock(mu_);
  return problems_;
}

void KeepAliveLoop::Run() {
  int fd = -1;
  int answered_on_fd = 0;
  while (!stop_) {
    if (fd < 0) {
      fd = ConnectLoopback(address_);
      answered_on_fd = 0;
      if (fd < 0) {
        ++total_;
        ++failed_;
        std::lock_guard<std::mutex> lock(mu_);
        if (problems_.size() < 2000) problems_ += fmt::format("connect: {}\n", strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        continue;
      }
      ++connections_;
    }
    int status = 0;
    bool close_after = false;
    std::string body, why;
    const bool answered = KeepAliveGet(fd, host_, &status, &body, &close_after, &why);
    if (!answered && answered_on_fd > 0) {
      ++stale_;
      if (retry_stale_) {
        ++retried_;
        close(fd);
        fd = -1;
        continue;
      }
    }
    ++total_;
    if (answered && answered_on_fd > 0) ++reused_;
    const bool good = answered && status == 200 && good_.contains(body);
    if (!answered || status != 200) ++failed_;
    if (answered && status == 200 && !good) ++bad_content_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (answered) ++bodies_[body];
      if (!good && problems_.size() < 2000) {
        problems_ +=
            answered ? fmt::format("HTTP {} body [{}] (request {} on its connection)\n", status,
                                   body.substr(0, 80), answered_on_fd + 1)
                     : fmt::format("{} (request {} on its connection)\n", why, answered_on_fd + 1);
      }
    }
    if (!answered || close_after) {
      close(fd);
      fd = -1;
    } else {
      ++answered_on_fd;
    }
    if (pause_ms_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms_));
  }
  if (fd >= 0) close(fd);
}

}  // namespace dokku::testutil
