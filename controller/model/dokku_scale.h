// DOKKU_SCALE parsing (`proc=count` lines, the legacy formation file shipped in an app image) and
// its check against the Procfile. Pure; errors are InvalidArgument naming the line.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/model/procfile.h"
#include "store/status.h"

namespace dokku {

inline constexpr int kMaxScaleCount = 1000;

using ScaleEntries = std::vector<std::pair<std::string, int>>;

// Entries in file order. Comments (whole-line `#...` and trailing ` # ...`) and blank lines are
// skipped; spaces around name and count are ignored; counts are integers 0..1000.
StatusOr<ScaleEntries> ParseDokkuScale(std::string_view text);

// Every type in `scale` must be in the Procfile; with no Procfile (nullopt) only `web` is known.
Status ValidateScaleAgainstProcfile(const ScaleEntries& scale,
                                    const std::optional<std::vector<ProcfileEntry>>& procfile);

}  // namespace dokku
