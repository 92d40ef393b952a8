// Emit: how controller steps report progress lines in Dokku's format. `level` is one of
// "info1" ("-----> "), "info2" ("=====> "), "verbose" (7 spaces) or "warn" (" !     ").
#pragma once

#include <functional>
#include <string>

namespace dokku {

using Emit = std::function<void(const std::string& level, const std::string& text)>;

inline constexpr const char* kInfo1 = "info1";
inline constexpr const char* kInfo2 = "info2";
inline constexpr const char* kVerbose = "verbose";
inline constexpr const char* kWarn = "warn";

}  // namespace dokku
