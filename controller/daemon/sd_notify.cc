#include "controller/daemon/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "store/parse_int.h"

namespace dokku {

Notifier::Notifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  if (socket != nullptr) socket_path_ = socket;
  const char* usec = std::getenv("WATCHDOG_USEC");
  if (usec != nullptr) {
    std::optional<int64_t> v = ParseInt(usec);
    if (v && *v > 0) watchdog_interval_ms_ = *v / 1000 / 2;
  }
}

bool Notifier::Notify(const std::string& state) {
  if (socket_path_.empty()) return true;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());
  socklen_t len = offsetof(sockaddr_un, sun_path) + socket_path_.size();
  // A leading '@' names Linux's abstract namespace: it is a NUL on the wire and the length
  // counts no terminator.
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  ssize_t sent =
      sendto(fd, state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr), len);
  close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

}  // namespace dokku
