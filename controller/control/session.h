// Session: one accepted control connection as the ops see it — thread-safe output frames, the
// exit frame, a cancelled flag set when the client hangs up, and Relay, which joins the client
// to a hijacked container stream (stdin one way; stdout/stderr the other).
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string_view>

#include "controller/http/hijack.h"
#include "store/status.h"

namespace dokku::control {

class Session {
 public:
  explicit Session(int fd) : fd_(fd) {}

  int fd() const { return fd_; }
  void Out(std::string_view data);
  void Err(std::string_view data);
  // Dokku's " !     text" line on stderr.
  void Warn(std::string_view text);
  void Exit(int code);
  // True once the client is gone (a write failed, or WatchHangup saw the end of its stream).
  bool cancelled() const { return cancelled_.load(); }
  const std::atomic<bool>& cancelled_flag() const { return cancelled_; }
  void Cancel() { cancelled_.store(true); }
  // Waits up to timeout_ms for the client to hang up (then sets cancelled); anything it sends
  // meanwhile is discarded.
  void WaitForHangup(int timeout_ms);

 private:
  void Write(char kind, std::string_view data);

  int fd_;
  std::mutex mu_;
  std::atomic<bool> cancelled_{false};
};

// Joins the session to `stream` until the stream ends (OK) or the client hangs up (Cancelled,
// as FailedPrecondition). `tty`: the stream is raw; else Docker's multiplexed frames. Client
// stdin frames are written to the stream, its end half-closes the stream; resize frames call
// `on_resize(rows, cols)`.
Status Relay(Session& session, HijackedStream& stream, bool tty,
             const std::function<void(int rows, int cols)>& on_resize);

}  // namespace dokku::control
