// How config vars are printed: config:show's padded columns, every config:export --format, Go's
// JSON string escaping. Pure functions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/text.h"

namespace dokku {

using ConfigVars = std::map<std::string, std::string>;

// One --format of config:export, exactly as printed (newline included where Dokku prints one);
// nullopt for an unknown format.
std::optional<std::string> ExportConfig(const ConfigVars& vars, std::string_view format);

// "KEY:" padded to the longest "KEY:" plus two spaces, then the value trimmed for display.
std::vector<std::string> PrettyConfigLines(const ConfigVars& vars);

// A JSON string literal escaped as Go's encoding/json does (<, >, & and U+2028/9 as \u).
std::string GoJsonString(std::string_view text);

// Whitespace trimmed from both ends (what Dokku shows of a value).
std::string TrimForDisplay(std::string_view value);

}  // namespace dokku
