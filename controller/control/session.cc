#include "controller/control/session.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "controller/control/protocol.h"
#include "controller/docker/docker_wire.h"

namespace dokku::control {

void Session::Write(char kind, std::string_view data) {
  if (cancelled_.load()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (!WriteData(fd_, static_cast<FrameKind>(kind), data).ok()) cancelled_.store(true);
}

void Session::Out(std::string_view data) { Write(static_cast<char>(FrameKind::kStdout), data); }
void Session::Err(std::string_view data) { Write(static_cast<char>(FrameKind::kStderr), data); }

void Session::Warn(std::string_view text) {
  std::string line = " !     ";
  line.append(text);
  line.push_back('\n');
  Err(line);
}

void Session::Exit(int code) { Write(static_cast<char>(FrameKind::kExit), std::to_string(code)); }

void Session::WaitForHangup(int timeout_ms) {
  if (cancelled_.load()) return;
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return;
  char buf[4096];
  ssize_t n = ::read(fd_, buf, sizeof buf);
  if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) cancelled_.store(true);
}

namespace {

Status SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Unavailable("container stream closed");
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Applies the client's frames to the container stream. False when the client broke the
// protocol (the session ends as a hangup).
bool ApplyClientFrames(FrameDecoder& decoder, int stream_fd, bool* stdin_open,
                       const std::function<void(int, int)>& on_resize) {
  Frame frame;
  while (decoder.Next(&frame)) {
    if (frame.kind == FrameKind::kStdin && *stdin_open) {
      // A container that closed its stdin only loses what it would not read anyway.
      if (!SendAll(stream_fd, frame.payload).ok()) *stdin_open = false;
    } else if (frame.kind == FrameKind::kStdinClosed && *stdin_open) {
      ::shutdown(stream_fd, SHUT_WR);
      *stdin_open = false;
    } else if (frame.kind == FrameKind::kResize) {
      int rows = 0, cols = 0;
      if (std::sscanf(frame.payload.c_str(), "%d %d", &rows, &cols) == 2 && rows > 0 && cols > 0)
        on_resize(rows, cols);
    }
  }
  return !decoder.bad();
}

}  // namespace

Status Relay(Session& session, HijackedStream& stream, bool tty,
             const std::function<void(int rows, int cols)>& on_resize) {
  StreamDemuxer demux(tty);
  auto deliver = [&session](int which, std::string_view data) {
    which == 2 ? session.Err(data) : session.Out(data);
  };
  if (!stream.initial.empty()) demux.Feed(stream.initial, deliver);
  FrameDecoder decoder;
  bool stdin_open = true;
  char buf[32768];
  while (!session.cancelled()) {
    pollfd fds[2] = {{session.fd(), POLLIN, 0}, {stream.fd.get(), POLLIN, 0}};
    int ready = ::poll(fds, 2, 1000);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return Status::Unavailable("poll failed");
    if (fds[1].revents != 0) {
      ssize_t n = ::read(stream.fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Status::Ok();  // the process ended (or Docker closed the stream)
      demux.Feed(std::string_view(buf, static_cast<size_t>(n)), deliver);
    }
    if (fds[0].revents != 0) {
      ssize_t n = ::read(session.fd(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || !decoder.Feed(std::string_view(buf, static_cast<size_t>(n))) ||
          !ApplyClientFrames(decoder, stream.fd.get(), &stdin_open, on_resize)) {
        session.Cancel();
      }
    }
  }
  return Status::FailedPrecondition("the client hung up");
}

}  // namespace dokku::control
