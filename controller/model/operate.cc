#include "controller/model/operate.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace dokku {

int LogColour(size_t container_index) {
  static constexpr int kColours[] = {36, 33, 32, 35, 31};
  return kColours[container_index % 5];
}

// The timestamp is everything up to the first space, if it looks like one ("2024-...Z").
static size_t TimestampEnd(std::string_view line) {
  size_t space = line.find(' ');
  if (space == std::string_view::npos || space < 20 || line[4] != '-' || line[10] != 'T')
    return std::string_view::npos;
  return space;
}

std::string FormatLogLine(std::string_view line, std::string_view dyno, int colour, bool quiet) {
  size_t end = TimestampEnd(line);
  if (end == std::string_view::npos) return std::string(line);
  if (quiet) return std::string(line.substr(end + 1));
  return fmt::format("\x1b[{}m{} app[{}]:\x1b[0m {}", colour, line.substr(0, end), dyno,
                     line.substr(end + 1));
}

std::string TimestampKey(std::string_view line) {
  size_t end = TimestampEnd(line);
  if (end == std::string_view::npos) return "";
  std::string_view ts = line.substr(0, end);
  // "2024-05-01T10:00:00.123Z" -> "2024-05-01T10:00:00.123000000"; Docker's UTC ends in Z.
  std::string key(ts.substr(0, 19));
  std::string fraction;
  if (ts.size() > 20 && ts[19] == '.') {
    for (size_t i = 20; i < ts.size() && std::isdigit(static_cast<unsigned char>(ts[i])); ++i)
      fraction.push_back(ts[i]);
  }
  fraction.resize(9, '0');
  return key + "." + fraction;
}

std::vector<TaggedLine> MergeByTimestamp(
    const std::vector<std::vector<std::string>>& per_container) {
  struct Keyed {
    std::string key;
    TaggedLine line;
  };
  std::vector<Keyed> all;
  for (size_t c = 0; c < per_container.size(); ++c) {
    for (const std::string& line : per_container[c]) all.push_back({TimestampKey(line), {c, line}});
  }
  // Stable: lines of one container keep their order, equal times keep the containers' order.
  std::stable_sort(all.begin(), all.end(),
                   [](const Keyed& a, const Keyed& b) { return a.key < b.key; });
  std::vector<TaggedLine> out;
  out.reserve(all.size());
  for (Keyed& k : all) out.push_back(std::move(k.line));
  return out;
}

static std::string TypesLine(const std::vector<EnterCandidate>& candidates,
                             const std::string& app) {
  std::vector<std::string> types;
  for (const EnterCandidate& c : candidates) {
    if (std::find(types.begin(), types.end(), c.proctype) == types.end())
      types.push_back(c.proctype);
  }
  return fmt::format("Available types for app ({}): {}", app, fmt::join(types, " "));
}

static StatusOr<EnterCandidate> Running(const EnterCandidate& c) {
  if (!c.running) return Status::InvalidArgument("Container is not running");
  return c;
}

StatusOr<EnterCandidate> PickEnterTarget(const std::vector<EnterCandidate>& candidates,
                                         const std::string& app, const std::string& target,
                                         const std::string& container_id) {
  if (candidates.empty()) return Status::InvalidArgument("No containers found for app");
  if (!container_id.empty()) {
    for (const EnterCandidate& c : candidates) {
      if (c.id.rfind(container_id, 0) == 0) return Running(c);
    }
    std::vector<std::string> ids;
    for (const EnterCandidate& c : candidates) ids.push_back(c.id);
    return Status::InvalidArgument(
        fmt::format("Invalid container id for app: {}\nAvailable ids for app ({}): {}",
                    container_id, app, fmt::join(ids, " ")));
  }
  std::string type = target;
  int index = 0;
  if (size_t dot = target.find('.'); dot != std::string::npos) {
    type = target.substr(0, dot);
    index = std::atoi(target.c_str() + dot + 1);
  }
  if (type.empty()) {
    const std::string& first = candidates.front().proctype;
    bool one_type = std::all_of(candidates.begin(), candidates.end(),
                                [&](const EnterCandidate& c) { return c.proctype == first; });
    if (!one_type)
      return Status::InvalidArgument("No container type specified.\n" + TypesLine(candidates, app));
    type = first;
  }
  for (const EnterCandidate& c : candidates) {
    if (c.proctype == type && (index == 0 || c.index == index)) return Running(c);
  }
  return Status::InvalidArgument(fmt::format("No containers found for type '{}'\n{}",
                                             target.empty() ? type : target,
                                             TypesLine(candidates, app)));
}

static bool KeptEnv(std::string_view entry) {
  static constexpr std::string_view kKept[] = {
      "CACHE_PATH=", "DOCKER_", "DOKKU_", "DYNO=", "PATH=", "PORT=", "USER="};
  return std::any_of(std::begin(kKept), std::end(kKept),
                     [&](std::string_view p) { return entry.starts_with(p); });
}

StatusOr<std::string> SanitizeInspect(const std::string& containers) {
  nlohmann::json list = nlohmann::json::parse(containers, nullptr, /*allow_exceptions=*/false);
  if (!list.is_array()) return Status::InvalidArgument("inspect: not a JSON array");
  for (nlohmann::json& c : list) {
    if (!c.is_object() || !c.contains("Config") || !c["Config"].is_object()) continue;
    nlohmann::json& env = c["Config"]["Env"];
    if (!env.is_array()) continue;
    for (nlohmann::json& e : env) {
      if (!e.is_string()) continue;
      std::string entry = e.get<std::string>();
      if (KeptEnv(entry)) continue;
      e = entry.substr(0, entry.find('=')) + "=XXXXXX";
    }
  }
  try {
    return list.dump(4, ' ', /*ensure_ascii=*/true) + "\n";
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("inspect: ") + e.what());
  }
}

std::string QuotedCommand(const std::string& path, const std::vector<std::string>& args) {
  std::string text = path;
  for (const std::string& a : args) {
    text.push_back(' ');
    text += a;
  }
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace dokku
