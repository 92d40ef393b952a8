// The one integer parser: a decimal integer that is the whole string, as std::from_chars reads
// it (an optional '-', then digits; no '+', no spaces, no base prefix, nothing after). Every
// place that turns text into a number (flags, settings, labels, Docker's JSON strings) uses it,
// so a value means the same everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace dokku {

// nullopt when `text` is empty, not entirely a decimal integer, or outside int64_t.
std::optional<int64_t> ParseInt(std::string_view text);

// As ParseInt, and nullopt outside [min, max].
std::optional<int64_t> ParseInt(std::string_view text, int64_t min, int64_t max);

}  // namespace dokku
