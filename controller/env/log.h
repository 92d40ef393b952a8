// Daemon logging: one line per message on stderr with a journald priority prefix (<3> error,
// <4> warning, <6> info, <7> debug). Newlines inside a message are escaped so a message stays one
// journal entry. Thread-safe.
#pragma once

#include <fmt/format.h>

#include <string>

namespace dokku {

enum class LogLevel { kError = 3, kWarning = 4, kInfo = 6, kDebug = 7 };

void SetLogLevel(LogLevel level);
// "error" | "warning" | "info" | "debug"; false when unknown.
bool ParseLogLevel(const std::string& name, LogLevel* level);
void LogLine(LogLevel level, const std::string& message);

template <typename... Args>
void Log(LogLevel level, fmt::format_string<Args...> format, Args&&... args) {
  LogLine(level, fmt::format(format, std::forward<Args>(args)...));
}

}  // namespace dokku
