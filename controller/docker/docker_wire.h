// Non-JSON wire details of the Docker Engine API: query escaping, the events `since` form,
// RFC 3339 times, the multiplexed log stream and line reassembly for /events. All pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace dokku {

// "<seconds>.<nanoseconds, 9 digits>", the form /events accepts for since=.
std::string FormatSince(int64_t time_nano);
// Unix seconds of an RFC 3339 time ("2024-01-02T03:04:05.123Z", "...+01:00"); 0 if unparsable.
int64_t ParseRfc3339Seconds(std::string_view text);

// Percent-encodes everything but RFC 3986 unreserved characters (for query values).
std::string UrlEscape(std::string_view value);
// Like UrlEscape but keeps '/', ':' and '@' (for image references and ids in paths).
std::string PathEscape(std::string_view segment);

// Docker's multiplexed log stream (frames of an 8-byte header {stream, 0, 0, 0, big-endian size}
// followed by the payload) as plain text. Input that does not start with a frame header (a TTY
// container) is returned unchanged; a truncated last frame keeps what arrived.
std::string DemultiplexLogs(std::string_view raw);

// The multiplexed stream of an attach, exec or log, fed in chunks split anywhere. The first
// bytes decide: a frame header means frames (stream 1 stdout, 2 stderr; 0 stdin is stdout); any
// other start means a raw TTY stream, delivered as stdout.
class StreamDemuxer {
 public:
  // raw: a TTY stream, known in advance (no detection).
  explicit StreamDemuxer(bool raw = false) : mode_(raw ? Mode::kRaw : Mode::kUnknown) {}
  void Feed(std::string_view chunk, const std::function<void(int stream, std::string_view)>& out);

 private:
  enum class Mode { kUnknown, kFramed, kRaw };
  Mode mode_ = Mode::kUnknown;
  std::string pending_;
  int stream_ = 1;
  size_t remaining_ = 0;  // payload bytes of the current frame still to come
};

// Reassembles '\n'-terminated lines from chunks that may split them anywhere. Empty lines are
// skipped and a trailing '\r' is dropped. A line longer than max_line is discarded whole.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line = size_t{1} << 20) : max_line_(max_line) {}
  void Feed(std::string_view chunk, const std::function<void(std::string_view)>& on_line);

 private:
  void Emit(std::string_view line, const std::function<void(std::string_view)>& on_line);

  std::string pending_;
  size_t max_line_;
  bool discarding_ = false;  // inside an over-long line: drop bytes up to the next '\n'
};

}  // namespace dokku
