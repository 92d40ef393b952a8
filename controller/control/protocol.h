// The control socket's wire format, shared by dokkud and the dokku CLI (which links only this,
// never the Docker client). A connection carries frames both ways: one kind byte, a 4-byte
// big-endian length, the payload. The client's first frame is the request (JSON); then it may
// send stdin and terminal sizes, and dokkud answers with output frames and one exit frame.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/status.h"

namespace dokku::control {

enum class FrameKind : char {
  kRequest = 'q',      // client: {"op": ..., ...}
  kStdin = 'i',        // client: bytes for the process's stdin
  kStdinClosed = 'I',  // client: stdin ended
  kResize = 'r',       // client: "<rows> <cols>"
  kStdout = 'o',       // daemon: bytes for the client's stdout
  kStderr = 'e',       // daemon: bytes for the client's stderr
  kExit = 'x',         // daemon: the exit code, in decimal; the last frame
};

inline constexpr uint32_t kMaxFrame = 1u << 20;

struct Frame {
  FrameKind kind = FrameKind::kStdout;
  std::string payload;
};

// "<state_dir>/control.sock".
std::string SocketPath(const std::string& state_dir);

// Encodes one frame (payloads over kMaxFrame are the caller's to split).
std::string EncodeFrame(FrameKind kind, std::string_view payload);

// Writes all of one frame to `fd` (retrying short writes and EINTR). Unavailable on failure.
Status WriteFrame(int fd, FrameKind kind, std::string_view payload);
// Writes `data` as as many frames as kMaxFrame needs.
Status WriteData(int fd, FrameKind kind, std::string_view data);

// Reads one whole frame (blocking). NotFound on a clean end of stream before a frame starts;
// Unavailable on a read error or a stream cut inside a frame; InvalidArgument on a bad kind or
// an oversized length.
StatusOr<Frame> ReadFrame(int fd);

// Reassembles frames from chunks that may split them anywhere (for poll loops).
class FrameDecoder {
 public:
  // Appends `chunk`; returns false on a malformed frame (the stream is then unusable).
  bool Feed(std::string_view chunk);
  // Moves the next complete frame into *out; false when none is complete yet.
  bool Next(Frame* out);
  bool bad() const { return bad_; }

 private:
  std::string buffer_;
  size_t offset_ = 0;
  bool bad_ = false;
};

bool IsKnownKind(char kind);

}  // namespace dokku::control
