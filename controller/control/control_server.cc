#include "controller/control/control_server.h"

#include <errno.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "controller/control/peer_auth.h"
#include "controller/control/protocol.h"
#include "controller/env/log.h"

namespace dokku::control {
namespace {

// A refused peer may still be writing its request. Closing with that request unread would reset
// the connection and could make the peer's write fail before it reads why; so the answer is
// sent first, then what the peer sends is read and dropped until it closes, for at most a second.
void DrainUntilClosed(int fd) {
  ::shutdown(fd, SHUT_WR);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  char sink[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) < 0) return;
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    if (::read(fd, sink, sizeof sink) <= 0) return;
  }
}

}  // namespace

Status ControlServer::Start() {
  sockaddr_un addr{};
  if (options_.socket_path.size() >= sizeof addr.sun_path)
    return Status::InvalidArgument("control socket path too long: " + options_.socket_path);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, options_.socket_path.c_str(), options_.socket_path.size() + 1);
  // The state lock is held, so a socket file left here belongs to a dead predecessor.
  ::unlink(options_.socket_path.c_str());
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Status::Internal(std::string("socket: ") + strerror(errno));
  // Created 0600 and only then opened up, so there is no moment when anyone else may connect.
  mode_t old = ::umask(0177);
  int bound = ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::umask(old);
  if (bound != 0 || ::listen(listen_fd_, 64) != 0)
    return Status::Internal(
        fmt::format("control socket {}: {}", options_.socket_path, strerror(errno)));
  std::optional<gid_t> group = LookupGroup(options_.group);
  if (group) {
    if (::chown(options_.socket_path.c_str(), 0, *group) != 0 ||
        ::chmod(options_.socket_path.c_str(), 0660) != 0)
      return Status::Internal(
          fmt::format("control socket {}: {}", options_.socket_path, strerror(errno)));
  }
  acceptor_ = std::thread([this] { AcceptLoop(); });
  Log(LogLevel::kInfo, "control socket {} ({})", options_.socket_path,
      group ? "root and group " + options_.group
            : std::string("root only: no group ") + options_.group);
  return Status::Ok();
}

void ControlServer::Stop() {
  if (listen_fd_ < 0) return;
  stopping_.store(true);
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (Connection& c : connections_) ::shutdown(c.fd, SHUT_RDWR);
  }
  for (Connection& c : connections_) {
    if (c.thread.joinable()) c.thread.join();
    ::close(c.fd);
  }
  connections_.clear();
  ::close(listen_fd_);
  listen_fd_ = -1;
  ::unlink(options_.socket_path.c_str());
}

void ControlServer::Reap() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (!it->done.load()) {
      ++it;
      continue;
    }
    it->thread.join();
    ::close(it->fd);
    it = connections_.erase(it);
  }
}

void ControlServer::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    Reap();
    std::lock_guard<std::mutex> lock(mu_);
    Connection& c = connections_.emplace_back();
    c.fd = fd;
    c.thread = std::thread([this, &c] { ServeConnection(&c); });
  }
}

void ControlServer::ServeConnection(Connection* connection) {
  const int fd = connection->fd;
  Session session(fd);
  StatusOr<Peer> peer = PeerOf(fd);
  std::optional<gid_t> group = LookupGroup(options_.group);
  if (!peer.ok() || !PeerAllowed(*peer, group, GroupsOfUid(peer->uid))) {
    Log(LogLevel::kWarning, "control socket: refused uid {}",
        peer.ok() ? std::to_string(peer->uid) : std::string("?"));
    session.Warn(fmt::format(
        "Permission denied: only root and members of the {} group may use dokkud", options_.group));
    session.Exit(1);
    DrainUntilClosed(fd);
  } else if (StatusOr<Frame> first = ReadFrame(fd);
             first.ok() && first->kind == FrameKind::kRequest) {
    nlohmann::json request = nlohmann::json::parse(first->payload, nullptr, false);
    Serve(deps_, session, request);
  } else {
    session.Warn("bad control request");
    session.Exit(1);
  }
  ::shutdown(fd, SHUT_RDWR);  // closed when reaped, so Stop never shuts a reused descriptor
  connection->done.store(true);
}

}  // namespace dokku::control
