#include "controller/docker/docker_client.h"

#include <fmt/format.h>

#include <algorithm>

#include "controller/docker/docker_codec.h"
#include "controller/docker/docker_wire.h"

namespace dokku {
namespace {

constexpr char kJson[] = "application/json";
// stop?t=N holds the request open for up to N seconds before Docker kills the container.
constexpr int kStopGraceSeconds = 15;

std::string ContainerPath(const std::string& id, std::string_view suffix = "") {
  return fmt::format("/containers/{}{}", PathEscape(id), suffix);
}

}  // namespace

Status StatusFromHttp(const HttpResponse& response, std::string_view what) {
  const long code = response.status;  // NOLINT(runtime/int)
  if (code >= 200 && code < 300) return Status::Ok();
  std::string message = DecodeErrorMessage(response.body);
  if (message.empty()) message = fmt::format("{}: HTTP {}", what, code);
  if (code == 404) return Status::NotFound(std::move(message));
  if (code == 409) return Status::Conflict(std::move(message));
  if (code == 400) return Status::InvalidArgument(std::move(message));
  if (code >= 500 && code < 600) return Status::Unavailable(std::move(message));
  return Status::Internal(fmt::format("{} (HTTP {})", message, code));
}

StatusOr<HttpResponse> DockerClient::Call(const std::string& method,
                                          const std::string& path_and_query,
                                          const std::string& json_body,
                                          std::chrono::milliseconds timeout) {
  return transport_->Request(method, kDockerApiBase + path_and_query, json_body,
                             json_body.empty() ? "" : kJson, timeout);
}

Status DockerClient::CallForStatus(const std::string& method, const std::string& path_and_query,
                                   std::string_view what, long also_ok) {  // NOLINT(runtime/int)
  StatusOr<HttpResponse> response = Call(method, path_and_query);
  if (!response.ok()) return response.status();
  if (also_ok != 0 && response->status == also_ok) return Status::Ok();
  return StatusFromHttp(*response, what);
}

Status DockerClient::Ping() { return CallForStatus("GET", "/_ping", "ping"); }

StatusOr<std::vector<ContainerSummary>> DockerClient::ListContainers(
    const std::vector<std::string>& labels) {
  std::string query = "/containers/json?all=1";
  if (!labels.empty()) query += "&filters=" + UrlEscape(EncodeFilters({{"label", labels}}));
  StatusOr<HttpResponse> response = Call("GET", query);
  if (!response.ok()) return response.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*response, "list containers"));
  return DecodeContainerList(response->body);
}

StatusOr<std::string> DockerClient::CreateContainer(const ContainerSpec& spec) {
  StatusOr<std::string> body = EncodeCreateBody(spec);
  if (!body.ok()) return body.status();
  std::string query = "/containers/create";
  if (!spec.name.empty()) query += "?name=" + UrlEscape(spec.name);
  StatusOr<HttpResponse> response = Call("POST", query, *body);
  if (!response.ok()) return response.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*response, "create " + spec.name));
  return DecodeCreatedId(response->body);
}

Status DockerClient::StartContainer(const std::string& id) {
  return CallForStatus("POST", ContainerPath(id, "/start"), "start " + id, /*also_ok=*/304);
}

Status DockerClient::StopContainer(const std::string& id, int timeout_s) {
  timeout_s = std::max(timeout_s, 0);
  StatusOr<HttpResponse> response =
      Call("POST", ContainerPath(id, fmt::format("/stop?t={}", timeout_s)), "",
           std::chrono::seconds(timeout_s + kStopGraceSeconds));
  if (!response.ok()) return response.status();
  if (response->status == 304) return Status::Ok();  // already stopped
  return StatusFromHttp(*response, "stop " + id);
}

Status DockerClient::KillContainer(const std::string& id, const std::string& signal) {
  StatusOr<HttpResponse> response =
      Call("POST", ContainerPath(id, "/kill?signal=" + UrlEscape(signal)));
  if (!response.ok()) return response.status();
  Status status = StatusFromHttp(*response, "kill " + id);
  // Killing a container that is not running leaves it as asked; other conflicts are real.
  if (status.IsConflict() && status.message().find("is not running") != std::string::npos) {
    return Status::Ok();
  }
  return status;
}

Status DockerClient::RemoveContainer(const std::string& id) {
  Status status = CallForStatus("DELETE", ContainerPath(id, "?force=1&v=1"), "remove " + id);
  return status.IsNotFound() ? Status::Ok() : status;
}

Status DockerClient::RenameContainer(const std::string& id, const std::string& new_name) {
  return CallForStatus("POST", ContainerPath(id, "/rename?name=" + UrlEscape(new_name)),
                       "rename " + id);
}

Status DockerClient::UpdateRestartPolicy(const std::string& id, const std::string& policy) {
  StatusOr<std::string> body = EncodeRestartPolicyUpdate(policy);
  if (!body.ok()) return body.status();
  StatusOr<HttpResponse> response = Call("POST", ContainerPath(id, "/update"), *body);
  if (!response.ok()) return response.status();
  return StatusFromHttp(*response, "update " + id);
}

StatusOr<ContainerInfo> DockerClient::InspectContainer(const std::string& id) {
  StatusOr<HttpResponse> response = Call("GET", ContainerPath(id, "/json"));
  if (!response.ok()) return response.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*response, "inspect " + id));
  return DecodeContainerInfo(response->body);
}

StatusOr<std::string> DockerClient::ContainerLogs(const std::string& id, int tail) {
  const std::string tail_arg = tail < 0 ? "all" : std::to_string(tail);
  StatusOr<HttpResponse> response =
      Call("GET", ContainerPath(id, "/logs?stdout=1&stderr=1&tail=" + tail_arg));
  if (!response.ok()) return response.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*response, "logs " + id));
  return DemultiplexLogs(response->body);
}

StatusOr<int> DockerClient::WaitContainer(const std::string& id, int timeout_s) {
  timeout_s = std::max(timeout_s, 1);
  StatusOr<HttpResponse> response = Call("POST", ContainerPath(id, "/wait?condition=not-running"),
                                         "", std::chrono::seconds(timeout_s));
  if (!response.ok()) return response.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*response, "wait " + id));
  return DecodeWaitStatus(response->body);
}

StatusOr<ExecResult> DockerClient::Exec(const std::string& id, const std::vector<std::string>& cmd,
                                        int timeout_s) {
  StatusOr<std::string> body = EncodeExecCreate(cmd);
  if (!body.ok()) return body.status();
  StatusOr<HttpResponse> created = Call("POST", ContainerPath(id, "/exec"), *body);
  if (!created.ok()) return created.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*created, "exec in " + id));
  StatusOr<std::string> exec_id = DecodeCreatedId(created->body);
  if (!exec_id.ok()) return exec_id.status();
  // Not detached: the response is the command's multiplexed output, ending when it exits.
  StatusOr<HttpResponse> started =
      Call("POST", fmt::format("/exec/{}/start", PathEscape(*exec_id)),
           R"({"Detach":false,"Tty":false})", std::chrono::seconds(std::max(timeout_s, 1)));
  if (!started.ok()) return started.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*started, "exec start in " + id));
  StatusOr<HttpResponse> inspected =
      Call("GET", fmt::format("/exec/{}/json", PathEscape(*exec_id)));
  if (!inspected.ok()) return inspected.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*inspected, "exec inspect in " + id));
  StatusOr<int> code = DecodeExecExitCode(inspected->body);
  if (!code.ok()) return code.status();
  ExecResult result{*code, DemultiplexLogs(started->body)};
  if (result.output.size() > 65536) result.output.resize(65536);
  return result;
}

StatusOr<ImageInfo> DockerClient::InspectImage(const std::string& ref) {
  StatusOr<HttpResponse> response = Call("GET", fmt::format("/images/{}/json", PathEscape(ref)));
  if (!response.ok()) return response.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*response, "inspect image " + ref));
  return DecodeImageInfo(response->body);
}

StatusOr<std::vector<ImageInfo>> DockerClient::ListImages(const std::string& repo) {
  const std::string filters = EncodeFilters({{"reference", {repo}}});
  StatusOr<HttpResponse> response = Call("GET", "/images/json?filters=" + UrlEscape(filters));
  if (!response.ok()) return response.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*response, "list images " + repo));
  return DecodeImageList(response->body);
}

Status DockerClient::TagImage(const std::string& image, const std::string& repo,
                              const std::string& tag) {
  return CallForStatus("POST",
                       fmt::format("/images/{}/tag?repo={}&tag={}", PathEscape(image),
                                   UrlEscape(repo), UrlEscape(tag)),
                       fmt::format("tag {} as {}:{}", image, repo, tag));
}

Status DockerClient::RemoveImage(const std::string& ref) {
  Status status = CallForStatus("DELETE", "/images/" + PathEscape(ref), "remove image " + ref);
  return status.IsNotFound() ? Status::Ok() : status;
}

StatusOr<PushResult> DockerClient::PushImage(const std::string& repo, const std::string& tag,
                                             const std::string& auth_json) {
  // The auth goes in the body (the engine reads it there when no X-Registry-Auth header is
  // sent), so it never appears in a header dump. A push of a big image takes minutes.
  StatusOr<HttpResponse> response =
      Call("POST", fmt::format("/images/{}/push?tag={}", PathEscape(repo), UrlEscape(tag)),
           auth_json, std::chrono::minutes(30));
  if (!response.ok()) return response.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*response, fmt::format("push {}:{}", repo, tag)));
  return DecodePushStream(response->body);
}

Status DockerClient::CheckRegistryAuth(const std::string& auth_json) {
  StatusOr<HttpResponse> response = Call("POST", "/auth", auth_json, std::chrono::seconds(60));
  if (!response.ok()) return response.status();
  if (response->status / 100 == 2) return Status::Ok();
  return Status::FailedPrecondition(DecodeErrorMessage(response->body));
}

StatusOr<std::string> DockerClient::GetArchive(const std::string& id, const std::string& path) {
  StatusOr<HttpResponse> response =
      Call("GET", ContainerPath(id, "/archive?path=" + UrlEscape(path)));
  if (!response.ok()) return response.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*response, fmt::format("archive {} {}", id, path)));
  return std::move(response->body);
}

Status DockerClient::StreamEvents(const std::map<std::string, std::vector<std::string>>& filters,
                                  int64_t since_nano,
                                  const std::function<void(const DockerEvent&)>& on_event,
                                  const std::atomic<bool>& stop) {
  std::string query = std::string(kDockerApiBase) + "/events";
  char separator = '?';
  if (!filters.empty()) {
    query += fmt::format("{}filters={}", separator, UrlEscape(EncodeFilters(filters)));
    separator = '&';
  }
  if (since_nano > 0) query += fmt::format("{}since={}", separator, FormatSince(since_nano));

  LineSplitter lines;
  auto on_line = [&on_event](std::string_view line) {
    StatusOr<DockerEvent> event = DecodeEvent(line);
    if (event.ok()) on_event(*event);  // one bad line must not end the stream
  };
  StatusOr<HttpResponse> response = transport_->Stream(
      query, [&](std::string_view chunk) { lines.Feed(chunk, on_line); }, stop);
  if (stop.load()) return Status::Ok();
  if (!response.ok()) return response.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*response, "events"));
  return Status::Unavailable("docker event stream ended");
}

}  // namespace dokku
