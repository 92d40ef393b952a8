// Keep-alive clients for the zero-downtime tests: each thread keeps one HTTP/1.1 connection to
// 127.0.0.1:<port> open and sends GETs on it back to back, like a browser, a load balancer or
// an API client's pool. Raw sockets on purpose: libcurl silently retries a request whose reused
// connection turns out closed, which would hide exactly the failure these tests look for (an
// idle connection closed by nginx while the next request is on its way). No request is retried;
// a connection is opened again only after a failure or after the server said
// "Connection: close" in a complete answer.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace dokku::testutil {

class KeepAliveLoop {
 public:
  // `good` lists the bodies that count as right answers; any other 200 is bad content.
  KeepAliveLoop(std::string address, std::string host, int clients, std::set<std::string> good,
                int pause_ms = 5);
  ~KeepAliveLoop();
  KeepAliveLoop(const KeepAliveLoop&) = delete;
  KeepAliveLoop& operator=(const KeepAliveLoop&) = delete;

  // As browsers and Go's net/http do for idempotent requests (RFC 9110 9.2.2): a request a
  // reused connection closed on without any answer is sent again once on a new connection, and
  // counts only by its second outcome. Call before Start().
  void RetryOnStaleConnection() { retry_stale_ = true; }

  void Start();
  void Stop();

  int64_t total() const { return total_; }
  int64_t failed() const { return failed_; }  // no complete answer, or a status other than 200
  int64_t bad_content() const { return bad_content_; }
  // Requests answered on a connection that had answered before (keep-alive really used).
  int64_t reused() const { return reused_; }
  int64_t connections() const { return connections_; }
  // Requests a reused connection was closed on before any answer (the race of an nginx
  // reload); those a retrying loop sent again are in retried().
  int64_t stale() const { return stale_; }
  int64_t retried() const { return retried_; }
  int64_t count(const std::string& body);
  std::string Problems();

 private:
  void Run();

  const std::string address_, host_;
  const int clients_;
  const std::set<std::string> good_;
  const int pause_ms_;
  std::vector<std::thread> workers_;
  std::atomic<bool> stop_{false};
  bool retry_stale_ = false;
  std::atomic<int64_t> total_{0}, failed_{0}, bad_content_{0}, reused_{0}, connections_{0};
  std::atomic<int64_t> stale_{0}, retried_{0};
  std::mutex mu_;
  std::map<std::string, int64_t> bodies_;
  std::string problems_;
};

// One GET on an open connection `fd`: true with the status and body of a complete answer
// (Content-Length or chunked); `close` is set when the server asked to close. False with `why`
// when the connection broke first.
bool KeepAliveGet(int fd, const std::string& host, int* status, std::string* body, bool* close,
                  std::string* why);
// A connected TCP socket to "127.0.0.1:<port>", or -1.
int ConnectLoopback(const std::string& address);

}  // namespace dokku::testutil
