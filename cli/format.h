// Text formatting shared by the commands: Docker-style tables and human-readable durations and
// sizes (as `docker image ls` prints them), and Dokku's padded help columns.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dokku {

std::string RightPad(std::string_view text, size_t width);

// Rows (the first is the header) aligned like Docker's tables: each column but the last is
// max(10, widest cell + 3) wide.
void PrintTable(std::ostream& os, const std::vector<std::vector<std::string>>& rows);

// "    <left padded to the widest left>  <right>" per row, as Dokku's help tables.
void PrintColumns(std::ostream& os, const std::vector<std::pair<std::string, std::string>>& rows);

// Docker's HumanDuration: "Less than a second", "About a minute", "3 hours", "2 weeks"...
std::string HumanDuration(int64_t seconds);
// "<HumanDuration> ago", or "N/A" for an unknown (zero) time.
std::string HumanAgo(int64_t then_seconds, int64_t now_seconds);
// Docker's size column: decimal units, 3 significant digits ("1.23MB", "512B", "4kB").
std::string HumanSize(int64_t bytes);
// Compact uptime: "45s", "3m12s", "2h3m4s", "3d4h5m".
std::string FormatUptime(int64_t seconds);
// The id without "sha256:", cut to `length` characters.
std::string ShortId(std::string_view id, size_t length);
// Replaces control characters (newlines included) with spaces, for one-line table cells.
std::string OneLine(std::string_view text);

}  // namespace dokku
