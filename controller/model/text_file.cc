#include "controller/model/text_file.h"

#include <fmt/format.h>

#include "store/text.h"

namespace dokku {
namespace {

bool IsForbiddenControl(std::string_view text, size_t i) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  if (c == '\t' || c == '\n') return false;
  // CRLF line endings are accepted; a lone CR would hide text on a terminal.
  if (c == '\r') return !(i + 1 == text.size() || text[i + 1] == '\n');
  return c < 0x20 || c == 0x7F;
}

}  // namespace

Status CheckTextFile(std::string_view text, std::string_view file_name) {
  if (text.size() > kMaxAppFileSize) {
    return Status::InvalidArgument(fmt::format("{} is larger than 64 KiB", file_name));
  }
  if (text.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument(
        fmt::format("{} contains NUL bytes (is it a binary file?)", file_name));
  }
  int line = 1;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\n') ++line;
    if (IsForbiddenControl(text, i)) {
      return Status::InvalidArgument(
          fmt::format("{} line {}: contains a control character", file_name, line));
    }
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0) {
      return Status::InvalidArgument(
          fmt::format("{} line {}: is not valid UTF-8", file_name, line));
    }
    i += len;
  }
  return Status::Ok();
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return lines;
}

std::string_view TrimSpace(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const size_t last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

std::string QuoteForMessage(std::string_view s) {
  constexpr size_t kMax = 64;
  if (s.size() <= kMax) return fmt::format("\"{}\"", s);
  // Cut on a UTF-8 boundary so the message stays valid text.
  size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("\"{}...\"", s.substr(0, cut));
}

}  // namespace dokku
