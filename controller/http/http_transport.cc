#include "controller/http/http_transport.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <cctype>
#include <mutex>

namespace dokku {
namespace {

constexpr long kConnectTimeoutMs = 2000;  // NOLINT(runtime/int): curl takes longs
constexpr long kStreamPollMs = 100;       // NOLINT(runtime/int): stop latency bound
constexpr size_t kMaxUnixPath = 107;      // sun_path minus the terminating NUL
constexpr char kDefaultSocket[] = "/var/run/docker.sock";
// The host only fills the Host header; the socket decides where the bytes go.
constexpr char kBaseUrl[] = "http://localhost";

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// libcurl calls these from C: nothing may throw through them, so failures abort the transfer.
size_t AppendBody(char* data, size_t size, size_t n, void* user) {
  try {
    static_cast<std::string*>(user)->append(data, size * n);
  } catch (...) {
    return 0;
  }
  return size * n;
}

size_t CollectHeader(char* data, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::map<std::string, std::string>*>(user);
  std::string_view line(data, size * n);
  try {
    // A status line (e.g. after "100 Continue") starts a new header block.
    if (line.starts_with("HTTP/")) {
      headers->clear();
    } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
      std::string name = Trim(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      (*headers)[name] = Trim(line.substr(colon + 1));
    }
  } catch (...) {
    return 0;
  }
  return size * n;
}

struct StreamSink {
  CURL* handle;
  const std::function<void(std::string_view)>* on_chunk;
  std::string* error_body;
};

size_t DeliverChunk(char* data, size_t size, size_t n, void* user) {
  auto* sink = static_cast<StreamSink*>(user);
  long code = 0;  // NOLINT(runtime/int)
  curl_easy_getinfo(sink->handle, CURLINFO_RESPONSE_CODE, &code);
  try {
    if (code >= 200 && code < 300) {
      (*sink->on_chunk)(std::string_view(data, size * n));
    } else {
      sink->error_body->append(data, size * n);
    }
  } catch (...) {
    return 0;
  }
  return size * n;
}

void SetCommonOptions(CURL* h, const std::string& socket_path, const std::string& url,
                      char* error_buffer, std::map<std::string, std::string>* headers) {
  curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  // Without NOSIGNAL, timeouts use SIGALRM, which is unsafe with several threads.
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &CollectHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, headers);
}

Status TransportError(std::string_view method, std::string_view path, CURLcode rc,
                      const char* error_buffer) {
  return Status::Unavailable(fmt::format("docker {} {}: {}", method, path,
                                         error_buffer[0] ? error_buffer : curl_easy_strerror(rc)));
}

}  // namespace

StatusOr<std::string> SocketPathFromDockerHost(std::string_view docker_host) {
  if (docker_host.empty()) return std::string(kDefaultSocket);
  std::string_view path = docker_host;
  if (path.starts_with("unix://")) {
    path.remove_prefix(7);
  } else if (!path.starts_with("/")) {
    return Status::InvalidArgument(
        fmt::format("DOCKER_HOST {} is not a unix socket (want unix:///path)", docker_host));
  }
  if (!path.starts_with("/")) {
    return Status::InvalidArgument(
        fmt::format("DOCKER_HOST {}: need an absolute path", docker_host));
  }
  if (path.size() > kMaxUnixPath) {
    return Status::InvalidArgument(
        fmt::format("DOCKER_HOST {}: socket path too long", docker_host));
  }
  return std::string(path);
}

CurlUnixTransport::CurlUnixTransport(std::string socket_path)
    : socket_path_(std::move(socket_path)) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_ALL); });
}

CurlUnixTransport::~CurlUnixTransport() {
  if (handle_ != nullptr) curl_easy_cleanup(handle_);
}

StatusOr<std::unique_ptr<CurlUnixTransport>> CurlUnixTransport::FromDockerHost(
    std::string_view docker_host) {
  StatusOr<std::string> path = SocketPathFromDockerHost(docker_host);
  if (!path.ok()) return path.status();
  return std::make_unique<CurlUnixTransport>(std::move(path).value());
}

StatusOr<HttpResponse> CurlUnixTransport::Request(const std::string& method,
                                                  const std::string& path_and_query,
                                                  const std::string& body,
                                                  const std::string& content_type,
                                                  std::chrono::milliseconds timeout) {
  std::lock_guard<std::mutex> lock(mu_);
  if (handle_ == nullptr && (handle_ = curl_easy_init()) == nullptr) {
    return Status::Unavailable("curl_easy_init failed");
  }
  // reset() drops every option (so no method or body sticks from the previous request) but
  // keeps the open connection.
  curl_easy_reset(handle_);
  HttpResponse response;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  const std::string url = kBaseUrl + path_and_query;
  SetCommonOptions(handle_, socket_path_, url, error_buffer, &response.headers);
  if (timeout.count() <= 0) timeout = kDefaultRequestTimeout;
  curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));  // NOLINT
  curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &AppendBody);
  curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &response.body);

  // An empty Expect: stops curl from waiting on "100 Continue" for large bodies.
  curl_slist* headers = curl_slist_append(nullptr, "Expect:");
  // An empty Content-Type: removes curl's form-urlencoded default for bodies that are not JSON.
  const std::string content_type_header = "Content-Type: " + content_type;
  headers = curl_slist_append(headers,
                              content_type.empty() ? "Content-Type:" : content_type_header.c_str());
  curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, headers);
  if (method == "GET") {
    curl_easy_setopt(handle_, CURLOPT_HTTPGET, 1L);
  } else if (method == "HEAD") {
    curl_easy_setopt(handle_, CURLOPT_NOBODY, 1L);  // CUSTOMREQUEST "HEAD" would wait for a body
  } else {
    if (method != "POST") curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST" || !body.empty()) {
      // Also for an empty POST: without POSTFIELDS curl would read the body from stdin.
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
  }
  const CURLcode rc = curl_easy_perform(handle_);
  curl_slist_free_all(headers);
  if (rc != CURLE_OK) return TransportError(method, path_and_query, rc, error_buffer);
  long code = 0;  // NOLINT(runtime/int): CURLINFO_RESPONSE_CODE writes a long
  curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &code);
  response.status = code;
  return response;
}

StatusOr<HttpResponse> CurlUnixTransport::Stream(
    const std::string& path_and_query, const std::function<void(std::string_view)>& on_chunk,
    const std::atomic<bool>& stop) {
  // The multi interface lets us wake every kStreamPollMs to look at `stop`; the easy interface
  // would only notice it from the progress callback, about once a second.
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), &curl_easy_cleanup);
  std::unique_ptr<CURLM, decltype(&curl_multi_cleanup)> multi(curl_multi_init(),
                                                              &curl_multi_cleanup);
  if (!easy || !multi) return Status::Unavailable("curl init failed");
  HttpResponse response;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  const std::string url = kBaseUrl + path_and_query;
  SetCommonOptions(easy.get(), socket_path_, url, error_buffer, &response.headers);
  curl_easy_setopt(easy.get(), CURLOPT_HTTPGET, 1L);
  StreamSink sink{easy.get(), &on_chunk, &response.body};
  curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, &DeliverChunk);
  curl_easy_setopt(easy.get(), CURLOPT_WRITEDATA, &sink);
  curl_multi_add_handle(multi.get(), easy.get());

  int running = 1;
  CURLcode rc = CURLE_OK;
  while (!stop.load()) {
    if (curl_multi_perform(multi.get(), &running) != CURLM_OK) {
      rc = CURLE_RECV_ERROR;
      break;
    }
    if (running == 0) {
      int queued = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi.get(), &queued)) {
        if (msg->msg == CURLMSG_DONE) rc = msg->data.result;
      }
      break;
    }
    curl_multi_poll(multi.get(), nullptr, 0, kStreamPollMs, nullptr);
  }
  long code = 0;  // NOLINT(runtime/int)
  curl_easy_getinfo(easy.get(), CURLINFO_RESPONSE_CODE, &code);
  curl_multi_remove_handle(multi.get(), easy.get());
  if (rc != CURLE_OK && !stop.load()) {
    return TransportError("GET", path_and_query, rc, error_buffer);
  }
  response.status = code;
  return response;
}

}  // namespace dokku
