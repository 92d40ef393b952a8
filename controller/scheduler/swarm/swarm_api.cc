#include "controller/scheduler/swarm/swarm_api.h"

#include <fmt/format.h>

#include <cmath>
#include <exception>
#include <nlohmann/json.hpp>

#include "controller/docker/docker_client.h"
#include "controller/docker/docker_codec.h"
#include "controller/docker/docker_wire.h"
#include "controller/docker/json_read.h"

namespace dokku {
namespace {

using nlohmann::json;

constexpr char kJson[] = "application/json";

using namespace jsonread;  // Get, Path, Str, Int, Unsigned, StrList, ...

int64_t Time(const json& j, const char* key) { return ParseRfc3339Seconds(Str(j, key)); }

template <typename T>
StatusOr<T> Parse(std::string_view text, T (*decode)(const json&)) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Internal("bad JSON from docker: cannot parse");
  return decode(j);
}

template <typename T>
StatusOr<std::vector<T>> ParseList(std::string_view text, T (*decode)(const json&)) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !(j.is_array() || j.is_null())) {
    return Status::Internal("bad JSON from docker: expected a list");
  }
  std::vector<T> out;
  if (j.is_array()) {
    for (const json& item : j) out.push_back(decode(item));
  }
  return out;
}

SwarmUpdatePolicy DecodePolicy(const json& j) {
  SwarmUpdatePolicy p;
  p.parallelism = SmallInt(j, "Parallelism");
  p.order = Str(j, "Order");
  p.failure_action = Str(j, "FailureAction");
  p.monitor_ns = Int(j, "Monitor");
  p.delay_ns = Int(j, "Delay");
  return p;
}

std::vector<SwarmPort> DecodePorts(const json& ports) {
  std::vector<SwarmPort> out;
  if (!ports.is_array()) return out;
  for (const json& p : ports) {
    out.push_back({SmallInt(p, "TargetPort"), SmallInt(p, "PublishedPort"), Str(p, "PublishMode")});
  }
  return out;
}

SwarmServiceSpec DecodeSpec(const json& spec) {
  SwarmServiceSpec s;
  s.name = Str(spec, "Name");
  s.labels = StrMap(spec, "Labels");
  const json& task = Get(spec, "TaskTemplate");
  const json& container = Get(task, "ContainerSpec");
  s.image = Str(container, "Image");
  s.args = StrList(container, "Args");
  s.env = StrList(container, "Env");
  s.container_labels = StrMap(container, "Labels");
  s.init = Bool(container, "Init");
  s.stop_grace_ns = Int(container, "StopGracePeriod");
  const json& health = Get(container, "Healthcheck");
  if (health.is_object()) {
    s.healthcheck =
        SwarmHealthcheck{StrList(health, "Test"), Int(health, "Interval"), Int(health, "Timeout"),
                         Int(health, "StartPeriod"), SmallInt(health, "Retries")};
  }
  const json& mounts = Get(container, "Mounts");
  if (mounts.is_array()) {
    for (const json& m : mounts) {
      s.mounts.push_back({Str(m, "Type"), Str(m, "Source"), Str(m, "Target"), Bool(m, "ReadOnly"),
                          Str(Get(m, "BindOptions"), "Propagation"),
                          Bool(Get(m, "VolumeOptions"), "NoCopy")});
    }
  }
  s.limit_memory = Int(Path(task, {"Resources", "Limits"}), "MemoryBytes");
  s.limit_nano_cpus = Int(Path(task, {"Resources", "Limits"}), "NanoCPUs");
  s.reserve_memory = Int(Path(task, {"Resources", "Reservations"}), "MemoryBytes");
  s.restart_condition = Str(Get(task, "RestartPolicy"), "Condition");
  s.restart_max_attempts = Int(Get(task, "RestartPolicy"), "MaxAttempts");
  s.force_update = Unsigned(task, "ForceUpdate");
  s.constraints = StrList(Get(task, "Placement"), "Constraints");
  s.max_replicas_per_node = Int(Get(task, "Placement"), "MaxReplicas");
  s.replicas = SmallInt(Path(spec, {"Mode", "Replicated"}), "Replicas");
  s.update = DecodePolicy(Get(spec, "UpdateConfig"));
  s.rollback = DecodePolicy(Get(spec, "RollbackConfig"));
  s.ports = DecodePorts(Path(spec, {"EndpointSpec", "Ports"}));
  return s;
}

SwarmService DecodeServiceJson(const json& j) {
  SwarmService s;
  s.id = Str(j, "ID");
  s.version = Unsigned(Get(j, "Version"), "Index");
  s.created_at = Time(j, "CreatedAt");
  s.updated_at = Time(j, "UpdatedAt");
  s.spec = DecodeSpec(Get(j, "Spec"));
  s.endpoint_ports = DecodePorts(Path(j, {"Endpoint", "Ports"}));
  s.update_status = {Str(Get(j, "UpdateStatus"), "State"), Str(Get(j, "UpdateStatus"), "Message")};
  return s;
}

// "10.0.0.5/24" -> "10.0.0.5".
std::string FirstAddress(const json& attachments) {
  if (!attachments.is_array()) return "";
  for (const json& a : attachments) {
    for (const std::string& address : StrList(a, "Addresses")) {
      if (!address.empty()) return address.substr(0, address.find('/'));
    }
  }
  return "";
}

SwarmTask DecodeTaskJson(const json& j) {
  SwarmTask t;
  t.id = Str(j, "ID");
  t.service_id = Str(j, "ServiceID");
  t.node_id = Str(j, "NodeID");
  t.slot = SmallInt(j, "Slot");
  t.desired_state = Str(j, "DesiredState");
  const json& status = Get(j, "Status");
  t.state = Str(status, "State");
  t.message = Str(status, "Message");
  t.error = Str(status, "Err");
  t.status_at = Time(status, "Timestamp");
  t.container_id = Str(Get(status, "ContainerStatus"), "ContainerID");
  t.exit_code = SmallInt(Get(status, "ContainerStatus"), "ExitCode");
  for (const SwarmPort& p : DecodePorts(Path(status, {"PortStatus", "Ports"}))) {
    if (p.published_port > 0) t.host_ports.push_back(p.published_port);
  }
  t.ip = FirstAddress(Get(j, "NetworksAttachments"));
  t.created_at = Time(j, "CreatedAt");
  t.updated_at = Time(j, "UpdatedAt");
  const json& container = Path(j, {"Spec", "ContainerSpec"});
  t.image = Str(container, "Image");
  t.container_labels = StrMap(container, "Labels");
  t.force_update = Unsigned(Get(j, "Spec"), "ForceUpdate");
  return t;
}

SwarmNode DecodeNodeJson(const json& j) {
  SwarmNode n;
  n.id = Str(j, "ID");
  n.hostname = Str(Get(j, "Description"), "Hostname");
  n.addr = Str(Get(j, "Status"), "Addr");
  n.state = Str(Get(j, "Status"), "State");
  n.role = Str(Get(j, "Spec"), "Role");
  n.availability = Str(Get(j, "Spec"), "Availability");
  return n;
}

SwarmInfo DecodeInfoJson(const json& j) {
  const json& swarm = Get(j, "Swarm");
  return {Str(swarm, "NodeID"), Str(swarm, "NodeAddr"), Str(swarm, "LocalNodeState"),
          Bool(swarm, "ControlAvailable"), Str(swarm, "Error")};
}

// ---- Writing.

json PolicyJson(const SwarmUpdatePolicy& p) {
  return {
      {"Parallelism", p.parallelism}, {"Order", p.order},    {"FailureAction", p.failure_action},
      {"Monitor", p.monitor_ns},      {"Delay", p.delay_ns}, {"MaxFailureRatio", 0}};
}

json TaskTemplateJson(const SwarmServiceSpec& s) {
  json container = {{"Image", s.image},
                    {"Env", s.env},
                    {"Labels", s.container_labels},
                    {"Init", s.init},
                    {"StopGracePeriod", s.stop_grace_ns}};
  if (!s.args.empty()) container["Args"] = s.args;
  if (s.healthcheck) {
    container["Healthcheck"] = {{"Test", s.healthcheck->test},
                                {"Interval", s.healthcheck->interval_ns},
                                {"Timeout", s.healthcheck->timeout_ns},
                                {"StartPeriod", s.healthcheck->start_period_ns},
                                {"Retries", s.healthcheck->retries}};
  }
  for (const ContainerMount& m : s.mounts) {
    json j = {
        {"Type", m.type}, {"Source", m.source}, {"Target", m.target}, {"ReadOnly", m.read_only}};
    if (!m.propagation.empty()) j["BindOptions"] = {{"Propagation", m.propagation}};
    if (m.no_copy) j["VolumeOptions"] = {{"NoCopy", true}};
    container["Mounts"].push_back(std::move(j));
  }
  json task = {{"ContainerSpec", container},
               {"RestartPolicy",
                {{"Condition", s.restart_condition}, {"MaxAttempts", s.restart_max_attempts}}},
               {"ForceUpdate", s.force_update}};
  if (s.limit_memory != 0) task["Resources"]["Limits"]["MemoryBytes"] = s.limit_memory;
  if (s.limit_nano_cpus != 0) task["Resources"]["Limits"]["NanoCPUs"] = s.limit_nano_cpus;
  if (s.reserve_memory != 0) task["Resources"]["Reservations"]["MemoryBytes"] = s.reserve_memory;
  if (!s.constraints.empty()) task["Placement"]["Constraints"] = s.constraints;
  if (s.max_replicas_per_node > 0) task["Placement"]["MaxReplicas"] = s.max_replicas_per_node;
  return task;
}

// dump() throws on invalid UTF-8; a spec we cannot encode is the caller's bad input.
StatusOr<std::string> Dump(const json& j) {
  try {
    return j.dump();
  } catch (const std::exception& e) {
    return Status::InvalidArgument(fmt::format("cannot encode service spec: {}", e.what()));
  }
}

}  // namespace

StatusOr<std::string> EncodeTaskTemplate(const SwarmServiceSpec& spec) {
  return Dump(TaskTemplateJson(spec));
}

StatusOr<std::string> EncodeServiceSpec(const SwarmServiceSpec& spec) {
  json ports = json::array();
  for (const SwarmPort& p : spec.ports) {
    json port = {
        {"Protocol", "tcp"}, {"TargetPort", p.target_port}, {"PublishMode", p.publish_mode}};
    if (p.published_port > 0) port["PublishedPort"] = p.published_port;
    ports.push_back(std::move(port));
  }
  return Dump({{"Name", spec.name},
               {"Labels", spec.labels},
               {"TaskTemplate", TaskTemplateJson(spec)},
               {"Mode", {{"Replicated", {{"Replicas", spec.replicas}}}}},
               {"UpdateConfig", PolicyJson(spec.update)},
               {"RollbackConfig", PolicyJson(spec.rollback)},
               {"EndpointSpec", {{"Mode", "vip"}, {"Ports", ports}}}});
}

StatusOr<SwarmInfo> DecodeSwarmInfo(std::string_view text) { return Parse(text, &DecodeInfoJson); }

StatusOr<SwarmService> DecodeService(std::string_view text) {
  return Parse(text, &DecodeServiceJson);
}

StatusOr<std::vector<SwarmService>> DecodeServiceList(std::string_view text) {
  return ParseList(text, &DecodeServiceJson);
}

StatusOr<std::vector<SwarmTask>> DecodeTaskList(std::string_view text) {
  return ParseList(text, &DecodeTaskJson);
}

StatusOr<std::vector<SwarmNode>> DecodeNodeList(std::string_view text) {
  return ParseList(text, &DecodeNodeJson);
}

StatusOr<int> DecodeIpv4HostPort(std::string_view text, int container_port) {
  json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Internal("bad JSON from docker: cannot parse");
  const json& bindings =
      Get(Path(j, {"NetworkSettings", "Ports"}), fmt::format("{}/tcp", container_port).c_str());
  if (!bindings.is_array()) return 0;
  for (const json& b : bindings) {
    const std::string host_ip = Str(b, "HostIp");
    if (host_ip.find(':') != std::string::npos) continue;  // the IPv6 binding
    const int64_t port = Int(b, "HostPort");
    if (port > 0 && port < 65536) return static_cast<int>(port);
  }
  return 0;
}

// ---- SwarmClient

StatusOr<std::string> SwarmClient::Call(const std::string& method,
                                        const std::string& path_and_query, std::string_view what,
                                        const std::string& json_body) {
  StatusOr<HttpResponse> response =
      transport_->Request(method, kDockerApiBase + path_and_query, json_body,
                          json_body.empty() ? "" : kJson, kDefaultRequestTimeout);
  if (!response.ok()) return response.status();
  Status status = StatusFromHttp(*response, what);
  if (status.ok()) return std::move(response->body);
  const std::string& message = status.message();
  if (response->status == 503 && message.find("not a swarm manager") != std::string::npos) {
    return Status::FailedPrecondition(message);
  }
  if (message.find("update out of sequence") != std::string::npos) {
    return Status::Conflict(message);
  }
  return status;
}

StatusOr<SwarmInfo> SwarmClient::Info() {
  StatusOr<std::string> body = Call("GET", "/info", "info");
  if (!body.ok()) return body.status();
  return DecodeSwarmInfo(*body);
}

StatusOr<std::string> SwarmClient::CreateService(const SwarmServiceSpec& spec) {
  StatusOr<std::string> request = EncodeServiceSpec(spec);
  if (!request.ok()) return request.status();
  StatusOr<std::string> body =
      Call("POST", "/services/create", "create service " + spec.name, *request);
  if (!body.ok()) return body.status();
  json j = json::parse(body->begin(), body->end(), nullptr, /*allow_exceptions=*/false);
  std::string id = Str(j, "ID");
  if (id.empty()) return Status::Internal("bad JSON from docker: no service ID in " + *body);
  return id;
}

Status SwarmClient::UpdateService(const std::string& id, uint64_t version,
                                  const SwarmServiceSpec& spec) {
  StatusOr<std::string> request = EncodeServiceSpec(spec);
  if (!request.ok()) return request.status();
  return Call("POST", fmt::format("/services/{}/update?version={}", PathEscape(id), version),
              "update service " + spec.name, *request)
      .status();
}

StatusOr<SwarmService> SwarmClient::InspectService(const std::string& id_or_name) {
  StatusOr<std::string> body =
      Call("GET", "/services/" + PathEscape(id_or_name), "inspect service " + id_or_name);
  if (!body.ok()) return body.status();
  return DecodeService(*body);
}

StatusOr<std::vector<SwarmService>> SwarmClient::ListServices(
    const std::vector<std::string>& labels) {
  std::string query = "/services";
  if (!labels.empty()) query += "?filters=" + UrlEscape(EncodeFilters({{"label", labels}}));
  StatusOr<std::string> body = Call("GET", query, "list services");
  if (!body.ok()) return body.status();
  return DecodeServiceList(*body);
}

Status SwarmClient::RemoveService(const std::string& id) {
  Status status = Call("DELETE", "/services/" + PathEscape(id), "remove service " + id).status();
  return status.IsNotFound() ? Status::Ok() : status;
}

StatusOr<std::vector<SwarmTask>> SwarmClient::ListTasks(const std::string& service_id) {
  StatusOr<std::string> body =
      Call("GET", "/tasks?filters=" + UrlEscape(EncodeFilters({{"service", {service_id}}})),
           "list tasks of " + service_id);
  if (!body.ok()) return body.status();
  return DecodeTaskList(*body);
}

StatusOr<std::vector<SwarmNode>> SwarmClient::ListNodes() {
  StatusOr<std::string> body = Call("GET", "/nodes", "list nodes");
  if (!body.ok()) return body.status();
  return DecodeNodeList(*body);
}

StatusOr<int> SwarmClient::LocalHostPort(const std::string& container_id, int container_port) {
  StatusOr<std::string> body =
      Call("GET", fmt::format("/containers/{}/json", PathEscape(container_id)),
           "inspect " + container_id);
  if (!body.ok()) return body.status();
  return DecodeIpv4HostPort(*body, container_port);
}

}  // namespace dokku
