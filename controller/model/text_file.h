// Shared checks for the small text files dokkud reads from app images (Procfile, CHECKS,
// DOKKU_SCALE): size limit, no binary content, valid UTF-8, and line splitting.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace dokku {

inline constexpr size_t kMaxAppFileSize = 64 * 1024;

// OK, or InvalidArgument naming `file_name` (and the line) when the text is larger than 64 KiB,
// contains NUL bytes or other control characters (tab, LF and CR before LF are fine), or is not
// valid UTF-8.
Status CheckTextFile(std::string_view text, std::string_view file_name);

// Splits on '\n' and drops one trailing '\r' per line; a final newline adds no empty line.
std::vector<std::string_view> SplitLines(std::string_view text);

// Strips spaces and tabs at both ends.
std::string_view TrimSpace(std::string_view s);

// `s` in double quotes for an error message, shortened to at most 64 bytes.
std::string QuoteForMessage(std::string_view s);

}  // namespace dokku
