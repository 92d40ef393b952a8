// DockerClient: DockerApi over the Engine API v1.41, through an injected HttpTransport (in
// production a CurlUnixTransport). Thread-safe as far as the transport is; it owns nothing.
// HTTP errors map to Status as docker_api.h describes, with Docker's own message.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "controller/docker/docker_api.h"
#include "controller/http/http_transport.h"

namespace dokku {

inline constexpr char kDockerApiBase[] = "/v1.41";

// OK for 2xx; 404 NotFound, 409 Conflict, 400 InvalidArgument, 5xx Unavailable, anything else
// Internal. The message is Docker's {"message"} (or "<what>: HTTP <code>" when it has none).
Status StatusFromHttp(const HttpResponse& response, std::string_view what);

class DockerClient : public DockerApi {
 public:
  explicit DockerClient(HttpTransport* transport) : transport_(transport) {}

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
  // tail < 0 returns the whole log.
  StatusOr<std::string> ContainerLogs(const std::string& id, int tail) override;
  StatusOr<int> WaitContainer(const std::string& id, int timeout_s) override;
  StatusOr<ExecResult> Exec(const std::string& id, const std::vector<std::string>& cmd,
                            int timeout_s) override;

  StatusOr<ImageInfo> InspectImage(const std::string& ref) override;
  // Every image with a tag in `repo`; repo_tags lists all of the image's tags (other repos too).
  StatusOr<std::vector<ImageInfo>> ListImages(const std::string& repo) override;
  Status TagImage(const std::string& image, const std::string& repo,
                  const std::string& tag) override;
  // 404 (already gone) is OK; 409 (in use, or tagged in several repos) is Conflict.
  Status RemoveImage(const std::string& ref) override;
  StatusOr<PushResult> PushImage(const std::string& repo, const std::string& tag,
                                 const std::string& auth_json) override;
  Status CheckRegistryAuth(const std::string& auth_json) override;
  StatusOr<std::string> GetArchive(const std::string& id, const std::string& path) override;

  // Blocks on the calling thread; unparsable lines are skipped. Returns OK only when `stop`
  // ended it; a stream the daemon closed is Unavailable("docker event stream ended").
  Status StreamEvents(const std::map<std::string, std::vector<std::string>>& filters,
                      int64_t since_nano, const std::function<void(const DockerEvent&)>& on_event,
                      const std::atomic<bool>& stop) override;

 private:
  // One request under kDockerApiBase.
  StatusOr<HttpResponse> Call(const std::string& method, const std::string& path_and_query,
                              const std::string& json_body = "",
                              std::chrono::milliseconds timeout = kDefaultRequestTimeout);
  // A call whose body does not matter: maps the status, treating `also_ok` as success too.
  Status CallForStatus(const std::string& method, const std::string& path_and_query,
                       std::string_view what, long also_ok = 0);  // NOLINT(runtime/int)

  HttpTransport* transport_;
};

}  // namespace dokku
