#include "controller/docker/container_io.h"

#include <fmt/format.h>

#include "controller/docker/docker_client.h"
#include "controller/docker/docker_codec.h"
#include "controller/docker/docker_wire.h"

namespace dokku {

StatusOr<HttpResponse> DockerContainerIo::Call(const std::string& method, const std::string& path,
                                               const std::string& body) {
  return transport_->Request(method, kDockerApiBase + path, body,
                             body.empty() ? "" : "application/json", kDefaultRequestTimeout);
}

Status DockerContainerIo::StreamLogs(const std::string& id, const LogStreamOptions& options,
                                     const LogSink& sink, const std::atomic<bool>& stop) {
  std::string query =
      fmt::format("{}/containers/{}/logs?stdout=1&stderr=1&timestamps=1&tail={}", kDockerApiBase,
                  PathEscape(id), options.tail < 0 ? "all" : std::to_string(options.tail));
  if (options.follow) query += "&follow=1";
  if (options.since > 0) query += fmt::format("&since={}", options.since);
  // Lines are reassembled per stream so that the sink only ever sees whole lines.
  StreamDemuxer demux;
  LineSplitter out_lines, err_lines;
  auto on_frame = [&](int stream, std::string_view data) {
    LineSplitter& lines = stream == 2 ? err_lines : out_lines;
    lines.Feed(data, [&](std::string_view line) { sink(stream, std::string(line) + "\n"); });
  };
  StatusOr<HttpResponse> response = transport_->Stream(
      query, [&](std::string_view chunk) { demux.Feed(chunk, on_frame); }, stop);
  if (stop.load()) return Status::Ok();
  if (!response.ok()) return response.status();
  return StatusFromHttp(*response, "logs " + id);
}

StatusOr<std::string> DockerContainerIo::InspectJson(const std::string& id) {
  StatusOr<HttpResponse> response =
      Call("GET", fmt::format("/containers/{}/json", PathEscape(id)), "");
  if (!response.ok()) return response.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*response, "inspect " + id));
  return std::move(response->body);
}

StatusOr<HijackedStream> DockerContainerIo::Attach(const std::string& id) {
  return HijackUnix(socket_path_, "POST",
                    fmt::format("{}/containers/{}/attach?stream=1&stdin=1&stdout=1&stderr=1",
                                kDockerApiBase, PathEscape(id)),
                    "");
}

StatusOr<std::string> DockerContainerIo::CreateExec(const std::string& id,
                                                    const std::vector<std::string>& cmd, bool tty) {
  StatusOr<std::string> body = EncodeExecCreate(cmd, tty, /*attach_stdin=*/true);
  if (!body.ok()) return body.status();
  StatusOr<HttpResponse> created =
      Call("POST", fmt::format("/containers/{}/exec", PathEscape(id)), *body);
  if (!created.ok()) return created.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*created, "exec in " + id));
  return DecodeCreatedId(created->body);
}

StatusOr<HijackedStream> DockerContainerIo::StartExec(const std::string& exec_id, bool tty) {
  return HijackUnix(socket_path_, "POST",
                    fmt::format("{}/exec/{}/start", kDockerApiBase, PathEscape(exec_id)),
                    tty ? R"({"Detach":false,"Tty":true})" : R"({"Detach":false,"Tty":false})");
}

StatusOr<int> DockerContainerIo::ExecExitCode(const std::string& exec_id) {
  StatusOr<HttpResponse> inspected =
      Call("GET", fmt::format("/exec/{}/json", PathEscape(exec_id)), "");
  if (!inspected.ok()) return inspected.status();
  DOKKU_RETURN_IF_ERROR(StatusFromHttp(*inspected, "exec inspect " + exec_id));
  return DecodeExecExitCode(inspected->body);
}

Status DockerContainerIo::Resize(const std::string& kind, const std::string& id, int rows,
                                 int cols) {
  StatusOr<HttpResponse> response =
      Call("POST", fmt::format("/{}/{}/resize?h={}&w={}", kind, PathEscape(id), rows, cols), "");
  if (!response.ok()) return response.status();
  return StatusFromHttp(*response, "resize " + id);
}

}  // namespace dokku
