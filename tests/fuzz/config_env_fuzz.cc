// libFuzzer target for config vars on their way into a container: the input, split at its first
// NUL, is a key and a value. Whatever the config rules accept must reach the Engine API's create
// body as exactly KEY=VALUE, come back unchanged from config:export --format json, and survive
// the Swarm template escaping (no "{{" left outside the escape actions).
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/config_format.h"
#include "controller/docker/docker_codec.h"
#include "store/text.h"
#include "store/validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string key = input.substr(0, nul);
  const std::string value = nul == std::string::npos ? "" : input.substr(nul + 1);
  if (!dokku::ValidateConfigKey(key).ok()) return 0;
  if (!dokku::ValidateConfigValue(key, value).ok()) return 0;
  if (key.empty() || value.find('\0') != std::string::npos) __builtin_trap();

  dokku::ContainerSpec spec;
  spec.name = "fuzz";
  spec.image = "img";
  spec.env = {key + "=" + value};
  dokku::StatusOr<std::string> body = dokku::EncodeCreateBody(spec);
  if (!body.ok()) __builtin_trap();
  const nlohmann::json parsed = nlohmann::json::parse(*body);
  if (parsed.at("Env").at(0).get<std::string>() != key + "=" + value) __builtin_trap();

  const std::string exported = *dokku::ExportConfig({{key, value}}, "json");
  const nlohmann::json back = nlohmann::json::parse(exported);
  if (back.at(key).get<std::string>() != value) __builtin_trap();

  // Undo the escaping as a Go template would: each action prints "{{", all else is literal.
  std::string escaped = dokku::EscapeGoTemplate(value), expanded;
  const std::string action = "{{\"{{\"}}";
  for (size_t i = 0; i < escaped.size();) {
    if (escaped.compare(i, action.size(), action) == 0) {
      expanded += "{{";
      i += action.size();
    } else if (escaped.compare(i, 2, "{{") == 0) {
      __builtin_trap();  // an unescaped action would be expanded by Swarm
    } else {
      expanded += escaped[i++];
    }
  }
  if (expanded != value) __builtin_trap();
  return 0;
}
