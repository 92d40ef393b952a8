#include "controller/docker/docker_wire.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

namespace dokku {

std::string FormatSince(int64_t time_nano) {
  if (time_nano < 0) time_nano = 0;
  return fmt::format("{}.{:09}", time_nano / 1'000'000'000, time_nano % 1'000'000'000);
}

namespace {

// Reads exactly `digits` decimal digits at *pos.
bool ReadNumber(std::string_view text, size_t* pos, size_t digits, int* out) {
  if (*pos + digits > text.size()) return false;
  *out = 0;
  for (size_t i = 0; i < digits; ++i) {
    const char c = text[*pos + i];
    if (c < '0' || c > '9') return false;
    *out = *out * 10 + (c - '0');
  }
  *pos += digits;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

int64_t ParseRfc3339Seconds(std::string_view text) {
  size_t pos = 0;
  int year, month, day, hour, minute, second;
  if (!ReadNumber(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadNumber(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadNumber(text, &pos, 2, &day) || !Expect(text, &pos, 'T') ||
      !ReadNumber(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadNumber(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadNumber(text, &pos, 2, &second)) {
    return 0;
  }
  if (Expect(text, &pos, '.')) {
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  }
  int offset_seconds = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos++] == '-' ? -1 : 1;
    int offset_hours, offset_minutes;
    if (!ReadNumber(text, &pos, 2, &offset_hours) || !Expect(text, &pos, ':') ||
        !ReadNumber(text, &pos, 2, &offset_minutes)) {
      return 0;
    }
    offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
  } else if (!Expect(text, &pos, 'Z')) {
    return 0;
  }
  const std::chrono::year_month_day date{std::chrono::year{year},
                                         std::chrono::month{static_cast<unsigned>(month)},
                                         std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return 0;
  const int64_t days = std::chrono::sys_days(date).time_since_epoch().count();
  return days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
}

namespace {

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string Escape(std::string_view value, std::string_view keep) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (IsUnreserved(c) || keep.find(c) != std::string_view::npos) {
      out.push_back(c);
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

}  // namespace

std::string UrlEscape(std::string_view value) { return Escape(value, ""); }

std::string PathEscape(std::string_view segment) { return Escape(segment, "/:@"); }

std::string DemultiplexLogs(std::string_view raw) {
  auto is_header = [&raw](size_t at) {
    return at + 8 <= raw.size() && static_cast<unsigned char>(raw[at]) <= 2 && raw[at + 1] == 0 &&
           raw[at + 2] == 0 && raw[at + 3] == 0;
  };
  if (!is_header(0)) return std::string(raw);
  std::string out;
  size_t pos = 0;
  while (is_header(pos)) {
    uint32_t size = 0;
    for (size_t i = 4; i < 8; ++i) size = (size << 8) | static_cast<unsigned char>(raw[pos + i]);
    pos += 8;
    const size_t take = std::min<size_t>(size, raw.size() - pos);
    out.append(raw.substr(pos, take));
    pos += take;
  }
  return out;
}

void StreamDemuxer::Feed(std::string_view chunk,
                         const std::function<void(int, std::string_view)>& out) {
  if (mode_ == Mode::kRaw) {
    if (!chunk.empty()) out(1, chunk);
    return;
  }
  pending_.append(chunk);
  std::string_view rest(pending_);
  while (true) {
    if (remaining_ > 0) {
      const size_t take = std::min(remaining_, rest.size());
      if (take == 0) break;
      out(stream_, rest.substr(0, take));
      remaining_ -= take;
      rest.remove_prefix(take);
      continue;
    }
    if (rest.size() < 8) {
      // A raw stream can begin with fewer than 8 bytes of output; a first byte that no frame
      // header has settles it at once.
      if (mode_ == Mode::kUnknown && !rest.empty() && static_cast<unsigned char>(rest[0]) > 2) {
        mode_ = Mode::kRaw;
        out(1, rest);
        rest = {};
      }
      break;
    }
    const bool header =
        static_cast<unsigned char>(rest[0]) <= 2 && rest[1] == 0 && rest[2] == 0 && rest[3] == 0;
    if (!header && mode_ == Mode::kUnknown) {
      mode_ = Mode::kRaw;
      out(1, rest);
      rest = {};
      break;
    }
    mode_ = Mode::kFramed;
    uint32_t size = 0;
    for (size_t i = 4; i < 8; ++i) size = (size << 8) | static_cast<unsigned char>(rest[i]);
    stream_ = rest[0] == 2 ? 2 : 1;
    remaining_ = size;
    rest.remove_prefix(8);
  }
  pending_.erase(0, pending_.size() - rest.size());
}

void LineSplitter::Feed(std::string_view chunk,
                        const std::function<void(std::string_view)>& on_line) {
  while (!chunk.empty()) {
    const size_t newline = chunk.find('\n');
    const bool complete = newline != std::string_view::npos;
    const std::string_view piece = chunk.substr(0, newline);
    if (!discarding_) {
      if (pending_.size() + piece.size() > max_line_) {
        discarding_ = true;
        pending_.clear();
      } else if (complete && pending_.empty()) {
        Emit(piece, on_line);  // the common case: a whole line inside one chunk, no copy
      } else {
        pending_.append(piece);
        if (complete) Emit(pending_, on_line);
      }
    }
    if (!complete) break;
    pending_.clear();
    discarding_ = false;
    chunk.remove_prefix(newline + 1);
  }
}

void LineSplitter::Emit(std::string_view line,
                        const std::function<void(std::string_view)>& on_line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (!line.empty()) on_line(line);
}

}  // namespace dokku
