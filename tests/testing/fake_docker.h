// FakeDocker: an in-memory DockerApi that behaves like dockerd (as seen through DockerClient)
// where dokkud relies on it: unique names, state transitions, 304/404/409 leniency, label filters,
// tags, ustar archives, events. Records every call; knobs inject failures. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "controller/docker/docker_api.h"
#include "controller/model/tar_reader.h"
#include "store/clock.h"

namespace dokku {

// Docker's label filter: "k" tests presence, "k=v" equality, and every entry must match.
bool MatchesLabelFilters(const std::map<std::string, std::string>& labels,
                         const std::vector<std::string>& filters);

class FakeDocker : public DockerApi {
 public:
  // `clock` (must outlive the fake) stamps Created/StartedAt and event times.
  explicit FakeDocker(Clock* clock = RealClock::Get());

  // ---- DockerApi. Calls are recorded as "<method> <args>": "ping", "list <l1>,<l2>",
  // "create <name>", "start <id>", "stop <id> <t>", "kill <id> <signal>", "remove <id>",
  // "rename <id> <new>", "update <id> <policy>", "inspect <id>", "logs <id> <tail>",
  // "inspect-image <ref>", "list-images <repo>", "tag <image> <repo>:<tag>",
  // "remove-image <ref>", "archive <id> <path>", "events". <id> is the argument as passed.
  // Containers are found by id, name or unique id prefix; ids are 64 hex digits. Like DockerClient:
  // start/stop of a container already so, kill of a stopped one and remove of a missing one are
  // OK. create -> "created"; start -> "running" with ip 172.30.0.<n> (and host_port from 32768
  // if publish_port); stop -> "exited" 143; kill -> "exited" 128+signal; remove is forced.
  Status Ping() override;
  StatusOr<std::vector<ContainerSummary>> ListContainers(
      const std::vector<std::string>& labels) override;
  StatusOr<std::string> CreateContainer(const ContainerSpec& spec) override;
  Status StartContainer(const std::string& id) override;
  Status StopContainer(const std::string& id, int timeout_s) override;
  Status KillContainer(const std::string& id, const std::string& signal) override;
  Status RemoveContainer(const std::string& id) override;
  Status RenameContainer(const std::string& id, const std::string& new_name) override;
  Status UpdateRestartPolicy(const std::string& id, const std::string& policy) override;
  StatusOr<ContainerInfo> InspectContainer(const std::string& id) override;
  StatusOr<std::string> ContainerLogs(const std::string& id, int tail) override;
  // A running container ends at once: with the exit code SetTaskExit gave its name, else 0.
  StatusOr<int> WaitContainer(const std::string& id, int timeout_s) override;
  // The result SetExecResult gave the container's name and the command, else exit 0, no output.
  StatusOr<ExecResult> Exec(const std::string& id, const std::vector<std::string>& cmd,
                            int timeout_s) override;
  StatusOr<ImageInfo> InspectImage(const std::string& ref) override;
  StatusOr<std::vector<ImageInfo>> ListImages(const std::string& repo) override;
  Status TagImage(const std::string& image, const std::string& repo,
                  const std::string& tag) override;
  Status RemoveImage(const std::string& ref) override;
  // A registry in memory: "repo:tag" must exist locally; the digest is derived from the image
  // id and the repo, and "repo@digest" resolves to the image afterwards. Call records "push
  // repo:tag" and "auth <serveraddress>"; FailFor("push"/"auth", ...) injects a refusal.
  StatusOr<PushResult> PushImage(const std::string& repo, const std::string& tag,
                                 const std::string& auth_json) override;
  Status CheckRegistryAuth(const std::string& auth_json) override;
  StatusOr<std::string> GetArchive(const std::string& id, const std::string& path) override;
  // Replays logged events with time_nano >= since_nano (the last 256, like dockerd) when
  // since_nano > 0, then delivers new ones matching `filters` (type, event, label, container,
  // image) until `stop`. Unavailable when the fake is or becomes unavailable, or on
  // DropEventStreams().
  Status StreamEvents(const std::map<std::string, std::vector<std::string>>& filters,
                      int64_t since_nano, const std::function<void(const DockerEvent&)>& on_event,
                      const std::atomic<bool>& stop) override;

  // ---- Setup.
  // Adds an image tagged `ref` ("repo:tag"; "repo" means repo:latest; "" for none). info.id
  // may be empty (one is generated); repo_tags is ignored. `files` and `symlinks` (path ->
  // target) are what GetArchive serves from containers of this image; relative paths are
  // under info.working_dir (or /). Adding a ref that exists moves the tag. Returns the id.
  std::string AddImage(const std::string& ref, ImageInfo info = {},
                       const std::map<std::string, std::string>& files = {},
                       const std::map<std::string, std::string>& symlinks = {});
  void SetLogs(const std::string& id_or_name, std::string logs);
  void SetRestartCount(const std::string& id_or_name, int restart_count);
  // The container's process ends by itself: running -> exited with `exit_code`, emits "die".
  void Exit(const std::string& id_or_name, int exit_code);
  // Logs an event (time_nano 0: stamped now) and delivers it to open streams.
  void PushEvent(DockerEvent event);
  // Ends every open StreamEvents call with Unavailable, as a dockerd restart would.
  void DropEventStreams();
  // Automatic events for create/start/stop/kill/die/destroy/rename/tag/untag/delete (default on).
  void SetEmitEvents(bool emit);

  // ---- Failure knobs.
  // Every call fails with Unavailable (open event streams end too).
  void SetUnavailable(bool unavailable);
  // Calls of `method` (the first word of the call record) whose container name (or argument,
  // for images and unknown ids) contains `substring` fail with `status` after being recorded.
  void FailFor(const std::string& method, const std::string& substring, Status status);
  void FailCreateFor(const std::string& substring,
                     Status status = Status::Unavailable("injected create failure"));
  void FailStartFor(const std::string& substring,
                    Status status = Status::Unavailable("injected start failure"));
  // Start succeeds but the process exits at once with `exit_code` (a crashing app).
  void CrashOnStartFor(const std::string& substring, int exit_code = 1);
  void ClearFailures();
  // Containers whose name contains `name_substring` end with `exit_code` and print `logs` when
  // waited for (one-off task containers).
  void SetTaskExit(const std::string& name_substring, int exit_code, std::string logs = "");
  // Exec in a container whose name contains `name_substring` of a command whose words joined
  // by ' ' contain `cmd_substring` returns `result` (the last matching rule wins).
  void SetExecResult(const std::string& name_substring, const std::string& cmd_substring,
                     ExecResult result);

  // ---- Inspection.
  std::vector<std::string> calls() const;
  int CallCount(std::string_view method) const;
  void ClearCalls();
  // Blocks until CallCount(method) >= n; false on timeout.
  bool WaitForCalls(std::string_view method, int n,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  // Every container, oldest first, as InspectContainer would report it.
  std::vector<ContainerInfo> Containers() const;
  std::optional<ContainerInfo> Find(const std::string& id_or_name) const;
  // The spec the container was created with (restart_policy reflects later updates).
  std::optional<ContainerSpec> SpecOf(const std::string& id_or_name) const;
  // Every "repo:tag", sorted.
  std::vector<std::string> ImageTags() const;
  // Every "repo@digest" pushed, sorted, and the auth JSON the last push carried.
  std::vector<std::string> PushedRefs() const;
  std::string last_push_auth() const;
  // Every event logged so far, oldest first.
  std::vector<DockerEvent> events() const;
  int open_event_streams() const;

 private:
  struct Container {
    ContainerSpec spec;
    ContainerInfo info;
    std::string logs;
    int64_t seq = 0;      // creation order
    int64_t created = 0;  // unix seconds
  };
  struct Image {
    ImageInfo info;
    std::map<std::string, std::string> files;     // absolute path -> content
    std::map<std::string, std::string> symlinks;  // absolute path -> target
  };
  struct Failure {
    std::string method, substring;
    Status status;
  };

  // All private helpers expect mu_ held.
  Status Record(std::string call);
  Status Injected(std::string_view method, std::string_view subject) const;
  // Record(call), then the container `key` names, after failure injection for the call's method.
  StatusOr<Container*> BeginOnContainer(std::string call, const std::string& key);
  Container* FindLocked(const std::string& id_or_name);
  const Container* FindLocked(const std::string& id_or_name) const;
  std::string ResolveImageLocked(const std::string& ref) const;  // "" if unknown
  std::vector<std::string> TagsOfLocked(const std::string& image_id) const;
  ImageInfo ImageInfoLocked(const std::string& image_id) const;
  void EmitLocked(const std::string& type, const std::string& action, const std::string& id,
                  std::map<std::string, std::string> attributes);
  void EmitContainerLocked(const Container& c, const std::string& action,
                           std::map<std::string, std::string> extra = {});
  void EndLocked(Container* c, int exit_code, const std::string& signal);
  StatusOr<std::string> ArchiveLocked(const Container& c, const std::string& path) const;
  std::string NowRfc3339() const;

  Clock* const clock_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, Container> containers_;  // by id
  std::map<std::string, Image> images_;          // by id
  std::map<std::string, std::string> tags_;      // "repo:tag" -> image id
  std::map<std::string, std::string> pushed_;    // "repo@sha256:..." -> image id
  std::string last_push_auth_;
  std::vector<std::string> calls_;
  std::vector<DockerEvent> events_;
  std::vector<Failure> failures_;
  std::vector<std::pair<std::string, int>> crash_on_start_;
  std::vector<std::tuple<std::string, int, std::string>> task_exits_;
  std::vector<std::tuple<std::string, std::string, ExecResult>> exec_results_;
  bool unavailable_ = false;
  bool emit_events_ = true;
  int64_t next_seq_ = 1;
  int next_ip_ = 2;
  int next_host_port_ = 32768;
  int64_t last_event_nano_ = 0;
  int64_t drop_generation_ = 0;
  int open_streams_ = 0;
};

}  // namespace dokku
