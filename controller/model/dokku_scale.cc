#include "controller/model/dokku_scale.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "controller/model/text_file.h"

namespace dokku {
namespace {

Status LineError(int line, std::string_view what) {
  return Status::InvalidArgument(fmt::format("DOKKU_SCALE line {}: {}", line, what));
}

// Dokku stripped inline comments from DOKKU_SCALE lines the same way as from CHECKS.
std::string_view StripInlineComment(std::string_view line) {
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t')) return line.substr(0, i);
  }
  return line;
}

bool ParseCount(std::string_view s, int* count) {
  if (s.empty() || s.size() > 4) return false;
  int value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value > kMaxScaleCount) return false;
  *count = value;
  return true;
}

}  // namespace

StatusOr<ScaleEntries> ParseDokkuScale(std::string_view text) {
  DOKKU_RETURN_IF_ERROR(CheckTextFile(text, "DOKKU_SCALE"));
  ScaleEntries entries;
  std::set<std::string, std::less<>> seen;
  int number = 0;
  for (std::string_view raw : SplitLines(text)) {
    ++number;
    const std::string_view line = TrimSpace(StripInlineComment(TrimSpace(raw)));
    if (line.empty() || line[0] == '#') continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return LineError(number, fmt::format("expected \"<process type>=<count>\", got {}",
                                           QuoteForMessage(line)));
    }
    const std::string_view type = TrimSpace(line.substr(0, eq));
    const std::string_view count_text = TrimSpace(line.substr(eq + 1));
    if (!IsValidProcessType(type)) {
      return LineError(number, fmt::format("invalid process type {}", QuoteForMessage(type)));
    }
    int count = 0;
    if (!ParseCount(count_text, &count)) {
      return LineError(number,
                       fmt::format("invalid count {} for process type \"{}\" (expected 0..{})",
                                   QuoteForMessage(count_text), type, kMaxScaleCount));
    }
    if (!seen.emplace(type).second) {
      return LineError(number, fmt::format("duplicate process type \"{}\"", type));
    }
    entries.emplace_back(std::string(type), count);
  }
  return entries;
}

Status ValidateScaleAgainstProcfile(const ScaleEntries& scale,
                                    const std::optional<std::vector<ProcfileEntry>>& procfile) {
  for (const auto& entry : scale) {
    const std::string& type = entry.first;
    const bool known = procfile
                           ? std::any_of(procfile->begin(), procfile->end(),
                                         [&](const ProcfileEntry& e) { return e.type == type; })
                           : type == "web";
    if (!known) {
      return Status::InvalidArgument(
          fmt::format("DOKKU_SCALE names process type \"{}\" that the Procfile lacks", type));
    }
  }
  return Status::Ok();
}

}  // namespace dokku
