#include "controller/docker/docker_codec.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>

#include "controller/docker/docker_wire.h"
#include "controller/docker/json_read.h"
#include "store/parse_int.h"

namespace dokku {
namespace {

using nlohmann::json;

using namespace jsonread;  // Get, Str, Int, StrList, ...

std::string StripSlash(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

Status BadJson(const std::exception& e) {
  return Status::Internal(std::string("bad JSON from docker: ") + e.what());
}

// Parses `text` and runs `decode` on it, turning every exception into a Status at this edge.
template <typename T, typename F>
StatusOr<T> Decode(std::string_view text, F decode) {
  try {
    return decode(json::parse(text.begin(), text.end()));
  } catch (const std::exception& e) {
    return BadJson(e);
  }
}

Status NotA(const char* what) {
  return Status::Internal(fmt::format("bad JSON from docker: expected {}", what));
}

ContainerSummary SummaryFrom(const json& item) {
  ContainerSummary c;
  c.id = Str(item, "Id");
  // Names also lists link aliases ("/other/alias"); the container's own name has no inner '/'.
  for (const std::string& name : StrList(item, "Names")) {
    std::string bare = StripSlash(name);
    if (c.name.empty() || bare.find('/') == std::string::npos) c.name = std::move(bare);
    if (c.name.find('/') == std::string::npos) break;
  }
  c.image_id = Str(item, "ImageID");
  c.state = Str(item, "State");
  c.created = Int(item, "Created");
  c.labels = StrMap(item, "Labels");
  return c;
}

std::string FirstIp(const json& network_settings) {
  const json& networks = Get(network_settings, "Networks");
  if (networks.is_object()) {
    for (const json& net : networks) {
      std::string ip = Str(net, "IPAddress");
      if (!ip.empty()) return ip;
    }
  }
  return Str(network_settings, "IPAddress");
}

int FirstHostPort(const json& network_settings) {
  const json& ports = Get(network_settings, "Ports");
  if (!ports.is_object()) return 0;
  for (const json& bindings : ports) {
    if (!bindings.is_array()) continue;
    for (const json& binding : bindings) {
      const int64_t port = Int(binding, "HostPort");
      if (port > 0 && port <= 65535) return static_cast<int>(port);
    }
  }
  return 0;
}

ImageInfo ImageFrom(const json& j) {
  ImageInfo image;
  image.id = Str(j, "Id");
  image.repo_tags = StrList(j, "RepoTags");
  const json& config = Get(j, "Config");
  image.cmd = StrList(config, "Cmd");
  image.entrypoint = StrList(config, "Entrypoint");
  image.working_dir = Str(config, "WorkingDir");
  const json& exposed = Get(config, "ExposedPorts");
  if (exposed.is_object()) {
    for (const auto& [port, ignored] : exposed.items()) image.exposed_ports.push_back(port);
  }
  const json& created = Get(j, "Created");  // RFC 3339 in inspect, unix seconds in lists
  image.created =
      created.is_string() ? ParseRfc3339Seconds(created.get<std::string>()) : AsInt(created);
  image.size = Int(j, "Size");
  return image;
}

}  // namespace

StatusOr<std::vector<ContainerSummary>> DecodeContainerList(std::string_view text) {
  return Decode<std::vector<ContainerSummary>>(
      text, [](const json& j) -> StatusOr<std::vector<ContainerSummary>> {
        if (!j.is_array() && !j.is_null()) return NotA("a container list");
        std::vector<ContainerSummary> out;
        for (const json& item : j) {
          if (item.is_object()) out.push_back(SummaryFrom(item));
        }
        return out;
      });
}

StatusOr<ContainerInfo> DecodeContainerInfo(std::string_view text) {
  return Decode<ContainerInfo>(text, [](const json& j) -> StatusOr<ContainerInfo> {
    if (!j.is_object()) return NotA("a container");
    ContainerInfo c;
    c.id = Str(j, "Id");
    c.name = StripSlash(Str(j, "Name"));
    c.image_id = Str(j, "Image");
    const json& state = Get(j, "State");
    c.state = Str(state, "Status");
    c.running = Bool(state, "Running");
    c.exit_code = SmallInt(state, "ExitCode");
    c.started_at = Str(state, "StartedAt");
    c.finished_at = Str(state, "FinishedAt");
    c.restart_count = SmallInt(j, "RestartCount");
    const json& network_settings = Get(j, "NetworkSettings");
    c.ip = FirstIp(network_settings);
    c.host_port = FirstHostPort(network_settings);
    c.labels = StrMap(Get(j, "Config"), "Labels");
    return c;
  });
}

StatusOr<ImageInfo> DecodeImageInfo(std::string_view text) {
  return Decode<ImageInfo>(text, [](const json& j) -> StatusOr<ImageInfo> {
    if (!j.is_object()) return NotA("an image");
    return ImageFrom(j);
  });
}

StatusOr<std::vector<ImageInfo>> DecodeImageList(std::string_view text) {
  return Decode<std::vector<ImageInfo>>(text,
                                        [](const json& j) -> StatusOr<std::vector<ImageInfo>> {
                                          if (!j.is_array() && !j.is_null())
                                            return NotA("an image list");
                                          std::vector<ImageInfo> out;
                                          for (const json& item : j) {
                                            if (item.is_object()) out.push_back(ImageFrom(item));
                                          }
                                          return out;
                                        });
}

StatusOr<DockerEvent> DecodeEvent(std::string_view line) {
  return Decode<DockerEvent>(line, [](const json& j) -> StatusOr<DockerEvent> {
    if (!j.is_object()) return NotA("an event");
    DockerEvent e;
    const json& actor = Get(j, "Actor");
    e.type = Str(j, "Type");
    // Pre-1.22 field names are still sent; use them when the new ones are missing.
    e.action = Str(j, "Action");
    if (e.action.empty()) e.action = Str(j, "status");
    e.id = Str(actor, "ID");
    if (e.id.empty()) e.id = Str(j, "id");
    e.attributes = StrMap(actor, "Attributes");
    e.time_nano = Int(j, "timeNano");
    if (e.time_nano == 0) {
      const int64_t seconds = Int(j, "time");
      if (seconds > 0 && seconds < INT64_MAX / 1'000'000'000) e.time_nano = seconds * 1'000'000'000;
    }
    return e;
  });
}

StatusOr<std::string> DecodeCreatedId(std::string_view text) {
  return Decode<std::string>(text, [](const json& j) -> StatusOr<std::string> {
    std::string id = Str(j, "Id");
    if (id.empty()) return NotA("an object with an Id");
    return id;
  });
}

StatusOr<int> DecodeWaitStatus(std::string_view text) {
  return Decode<int>(text, [](const json& j) -> StatusOr<int> {
    if (!j.is_object() || !j.contains("StatusCode")) return NotA("an object with a StatusCode");
    return SmallInt(j, "StatusCode");
  });
}

StatusOr<int> DecodeExecExitCode(std::string_view text) {
  return Decode<int>(text, [](const json& j) -> StatusOr<int> {
    if (!j.is_object() || !j.contains("ExitCode") || !j["ExitCode"].is_number_integer())
      return NotA("an exec that has exited");
    if (j.value("Running", false)) return NotA("an exec that has exited");
    return SmallInt(j, "ExitCode");
  });
}

StatusOr<PushResult> DecodePushStream(std::string_view body) {
  PushResult result;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view line = body.substr(start, end - start);
    start = end + 1;
    json j = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
    if (!j.is_object()) continue;  // blank or torn line
    if (std::string error = Str(j, "error"); !error.empty()) {
      return Status::FailedPrecondition(error);
    }
    if (j.contains("aux") && j["aux"].is_object()) {
      if (std::string digest = Str(j["aux"], "Digest"); !digest.empty()) result.digest = digest;
      continue;
    }
    // Progress bars ("Pushing", "Preparing", "Waiting") are noise in a log; results are not.
    const std::string status = Str(j, "status"), id = Str(j, "id");
    if (status == "Pushed" || status == "Layer already exists" || status.starts_with("Mounted") ||
        status.find("digest: ") != std::string::npos) {
      result.progress.push_back(id.empty() ? status : fmt::format("{}: {}", id, status));
    }
  }
  if (!result.digest.starts_with("sha256:")) {
    return Status::FailedPrecondition("the push ended without a manifest digest");
  }
  return result;
}

std::string DecodeErrorMessage(std::string_view body) {
  json j = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  std::string message = Str(j, "message");
  if (message.empty()) message = std::string(body);
  while (!message.empty() && std::isspace(static_cast<unsigned char>(message.back()))) {
    message.pop_back();
  }
  return message;
}

StatusOr<RestartPolicy> ParseRestartPolicy(std::string_view policy) {
  if (policy.empty() || policy == "no") return RestartPolicy{"no", 0};
  if (policy == "always" || policy == "unless-stopped")
    return RestartPolicy{std::string(policy), 0};
  constexpr std::string_view kOnFailure = "on-failure";
  if (policy.starts_with(kOnFailure)) {
    std::string_view rest = policy.substr(kOnFailure.size());
    if (rest.empty()) return RestartPolicy{"on-failure", 0};
    if (rest[0] == ':') {
      std::optional<int64_t> retries = ParseInt(rest.substr(1), 0, std::numeric_limits<int>::max());
      if (retries) return RestartPolicy{"on-failure", static_cast<int>(*retries)};
    }
  }
  return Status::InvalidArgument(fmt::format("invalid restart policy: {}", policy));
}

namespace {

json PolicyJson(const RestartPolicy& p) {
  return {{"Name", p.name}, {"MaximumRetryCount", p.max_retries}};
}

// dump() throws on invalid UTF-8; a body we cannot encode is the caller's bad input.
StatusOr<std::string> Dump(const json& j) {
  try {
    return j.dump();
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("cannot encode request: ") + e.what());
  }
}

}  // namespace

// HostConfig.Mounts, the resource fields and the docker-options fields that are set.
static void EncodeHostResources(const ContainerSpec& spec, json& host_config) {
  if (!spec.mounts.empty()) {
    json mounts = json::array();
    for (const ContainerMount& m : spec.mounts) {
      json j = {
          {"Type", m.type}, {"Source", m.source}, {"Target", m.target}, {"ReadOnly", m.read_only}};
      if (!m.propagation.empty()) j["BindOptions"] = {{"Propagation", m.propagation}};
      if (m.no_copy) j["VolumeOptions"] = {{"NoCopy", true}};
      mounts.push_back(std::move(j));
    }
    host_config["Mounts"] = std::move(mounts);
  }
  if (spec.memory != 0) host_config["Memory"] = spec.memory;
  if (spec.memory_swap != 0) host_config["MemorySwap"] = spec.memory_swap;
  if (spec.memory_reservation != 0) host_config["MemoryReservation"] = spec.memory_reservation;
  if (spec.nano_cpus != 0) host_config["NanoCpus"] = spec.nano_cpus;
  if (!spec.binds.empty()) host_config["Binds"] = spec.binds;
  if (!spec.network_mode.empty()) host_config["NetworkMode"] = spec.network_mode;
  if (!spec.extra_hosts.empty()) host_config["ExtraHosts"] = spec.extra_hosts;
  for (const ContainerSpec::Ulimit& u : spec.ulimits) {
    host_config["Ulimits"].push_back({{"Name", u.name}, {"Soft", u.soft}, {"Hard", u.hard}});
  }
  if (spec.shm_size != 0) host_config["ShmSize"] = spec.shm_size;
  if (!spec.cap_add.empty()) host_config["CapAdd"] = spec.cap_add;
  if (!spec.cap_drop.empty()) host_config["CapDrop"] = spec.cap_drop;
  if (spec.gpus != 0) {
    host_config["DeviceRequests"] =
        json::array({{{"Driver", "nvidia"}, {"Count", spec.gpus}, {"Capabilities", {{"gpu"}}}}});
  }
}

StatusOr<std::string> EncodeCreateBody(const ContainerSpec& spec) {
  StatusOr<RestartPolicy> policy = ParseRestartPolicy(spec.restart_policy);
  if (!policy.ok()) return policy.status();
  if (spec.exposed_port < 0 || spec.exposed_port > 65535) {
    return Status::InvalidArgument(fmt::format("invalid port {}", spec.exposed_port));
  }
  json body = {{"Image", spec.image},
               {"Env", spec.env},
               {"Labels", json::object()},
               {"StopTimeout", spec.stop_timeout}};
  if (!spec.cmd.empty()) body["Cmd"] = spec.cmd;
  if (spec.tty) body["Tty"] = true;
  if (spec.open_stdin) {
    body["OpenStdin"] = true;
    body["StdinOnce"] = true;
    body["AttachStdin"] = true;
    body["AttachStdout"] = true;
    body["AttachStderr"] = true;
  }
  for (const auto& [key, value] : spec.labels) body["Labels"][key] = value;
  json host_config = {{"RestartPolicy", PolicyJson(*policy)}, {"Init", spec.init}};
  if (spec.exposed_port > 0) {
    const std::string port = fmt::format("{}/tcp", spec.exposed_port);
    body["ExposedPorts"] = {{port, json::object()}};
    if (spec.publish_port) {
      // An empty HostPort asks Docker for an ephemeral port; loopback keeps it off the network.
      host_config["PortBindings"] = {
          {port, json::array({{{"HostIp", "127.0.0.1"}, {"HostPort", ""}}})}};
    }
  }
  if (spec.auto_remove) host_config["AutoRemove"] = true;
  EncodeHostResources(spec, host_config);
  body["HostConfig"] = std::move(host_config);
  return Dump(body);
}

StatusOr<std::string> EncodeRestartPolicyUpdate(std::string_view policy) {
  StatusOr<RestartPolicy> parsed = ParseRestartPolicy(policy);
  if (!parsed.ok()) return parsed.status();
  return Dump(json{{"RestartPolicy", PolicyJson(*parsed)}});
}

StatusOr<std::string> EncodeExecCreate(const std::vector<std::string>& cmd, bool tty,
                                       bool attach_stdin) {
  return Dump(json{{"AttachStdin", attach_stdin},
                   {"AttachStdout", true},
                   {"AttachStderr", true},
                   {"Tty", tty},
                   {"Cmd", cmd}});
}

std::string EncodeFilters(const std::map<std::string, std::vector<std::string>>& filters) {
  json j = json::object();
  for (const auto& [key, values] : filters) j[key] = values;
  // Invalid UTF-8 is replaced: such a filter simply matches nothing.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}
}  // namespace dokku
