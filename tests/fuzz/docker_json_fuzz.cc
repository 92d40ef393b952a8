// libFuzzer target for decoding what the Docker Engine sends (controller/docker/docker_codec.h and
// the wire helpers of controller/docker/docker_wire.h): no input may crash, throw or hang a
// decoder, and the encoders must always produce JSON that parses back to what they were given.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "controller/docker/docker_codec.h"
#include "controller/docker/docker_wire.h"

namespace {

std::vector<std::string> SplitOnNul(std::string_view input) {
  std::vector<std::string> parts(1);
  for (char c : input) {
    if (c == '\0') {
      parts.emplace_back();
    } else {
      parts.back().push_back(c);
    }
  }
  return parts;
}

bool Unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void CheckEscapes(std::string_view input) {
  for (char c : dokku::UrlEscape(input)) {
    if (!Unreserved(c) && c != '%') __builtin_trap();
  }
  for (char c : dokku::PathEscape(input)) {
    if (!Unreserved(c) && c != '%' && c != '/' && c != ':' && c != '@') __builtin_trap();
  }
}

// The fields of a create body, taken from the NUL-separated parts of the input.
void CheckCreateBody(const std::vector<std::string>& parts) {
  auto part = [&](size_t i) { return i < parts.size() ? parts[i] : std::string(); };
  dokku::ContainerSpec spec;
  spec.name = part(0);
  spec.image = part(1);
  spec.cmd = {"/bin/sh", "-c", part(2)};
  spec.env = {"PORT=5000", part(3)};
  spec.labels = {{"com.dokku.app-name", part(4)}, {part(5), "x"}};
  spec.restart_policy = part(6).empty() ? "no" : part(6);
  spec.exposed_port = 5000;
  dokku::StatusOr<std::string> body = dokku::EncodeCreateBody(spec);
  if (!body.ok()) return;
  const nlohmann::json parsed = nlohmann::json::parse(*body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) __builtin_trap();
  if (!parsed.contains("Cmd") || parsed["Cmd"] != nlohmann::json(spec.cmd)) __builtin_trap();
  if (parsed.value("Image", std::string("\x01")) != spec.image) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)dokku::DecodeContainerList(input);
  (void)dokku::DecodeContainerInfo(input);
  (void)dokku::DecodeImageInfo(input);
  (void)dokku::DecodeImageList(input);
  (void)dokku::DecodeEvent(input);
  (void)dokku::DecodeCreatedId(input);
  (void)dokku::DecodeErrorMessage(input);
  (void)dokku::ParseRestartPolicy(input);
  (void)dokku::ParseRfc3339Seconds(input);
  const std::string logs = dokku::DemultiplexLogs(input);
  if (logs.size() > input.size()) __builtin_trap();

  // Line reassembly: the same bytes in two chunks give the same lines as in one.
  std::vector<std::string> whole, split;
  dokku::LineSplitter one(64), two(64);
  one.Feed(input, [&](std::string_view l) { whole.emplace_back(l); });
  const size_t cut = size / 2;
  two.Feed(input.substr(0, cut), [&](std::string_view l) { split.emplace_back(l); });
  two.Feed(input.substr(cut), [&](std::string_view l) { split.emplace_back(l); });
  if (whole != split) __builtin_trap();
  for (const std::string& l : whole) {
    if (l.empty() || l.size() > 64 || l.find('\n') != std::string::npos) __builtin_trap();
  }

  CheckEscapes(input);
  const std::vector<std::string> parts = SplitOnNul(input);
  CheckCreateBody(parts);
  const std::string filters = dokku::EncodeFilters({{"label", parts}});
  // Invalid UTF-8 is replaced, so the filters always parse back.
  if (nlohmann::json::parse(filters, nullptr, /*allow_exceptions=*/false).is_discarded()) {
    __builtin_trap();
  }
  return 0;
}
