#include "store/parse_int.h"

#include <charconv>

namespace dokku {

std::optional<int64_t> ParseInt(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> ParseInt(std::string_view text, int64_t min, int64_t max) {
  std::optional<int64_t> value = ParseInt(text);
  if (!value || *value < min || *value > max) return std::nullopt;
  return value;
}

}  // namespace dokku
