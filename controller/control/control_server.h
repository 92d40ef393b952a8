// ControlServer: dokkud's local control socket (<state-dir>/control.sock, mode 0660, owned by
// the control group when it exists). Each connection is served on its own thread: the peer is
// checked with SO_PEERCRED (root or a member of the group), its first frame is the request,
// and control_ops.h answers it. Nothing listens on TCP.
#pragma once

#include <atomic>
#include <list>
#include <mutex>
#include <string>
#include <thread>

#include "controller/control/control_ops.h"

namespace dokku::control {

struct ControlServerOptions {
  std::string socket_path;
  std::string group = "dokku";  // who besides root may connect
};

class ControlServer {
 public:
  ControlServer(ControlServerOptions options, ControlDeps deps)
      : options_(std::move(options)), deps_(std::move(deps)) {}
  ~ControlServer() { Stop(); }
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Binds the socket (replacing a stale one), sets its owner and mode, starts accepting.
  Status Start();
  // Stops accepting, ends every session (their clients see the connection close), joins.
  void Stop();
  const ControlDeps& deps() const { return deps_; }

 private:
  struct Connection;
  void AcceptLoop();
  void ServeConnection(Connection* connection);
  void Reap();

  ControlServerOptions options_;
  ControlDeps deps_;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  struct Connection {
    int fd = -1;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  std::list<Connection> connections_;  // guarded by mu_; finished ones reaped on accept
};

}  // namespace dokku::control
