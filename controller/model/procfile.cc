#include "controller/model/procfile.h"

#include <fmt/format.h>

#include <set>

#include "controller/model/text_file.h"

namespace dokku {
namespace {

bool IsMergeConflictMarker(std::string_view line) {
  return line.starts_with("<<<<<<<") || line.starts_with("=======") || line.starts_with(">>>>>>>");
}

Status LineError(int line, std::string_view what) {
  return Status::InvalidArgument(fmt::format("Procfile line {}: {}", line, what));
}

}  // namespace

bool IsValidProcessType(std::string_view type) {
  if (type.empty() || type.size() > 63) return false;
  const auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(type[0])) return false;
  for (char c : type) {
    if (!alnum(c) && c != '_' && c != '-') return false;
  }
  return true;
}

StatusOr<std::vector<ProcfileEntry>> ParseProcfile(std::string_view text) {
  DOKKU_RETURN_IF_ERROR(CheckTextFile(text, "Procfile"));
  std::vector<ProcfileEntry> entries;
  std::set<std::string, std::less<>> seen;
  int number = 0;
  for (std::string_view raw : SplitLines(text)) {
    ++number;
    const std::string_view line = TrimSpace(raw);
    if (line.empty() || line[0] == '#') continue;
    if (IsMergeConflictMarker(line)) return LineError(number, "contains a merge conflict marker");
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      return LineError(number, fmt::format("expected \"<process type>: <command>\", got {}",
                                           QuoteForMessage(line)));
    }
    const std::string_view type = TrimSpace(line.substr(0, colon));
    const std::string_view command = TrimSpace(line.substr(colon + 1));
    if (!IsValidProcessType(type)) {
      return LineError(number, fmt::format("invalid process type {}", QuoteForMessage(type)));
    }
    if (command.empty()) {
      return LineError(number, fmt::format("empty command for process type \"{}\"", type));
    }
    if (!seen.emplace(type).second) {
      return LineError(number, fmt::format("duplicate process type \"{}\"", type));
    }
    entries.push_back({std::string(type), std::string(command)});
  }
  return entries;
}

}  // namespace dokku
