// libFuzzer target for app names and the names derived from them: the validators
// (store/validation.h) and container naming (controller/model/naming.h). An accepted app name must
// be safe as a container name, a file name and an nginx token, and the names dokkud derives from it
// must read back with the role they were made for.
#include <cstddef>
#include <cstdint>
#include <string>

#include "controller/model/naming.h"
#include "store/validation.h"

namespace {

bool SafeToken(const std::string& s) {
  for (unsigned char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) return false;
  }
  return !s.empty() && s.size() <= 63 && s.find("..") == std::string::npos;
}

void CheckDerivedNames(const std::string& app, const std::string& proctype, int index) {
  using dokku::ContainerRole;
  using dokku::RoleFromName;
  if (RoleFromName(dokku::LiveName(app, proctype, index), app, proctype, index) !=
      ContainerRole::kLive) {
    __builtin_trap();
  }
  if (RoleFromName(dokku::UpcomingName(app, proctype, index, "ab12"), app, proctype, index) !=
      ContainerRole::kUpcoming) {
    __builtin_trap();
  }
  if (RoleFromName(dokku::RetiringName(app, proctype, index, 1700000000), app, proctype, index) !=
      ContainerRole::kRetiring) {
    __builtin_trap();
  }
  // Another index is never mistaken for this one's live container.
  if (RoleFromName(dokku::LiveName(app, proctype, index + 1), app, proctype, index) ==
      ContainerRole::kLive) {
    __builtin_trap();
  }
  std::string parsed_type;
  int parsed_index = 0;
  if (!dokku::ParseDyno(proctype + "." + std::to_string(index), &parsed_type, &parsed_index) ||
      parsed_type != proctype || parsed_index != index) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const bool new_ok = dokku::ValidateNewAppName(input).ok();
  const bool existing_ok = dokku::ValidateAppName(input).ok();
  if (new_ok && !existing_ok) __builtin_trap();
  if (new_ok && !SafeToken(input)) __builtin_trap();
  if (existing_ok) {
    for (unsigned char c : input) {
      if (c == '/' || c == ';' || c == '{' || c == '}' || c <= ' ' || c >= 0x7f) __builtin_trap();
    }
  }
  if (dokku::ValidateDomain(input).ok()) {
    for (unsigned char c : input) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
      if (!ok) __builtin_trap();
    }
  }
  const bool tag_ok = dokku::ValidateTag(input).ok();
  if (tag_ok && (input.empty() || input.size() > 128 || input[0] == '.' || input[0] == '-')) {
    __builtin_trap();
  }
  std::string dyno_type;
  int dyno_index = 0;
  if (dokku::ParseDyno(input, &dyno_type, &dyno_index) && (dyno_index < 1 || dyno_type.empty())) {
    __builtin_trap();
  }
  // The input as app name, as process type (when valid) and with a small index.
  if (existing_ok) {
    const size_t half = size / 2;
    const std::string proctype = input.substr(half).empty() ? "web" : input.substr(half);
    CheckDerivedNames(input, dokku::ValidateProcessType(proctype).ok() ? proctype : "web",
                      1 + static_cast<int>(size % 9));
  }
  return 0;
}
