#include "controller/env/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

namespace dokku {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mu;
}  // namespace

void SetLogLevel(LogLevel level) { g_level = static_cast<int>(level); }

bool ParseLogLevel(const std::string& name, LogLevel* level) {
  if (name == "error")
    *level = LogLevel::kError;
  else if (name == "warning" || name == "warn")
    *level = LogLevel::kWarning;
  else if (name == "info")
    *level = LogLevel::kInfo;
  else if (name == "debug")
    *level = LogLevel::kDebug;
  else
    return false;
  return true;
}

void LogLine(LogLevel level, const std::string& message) {
  if (static_cast<int>(level) > g_level) return;
  std::string line = fmt::format("<{}>", static_cast<int>(level));
  for (char c : message) {
    if (c == '\n') {
      line += "\\n";
    } else {
      line += c;
    }
  }
  line += '\n';
  std::lock_guard<std::mutex> lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace dokku
