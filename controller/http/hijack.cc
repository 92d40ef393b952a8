#include "controller/http/hijack.h"

#include <errno.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace dokku {
namespace {

constexpr int kHeadTimeoutMs = 30'000;
constexpr size_t kMaxHead = 64 * 1024;

StatusOr<UniqueFd> ConnectUnix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return Status::InvalidArgument("socket path too long");
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Status::Unavailable(std::string("socket: ") + strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return Status::Unavailable(fmt::format("connect {}: {}", path, strerror(errno)));
  return fd;
}

Status SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Unavailable(std::string("send: ") + strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Reads until the blank line that ends the response head; the rest is stream data.
Status ReadHead(int fd, std::string* head, std::string* rest) {
  std::string buf;
  char chunk[4096];
  while (true) {
    size_t end = buf.find("\r\n\r\n");
    if (end != std::string::npos) {
      *head = buf.substr(0, end);
      *rest = buf.substr(end + 4);
      return Status::Ok();
    }
    if (buf.size() > kMaxHead) return Status::Unavailable("response head too large");
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, kHeadTimeoutMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return Status::Unavailable("no response from the engine");
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Unavailable("connection closed before a response");
    buf.append(chunk, static_cast<size_t>(n));
  }
}

Status StatusForCode(int code, std::string message) {
  if (code == 404) return Status::NotFound(std::move(message));
  if (code == 409) return Status::Conflict(std::move(message));
  if (code >= 400 && code < 500) return Status::InvalidArgument(std::move(message));
  return Status::Unavailable(std::move(message));
}

// The error text of a failed answer: Docker's {"message": ...} or the raw body.
std::string ErrorText(int fd, std::string body) {
  char chunk[4096];
  for (int i = 0; i < 16 && body.size() < kMaxHead; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 1000) <= 0) break;
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n <= 0) break;
    body.append(chunk, static_cast<size_t>(n));
  }
  size_t key = body.find("\"message\":\"");
  if (key != std::string::npos) {
    size_t start = key + 11, end = body.find('"', start);
    if (end != std::string::npos) return body.substr(start, end - start);
  }
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  return body;
}

}  // namespace

StatusOr<HijackedStream> HijackUnix(const std::string& socket_path, const std::string& method,
                                    const std::string& path, const std::string& body) {
  StatusOr<UniqueFd> fd = ConnectUnix(socket_path);
  if (!fd.ok()) return fd.status();
  std::string request = fmt::format(
      "{} {} HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n"
      "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
      method, path, body.size());
  request += body;
  DOKKU_RETURN_IF_ERROR(SendAll(fd->get(), request));
  std::string head, rest;
  DOKKU_RETURN_IF_ERROR(ReadHead(fd->get(), &head, &rest));
  // "HTTP/1.1 101 UPGRADED"
  int code = 0;
  size_t space = head.find(' ');
  if (space != std::string::npos) code = std::atoi(head.c_str() + space + 1);
  if (code != 101 && code != 200) {
    std::string text = ErrorText(fd->get(), std::move(rest));
    return StatusForCode(code, fmt::format("{} {}: {}", method, path, text));
  }
  return HijackedStream{std::move(*fd), std::move(rest)};
}

}  // namespace dokku
