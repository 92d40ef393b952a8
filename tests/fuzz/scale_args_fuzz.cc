// libFuzzer target for `ps:scale` arguments: the input, split on NUL bytes, is a list of
// "<proc>=<count>" arguments parsed with ParseScaleArg as the CLI does. Whatever it accepts must
// be a valid process type with a count in 0..1000 that survives a print/parse round trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "store/validation.h"

namespace {

std::vector<std::string> SplitOnNul(const uint8_t* data, size_t size) {
  std::vector<std::string> args(1);
  for (size_t i = 0; i < size; ++i) {
    if (data[i] == 0) {
      args.emplace_back();
    } else {
      args.back().push_back(static_cast<char>(data[i]));
    }
  }
  return args;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (const std::string& arg : SplitOnNul(data, size)) {
    std::string proctype;
    int count = -1;
    const dokku::Status parsed = dokku::ParseScaleArg(arg, &proctype, &count);
    if (!parsed.ok()) {
      if (parsed.message().empty()) __builtin_trap();
      continue;
    }
    if (count < 0 || count > 1000) __builtin_trap();
    if (!dokku::ValidateProcessType(proctype).ok()) __builtin_trap();
    // Nothing that could end a shell word, a label value or a container name gets through.
    for (char c : proctype) {
      if (c == '=' || c == ' ' || c == '\t' || c == '.' || c == '/' || c == ';') __builtin_trap();
    }
    std::string again_type;
    int again_count = -1;
    if (!dokku::ParseScaleArg(proctype + "=" + std::to_string(count), &again_type, &again_count)
             .ok() ||
        again_type != proctype || again_count != count) {
      __builtin_trap();
    }
  }
  return 0;
}
