// Frame encoding and blocking frame I/O for the control socket.
#include "controller/control/protocol.h"

#include <errno.h>
#include <unistd.h>

#include <cstring>

namespace dokku::control {

std::string SocketPath(const std::string& state_dir) { return state_dir + "/control.sock"; }

bool IsKnownKind(char kind) {
  switch (static_cast<FrameKind>(kind)) {
    case FrameKind::kRequest:
    case FrameKind::kStdin:
    case FrameKind::kStdinClosed:
    case FrameKind::kResize:
    case FrameKind::kStdout:
    case FrameKind::kStderr:
    case FrameKind::kExit:
      return true;
  }
  return false;
}

std::string EncodeFrame(FrameKind kind, std::string_view payload) {
  const auto n = static_cast<uint32_t>(payload.size());
  std::string out;
  out.reserve(5 + payload.size());
  out.push_back(static_cast<char>(kind));
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(payload);
  return out;
}

static Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Unavailable(std::string("control socket write: ") + strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status WriteFrame(int fd, FrameKind kind, std::string_view payload) {
  return WriteAll(fd, EncodeFrame(kind, payload));
}

Status WriteData(int fd, FrameKind kind, std::string_view data) {
  do {
    const size_t n = std::min<size_t>(data.size(), kMaxFrame);
    DOKKU_RETURN_IF_ERROR(WriteFrame(fd, kind, data.substr(0, n)));
    data.remove_prefix(n);
  } while (!data.empty());
  return Status::Ok();
}

// Reads exactly n bytes. Returns the count read before an end of stream (< n) or -1 on error.
static ssize_t ReadExactly(int fd, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

StatusOr<Frame> ReadFrame(int fd) {
  char header[5];
  ssize_t got = ReadExactly(fd, header, sizeof header);
  if (got == 0) return Status::NotFound("control socket closed");
  if (got != static_cast<ssize_t>(sizeof header))
    return Status::Unavailable("control socket: truncated frame");
  if (!IsKnownKind(header[0])) return Status::InvalidArgument("control socket: bad frame kind");
  uint32_t n = 0;
  for (int i = 1; i < 5; ++i) n = (n << 8) | static_cast<unsigned char>(header[i]);
  if (n > kMaxFrame) return Status::InvalidArgument("control socket: frame too large");
  Frame frame{static_cast<FrameKind>(header[0]), std::string(n, '\0')};
  if (n > 0 && ReadExactly(fd, frame.payload.data(), n) != static_cast<ssize_t>(n))
    return Status::Unavailable("control socket: truncated frame");
  return frame;
}

bool FrameDecoder::Feed(std::string_view chunk) {
  if (bad_) return false;
  // Drop what was consumed before growing, so a long session does not keep it all.
  if (offset_ > 0 && offset_ * 2 > buffer_.size()) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(chunk);
  return true;
}

bool FrameDecoder::Next(Frame* out) {
  if (bad_ || buffer_.size() - offset_ < 5) return false;
  const char* p = buffer_.data() + offset_;
  uint32_t n = 0;
  for (int i = 1; i < 5; ++i) n = (n << 8) | static_cast<unsigned char>(p[i]);
  if (!IsKnownKind(p[0]) || n > kMaxFrame) {
    bad_ = true;
    return false;
  }
  if (buffer_.size() - offset_ < 5 + static_cast<size_t>(n)) return false;
  out->kind = static_cast<FrameKind>(p[0]);
  out->payload.assign(p + 5, n);
  offset_ += 5 + n;
  return true;
}

}  // namespace dokku::control
