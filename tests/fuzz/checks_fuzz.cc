// libFuzzer target for ParseChecksFile: never crashes, and accepted files are within bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "controller/model/checks_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dokku::StatusOr<dokku::ChecksFile> parsed = dokku::ParseChecksFile(text);
  if (!parsed.ok()) return 0;
  if (parsed->wait < 0 || parsed->wait > 3600 || parsed->timeout < 1 || parsed->timeout > 3600 ||
      parsed->attempts < 1 || parsed->attempts > 100) {
    __builtin_trap();
  }
  for (const dokku::CheckSpec& check : parsed->checks) {
    if (check.path.empty() || check.path[0] != '/') __builtin_trap();
    if (check.scheme != "http" && check.scheme != "https") __builtin_trap();
    if (check.host.find_first_of(" \t\r\n") != std::string::npos) __builtin_trap();
    if (dokku::DisplayUrl(check).empty()) __builtin_trap();
  }
  return 0;
}
