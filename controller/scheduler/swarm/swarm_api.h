// SwarmApi: the slice of the Docker Engine API (v1.41) that the docker-swarm scheduler uses
// (services, tasks, nodes, swarm state). SwarmClient implements it over an HttpTransport;
// tests/testing/fake_swarm.h keeps services in memory. Errors as in docker_api.h, plus
// FailedPrecondition.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/docker/docker_api.h"
#include "controller/http/http_transport.h"
#include "store/status.h"

namespace dokku {

// GET /info → Swarm.
struct SwarmInfo {
  std::string node_id;
  std::string node_addr;
  std::string local_node_state;    // inactive | pending | active | error | locked
  bool control_available = false;  // this node is a manager
  std::string error;
};

struct SwarmHealthcheck {
  std::vector<std::string> test;  // e.g. {"CMD-SHELL", "<shell command>"}
  int64_t interval_ns = 0;
  int64_t timeout_ns = 0;
  int64_t start_period_ns = 0;
  int retries = 0;
  bool operator==(const SwarmHealthcheck&) const = default;
};

// UpdateConfig / RollbackConfig.
struct SwarmUpdatePolicy {
  int parallelism = 1;
  std::string order = "start-first";     // start-first | stop-first
  std::string failure_action = "pause";  // pause | continue | rollback
  int64_t monitor_ns = 0;
  int64_t delay_ns = 0;
  bool operator==(const SwarmUpdatePolicy&) const = default;
};

struct SwarmPort {
  int target_port = 0;
  int published_port = 0;                // 0: Swarm picks one (ingress) / an ephemeral one (host)
  std::string publish_mode = "ingress";  // ingress | host
  bool operator==(const SwarmPort&) const = default;
};

// A replicated service's spec (POST /services/create body), reduced to what dokkud sets.
struct SwarmServiceSpec {
  std::string name;
  std::map<std::string, std::string> labels;  // the service's own labels
  // TaskTemplate.ContainerSpec
  std::string image;
  std::vector<std::string> args;  // overrides the image's CMD (keeps its ENTRYPOINT); empty: CMD
  std::vector<std::string> env;   // KEY=VALUE; Swarm expands {{.Task.Slot}} templates
  std::map<std::string, std::string> container_labels;
  bool init = true;
  int64_t stop_grace_ns = 0;
  std::optional<SwarmHealthcheck> healthcheck;  // nullopt: the image's own
  std::vector<ContainerMount> mounts;           // storage:mount (the source must exist on the node)
  // TaskTemplate.Resources (resource:limit / reserve); 0 leaves each unset.
  int64_t limit_memory = 0;
  int64_t limit_nano_cpus = 0;
  int64_t reserve_memory = 0;
  // TaskTemplate
  std::string restart_condition = "any";      // none | on-failure | any
  int64_t restart_max_attempts = 0;           // 0: unlimited
  uint64_t force_update = 0;                  // changing it alone restarts every task
  std::vector<std::string> constraints = {};  // Placement.Constraints
  int64_t max_replicas_per_node = 0;          // Placement.MaxReplicas (0: none)
  // Service
  int replicas = 0;
  SwarmUpdatePolicy update;
  SwarmUpdatePolicy rollback;
  std::vector<SwarmPort> ports;  // EndpointSpec.Ports
  bool operator==(const SwarmServiceSpec&) const = default;
};

struct SwarmUpdateStatus {
  // "" (none yet or reset by a scale-only update) | updating | paused | completed |
  // rollback_started | rollback_paused | rollback_completed
  std::string state;
  std::string message;
};

// GET /services/{id}.
struct SwarmService {
  std::string id;
  uint64_t version = 0;    // Version.Index: UpdateService must send the one it read
  int64_t created_at = 0;  // unix seconds
  int64_t updated_at = 0;
  SwarmServiceSpec spec;
  std::vector<SwarmPort> endpoint_ports;  // Endpoint.Ports: published ports as assigned
  SwarmUpdateStatus update_status;
};

// One entry of GET /tasks.
struct SwarmTask {
  std::string id;
  std::string service_id;
  std::string node_id;
  int slot = 0;
  std::string desired_state;  // running | shutdown | remove | ...
  std::string state;    // new .. starting | running | complete | failed | shutdown | rejected ...
  std::string message;  // Status.Message ("started", "starting", ...)
  std::string error;    // Status.Err
  std::string container_id;  // empty until the node created the container
  int exit_code = 0;
  std::string ip;               // first address of NetworksAttachments, without the prefix length
  std::vector<int> host_ports;  // Status.PortStatus (host-mode publishing), in Swarm's order
  int64_t created_at = 0;       // unix seconds
  int64_t updated_at = 0;
  int64_t status_at = 0;  // Status.Timestamp: when it entered `state`
  std::string image;
  std::map<std::string, std::string> container_labels;  // Spec.ContainerSpec.Labels
  uint64_t force_update = 0;
};

// One entry of GET /nodes.
struct SwarmNode {
  std::string id;
  std::string hostname;
  std::string addr;          // Status.Addr
  std::string state;         // ready | down | unknown | disconnected
  std::string role;          // manager | worker
  std::string availability;  // active | pause | drain
};

class SwarmApi {
 public:
  virtual ~SwarmApi() = default;

  // The engine's swarm membership (works on any engine, in a swarm or not).
  virtual StatusOr<SwarmInfo> Info() = 0;
  // Returns the new service id. Conflict when the name is taken.
  virtual StatusOr<std::string> CreateService(const SwarmServiceSpec& spec) = 0;
  // Replaces the spec. Conflict when `version` is stale (someone else updated it meanwhile).
  virtual Status UpdateService(const std::string& id, uint64_t version,
                               const SwarmServiceSpec& spec) = 0;
  // By id or exact name.
  virtual StatusOr<SwarmService> InspectService(const std::string& id_or_name) = 0;
  // Services carrying every label in `labels` ("k=v" or bare "k").
  virtual StatusOr<std::vector<SwarmService>> ListServices(
      const std::vector<std::string>& labels) = 0;
  // Removing a missing service is OK.
  virtual Status RemoveService(const std::string& id) = 0;
  // Every task Swarm still remembers for the service (current ones and recent history).
  virtual StatusOr<std::vector<SwarmTask>> ListTasks(const std::string& service_id) = 0;
  virtual StatusOr<std::vector<SwarmNode>> ListNodes() = 0;
  // The IPv4 host port published for <container_port>/tcp of a container on THIS engine (Swarm's
  // PortStatus does not say which of its ports is the IPv4 one); 0 when none. NotFound if gone.
  virtual StatusOr<int> LocalHostPort(const std::string& container_id, int container_port) = 0;
};

// ---- Wire format (pure; exposed for tests). Malformed JSON is Internal; missing fields read
// as empty. Encoding fails with InvalidArgument on strings that are not valid UTF-8.
StatusOr<std::string> EncodeServiceSpec(const SwarmServiceSpec& spec);
// Only the TaskTemplate object, in the same canonical form (keys sorted): what a task runs.
StatusOr<std::string> EncodeTaskTemplate(const SwarmServiceSpec& spec);
StatusOr<SwarmInfo> DecodeSwarmInfo(std::string_view json);
StatusOr<SwarmService> DecodeService(std::string_view json);
StatusOr<std::vector<SwarmService>> DecodeServiceList(std::string_view json);
StatusOr<std::vector<SwarmTask>> DecodeTaskList(std::string_view json);
StatusOr<std::vector<SwarmNode>> DecodeNodeList(std::string_view json);
// NetworkSettings.Ports["<port>/tcp"] of GET /containers/{id}/json: the 0.0.0.0 binding, else 0.
StatusOr<int> DecodeIpv4HostPort(std::string_view json, int container_port);

// Thread-safe as far as the transport is. HTTP errors map like StatusFromHttp (docker_client.h),
// except that "not a swarm manager" (503) is FailedPrecondition and "update out of sequence"
// (500) is Conflict.
class SwarmClient : public SwarmApi {
 public:
  explicit SwarmClient(HttpTransport* transport) : transport_(transport) {}

  StatusOr<SwarmInfo> Info() override;
  StatusOr<std::string> CreateService(const SwarmServiceSpec& spec) override;
  Status UpdateService(const std::string& id, uint64_t version,
                       const SwarmServiceSpec& spec) override;
  StatusOr<SwarmService> InspectService(const std::string& id_or_name) override;
  StatusOr<std::vector<SwarmService>> ListServices(const std::vector<std::string>& labels) override;
  Status RemoveService(const std::string& id) override;
  StatusOr<std::vector<SwarmTask>> ListTasks(const std::string& service_id) override;
  StatusOr<std::vector<SwarmNode>> ListNodes() override;
  StatusOr<int> LocalHostPort(const std::string& container_id, int container_port) override;

 private:
  // One request under kDockerApiBase; the body of a 2xx answer, else the mapped error.
  StatusOr<std::string> Call(const std::string& method, const std::string& path_and_query,
                             std::string_view what, const std::string& json_body = "");

  HttpTransport* transport_;
};

}  // namespace dokku
