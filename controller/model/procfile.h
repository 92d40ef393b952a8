// Procfile parsing with Dokku's rules: `type: command` lines, comments and blank lines skipped.
// Pure; errors are InvalidArgument with a one-line message naming the line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace dokku {

struct ProcfileEntry {
  std::string type;
  std::string command;
  bool operator==(const ProcfileEntry&) const = default;
};

// ^[a-zA-Z0-9][a-zA-Z0-9_-]*$, at most 63 characters.
bool IsValidProcessType(std::string_view type);

// Entries in file order. Errors: larger than 64 KiB, binary content, a line without ':',
// merge-conflict markers, an invalid or duplicate process type, an empty command.
StatusOr<std::vector<ProcfileEntry>> ParseProcfile(std::string_view text);

}  // namespace dokku
