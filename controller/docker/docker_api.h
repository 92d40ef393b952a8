// DockerApi: the small slice of the Docker Engine API (v1.41) that dokkud uses. DockerClient
// (docker_client.h) implements it with libcurl over the unix socket; tests/testing/fake_docker.h
// keeps containers in memory, records calls and can be told to fail. Errors: NotFound (404),
// Conflict (409), InvalidArgument (400), Unavailable (transport failure, 5xx). 304 on start/stop
// and 404 on remove are success ("already so").
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store/status.h"

namespace dokku {

// What to create. Maps onto POST /containers/create.
// One entry of HostConfig.Mounts. A bind of a missing source fails the create (unlike Binds,
// which would make an empty root-owned directory).
struct ContainerMount {
  std::string type = "bind";  // bind | volume
  std::string source;         // host path, or volume name
  std::string target;         // path in the container
  bool read_only = false;
  std::string propagation;  // bind: "" (Docker's default) or private, rshared, ...
  bool no_copy = false;     // volume: do not copy the image's files into a new volume
  bool operator==(const ContainerMount&) const = default;
};

struct ContainerSpec {
  std::string name;
  std::string image;             // image id or reference
  std::vector<std::string> cmd;  // empty: the image's CMD
  std::vector<std::string> env;  // KEY=VALUE
  std::map<std::string, std::string> labels;
  std::string restart_policy = "no";  // no | always | unless-stopped | on-failure[:N]
  bool init = true;
  int stop_timeout = 30;      // seconds
  int exposed_port = 0;       // 0: none; else <port>/tcp exposed
  bool publish_port = false;  // publish exposed_port on 127.0.0.1:<ephemeral>
  std::vector<ContainerMount> mounts;
  // Resources, HostConfig's fields; 0 leaves each unset (Docker's default: unlimited).
  int64_t memory = 0;              // Memory, bytes
  int64_t memory_swap = 0;         // MemorySwap, bytes; -1 unlimited
  int64_t memory_reservation = 0;  // MemoryReservation, bytes
  int64_t nano_cpus = 0;           // NanoCpus
  int gpus = 0;                    // DeviceRequests of nvidia GPUs: a count, -1 all
  // From docker-options (deploy phase); empty/0 leaves each unset.
  std::vector<std::string> binds;        // Binds, "src:dst[:opts]"
  std::string network_mode;              // NetworkMode
  std::vector<std::string> extra_hosts;  // ExtraHosts, "host:ip"
  struct Ulimit {
    std::string name;
    int64_t soft = 0, hard = 0;
  };
  std::vector<Ulimit> ulimits;
  int64_t shm_size = 0;  // ShmSize, bytes
  std::vector<std::string> cap_add, cap_drop;
  // One-off (`dokku run`) containers: a terminal, and stdin kept open for an attach.
  bool tty = false;
  bool open_stdin = false;   // also StdinOnce: stdin closes when the attached client closes it
  bool auto_remove = false;  // HostConfig.AutoRemove
};

// One entry of GET /containers/json.
struct ContainerSummary {
  std::string id;
  std::string name;  // without the leading '/'
  std::string image_id;
  std::string state;  // created | running | paused | restarting | removing | exited | dead
  int64_t created = 0;
  std::map<std::string, std::string> labels;
};

// The fields of GET /containers/{id}/json that dokkud reads.
struct ContainerInfo {
  std::string id;
  std::string name;  // without the leading '/'
  std::string image_id;
  std::string state;  // State.Status
  bool running = false;
  int exit_code = 0;
  int restart_count = 0;
  std::string started_at;  // RFC 3339 as Docker reports it
  std::string finished_at;
  std::string ip;     // first non-empty network IP
  int host_port = 0;  // first published host port, 0 if none
  std::map<std::string, std::string> labels;
};

struct ImageInfo {
  std::string id;  // sha256:...
  std::vector<std::string> repo_tags;
  std::vector<std::string> cmd;            // Config.Cmd (may be empty)
  std::vector<std::string> entrypoint;     // Config.Entrypoint (may be empty)
  std::string working_dir;                 // Config.WorkingDir ("" = /)
  std::vector<std::string> exposed_ports;  // keys of Config.ExposedPorts ("8080/tcp"), sorted
  int64_t created = 0;                     // unix seconds
  int64_t size = 0;
};

// What POST /images/{name}/push reported: the manifest digest ("sha256:...") and the lines
// worth a deploy log (a layer pushed or already there, the final digest line).
struct PushResult {
  std::string digest;
  std::vector<std::string> progress;
};

// What a command run in a container (exec) ended with.
struct ExecResult {
  int exit_code = 0;
  std::string output;  // stdout and stderr, demultiplexed, at most 64 KiB kept
};

// One line of the /events stream.
struct DockerEvent {
  std::string type;  // container | image | ...
  std::string
      action;  // create, start, die, stop, kill, destroy, tag, untag, delete, health_status: x
  std::string id;
  std::map<std::string, std::string> attributes;  // labels + name + image (+ exitCode)
  int64_t time_nano = 0;
};

class DockerApi {
 public:
  virtual ~DockerApi() = default;

  virtual Status Ping() = 0;
  // All containers (running or not) carrying every label in `labels` ("k=v" or bare "k").
  virtual StatusOr<std::vector<ContainerSummary>> ListContainers(
      const std::vector<std::string>& labels) = 0;
  // Returns the new container id.
  virtual StatusOr<std::string> CreateContainer(const ContainerSpec& spec) = 0;
  virtual Status StartContainer(const std::string& id) = 0;
  // Waits up to timeout_s for the container to exit, then kills it.
  virtual Status StopContainer(const std::string& id, int timeout_s) = 0;
  virtual Status KillContainer(const std::string& id, const std::string& signal) = 0;
  // Force-removes (with anonymous volumes).
  virtual Status RemoveContainer(const std::string& id) = 0;
  virtual Status RenameContainer(const std::string& id, const std::string& new_name) = 0;
  // Sets the restart policy of an existing container (POST /containers/{id}/update).
  virtual Status UpdateRestartPolicy(const std::string& id, const std::string& policy) = 0;
  virtual StatusOr<ContainerInfo> InspectContainer(const std::string& id) = 0;
  // The last `tail` lines of stdout+stderr, demultiplexed to plain text.
  virtual StatusOr<std::string> ContainerLogs(const std::string& id, int tail) = 0;
  // Waits up to timeout_s for the container to stop running; returns its exit code.
  // Unavailable when the wait runs out or the connection fails.
  virtual StatusOr<int> WaitContainer(const std::string& id, int timeout_s) = 0;
  // Runs `cmd` inside the running container and waits up to timeout_s for it (exec). A command
  // that does not finish in time is Unavailable ("timed out"); it keeps running in Docker.
  virtual StatusOr<ExecResult> Exec(const std::string& id, const std::vector<std::string>& cmd,
                                    int timeout_s) = 0;

  virtual StatusOr<ImageInfo> InspectImage(const std::string& ref) = 0;
  // Images whose repository is `repo` (e.g. dokku/app), one entry per image.
  virtual StatusOr<std::vector<ImageInfo>> ListImages(const std::string& repo) = 0;
  virtual Status TagImage(const std::string& image, const std::string& repo,
                          const std::string& tag) = 0;
  // Untags/removes `ref` without force.
  virtual Status RemoveImage(const std::string& ref) = 0;
  // Pushes `repo:tag` with `auth_json` (Docker's auth object, "{}" for none) and waits for the
  // push to end. A push the registry refuses or cannot take is FailedPrecondition with the
  // registry's message; no daemon is Unavailable.
  virtual StatusOr<PushResult> PushImage(const std::string& repo, const std::string& tag,
                                         const std::string& auth_json) = 0;
  // POST /auth: Ok when the registry named in `auth_json` accepts its credentials, else
  // FailedPrecondition with the engine's message; no daemon is Unavailable.
  virtual Status CheckRegistryAuth(const std::string& auth_json) = 0;
  // GET /containers/{id}/archive?path=: the raw tar stream. NotFound when the path is missing.
  virtual StatusOr<std::string> GetArchive(const std::string& id, const std::string& path) = 0;

  // Streams events matching `filters` (Docker's map of lists, e.g. {"type":["container"]}) since
  // `since_nano` (0: from now) to `on_event` until `stop` becomes true or the stream ends; returns
  // Unavailable when the connection fails or drops. Callers reconnect (see EventWatcher).
  virtual Status StreamEvents(const std::map<std::string, std::vector<std::string>>& filters,
                              int64_t since_nano,
                              const std::function<void(const DockerEvent&)>& on_event,
                              const std::atomic<bool>& stop) = 0;
};

}  // namespace dokku
