// libFuzzer target for ParseDokkuScale and ValidateScaleAgainstProcfile.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "controller/model/dokku_scale.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dokku::StatusOr<dokku::ScaleEntries> parsed = dokku::ParseDokkuScale(text);
  if (!parsed.ok()) return 0;
  for (const auto& [type, count] : *parsed) {
    if (!dokku::IsValidProcessType(type) || count < 0 || count > dokku::kMaxScaleCount) {
      __builtin_trap();
    }
  }
  (void)dokku::ValidateScaleAgainstProcfile(*parsed, std::nullopt);
  (void)dokku::ValidateScaleAgainstProcfile(*parsed,
                                            std::vector<dokku::ProcfileEntry>{{"web", "x"}});
  return 0;
}
