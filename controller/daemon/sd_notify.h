// Notifier: systemd's notify protocol (sd_notify(3)) without libsystemd. With $NOTIFY_SOCKET
// unset every call is a no-op, so dokkud runs the same outside systemd.
#pragma once

#include <cstdint>
#include <string>

namespace dokku {

class Notifier {
 public:
  // Reads $NOTIFY_SOCKET and $WATCHDOG_USEC once.
  Notifier();
  // Sends e.g. "READY=1" or "STATUS=...". Returns false if a socket is set but sending failed.
  bool Notify(const std::string& state);
  // How often to send WATCHDOG=1 (half the configured timeout), 0 when no watchdog is set.
  int64_t watchdog_interval_ms() const { return watchdog_interval_ms_; }
  bool enabled() const { return !socket_path_.empty(); }

 private:
  std::string socket_path_;
  int64_t watchdog_interval_ms_ = 0;
};

}  // namespace dokku
