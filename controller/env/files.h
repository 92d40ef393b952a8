// Whole-file reads and crash-safe writes for files dokkud owns (nginx configs, registry logins).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "store/status.h"

namespace dokku {

// The file's content; nullopt when it does not exist. Other errors are Internal.
StatusOr<std::optional<std::string>> ReadFileIfExists(const std::string& path);

// Temp file (created with `mode`) + fsync + rename + directory fsync: a reader never sees a
// half-written file, and the new file survives a crash once this returns.
Status WriteFileAtomically(const std::string& path, const std::string& content, mode_t mode = 0644);

}  // namespace dokku
