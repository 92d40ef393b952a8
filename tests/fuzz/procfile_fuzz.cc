// libFuzzer target for ParseProcfile: never crashes, and accepted files satisfy the rules.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

#include "controller/model/procfile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dokku::StatusOr<std::vector<dokku::ProcfileEntry>> parsed = dokku::ParseProcfile(text);
  if (!parsed.ok()) {
    if (parsed.status().message().empty()) __builtin_trap();
    return 0;
  }
  std::set<std::string> types;
  for (const dokku::ProcfileEntry& e : *parsed) {
    if (!dokku::IsValidProcessType(e.type) || e.command.empty()) __builtin_trap();
    if (!types.insert(e.type).second) __builtin_trap();
  }
  return 0;
}
