// HttpTransport: one HTTP exchange with the Docker daemon, abstract so DockerClient can be tested
// with canned responses. CurlUnixTransport speaks HTTP/1.1 over a unix socket with libcurl.
// Transport failures (no daemon, dropped connection, timeout) are Status::Unavailable.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "store/status.h"

namespace dokku {

struct HttpResponse {
  long status = 0;  // NOLINT(runtime/int): libcurl reports the code as a long
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercased
};

inline constexpr std::chrono::milliseconds kDefaultRequestTimeout{60'000};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;

  // One request. `path_and_query` starts with '/' and is already escaped. A non-empty
  // `content_type` is sent as Content-Type (use "application/json" for JSON bodies). `timeout`
  // bounds the whole exchange; 0 means kDefaultRequestTimeout. Any HTTP status is a success here.
  virtual StatusOr<HttpResponse> Request(const std::string& method,
                                         const std::string& path_and_query, const std::string& body,
                                         const std::string& content_type,
                                         std::chrono::milliseconds timeout) = 0;

  // GET with no timeout. For a 2xx answer each slice of the body goes to `on_chunk` as it arrives
  // (slices split lines anywhere); any other status collects the body into the result instead.
  // Returns when the server ends the body or soon (~100 ms) after `stop` becomes true.
  virtual StatusOr<HttpResponse> Stream(const std::string& path_and_query,
                                        const std::function<void(std::string_view)>& on_chunk,
                                        const std::atomic<bool>& stop) = 0;
};

// The unix socket path named by a DOCKER_HOST value: "unix:///path" or a bare "/path"; an empty
// value gives /var/run/docker.sock. Other schemes (tcp://, ssh://) are InvalidArgument.
StatusOr<std::string> SocketPathFromDockerHost(std::string_view docker_host);

// Thread-safe: Request() serialises on one reused handle (keeping the connection alive);
// every Stream() call uses a handle of its own, so one stream can run beside requests.
// Call curl_global_init() once in main() before threads start (the constructor also does, once).
class CurlUnixTransport : public HttpTransport {
 public:
  explicit CurlUnixTransport(std::string socket_path);
  ~CurlUnixTransport() override;
  CurlUnixTransport(const CurlUnixTransport&) = delete;
  CurlUnixTransport& operator=(const CurlUnixTransport&) = delete;

  // From a DOCKER_HOST value (see SocketPathFromDockerHost).
  static StatusOr<std::unique_ptr<CurlUnixTransport>> FromDockerHost(std::string_view docker_host);

  StatusOr<HttpResponse> Request(const std::string& method, const std::string& path_and_query,
                                 const std::string& body, const std::string& content_type,
                                 std::chrono::milliseconds timeout) override;
  StatusOr<HttpResponse> Stream(const std::string& path_and_query,
                                const std::function<void(std::string_view)>& on_chunk,
                                const std::atomic<bool>& stop) override;

  const std::string& socket_path() const { return socket_path_; }

 private:
  std::string socket_path_;
  std::mutex mu_;
  // A CURL* kept opaque here so that users of this header do not see <curl/curl.h>.
  void* handle_ = nullptr;  // guarded by mu_
};

}  // namespace dokku
