// Pure conversions between the Docker Engine API's wire formats and the DockerApi types, shared by
// DockerClient, its tests and fuzz targets. No function throws: malformed JSON gives
// Status::Internal("bad JSON from docker: ..."); null, missing or mistyped fields read as empty.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "controller/docker/docker_api.h"
#include "store/status.h"

namespace dokku {

// GET /containers/json.
StatusOr<std::vector<ContainerSummary>> DecodeContainerList(std::string_view json);
// GET /containers/{id}/json.
StatusOr<ContainerInfo> DecodeContainerInfo(std::string_view json);
// GET /images/{ref}/json.
StatusOr<ImageInfo> DecodeImageInfo(std::string_view json);
// GET /images/json: one entry per image (no Config fields).
StatusOr<std::vector<ImageInfo>> DecodeImageList(std::string_view json);
// One line of GET /events.
StatusOr<DockerEvent> DecodeEvent(std::string_view line);
// The JSON-lines body of POST /images/{name}/push: the digest from the final aux message, or
// the stream's error as FailedPrecondition (the registry said no, or could not be reached).
StatusOr<PushResult> DecodePushStream(std::string_view body);
// {"Id": "..."} from POST /containers/create.
StatusOr<std::string> DecodeCreatedId(std::string_view json);
// {"StatusCode": N} from POST /containers/{id}/wait: N.
StatusOr<int> DecodeWaitStatus(std::string_view json);
// GET /exec/{id}/json: ExitCode (InvalidArgument while the command still runs).
StatusOr<int> DecodeExecExitCode(std::string_view json);
// The body of POST /containers/{id}/exec: attach stdout and stderr, run `cmd`.
StatusOr<std::string> EncodeExecCreate(const std::vector<std::string>& cmd, bool tty = false,
                                       bool attach_stdin = false);
// The "message" of an error body, else the body itself, trimmed.
std::string DecodeErrorMessage(std::string_view body);

struct RestartPolicy {
  std::string name;  // no | always | unless-stopped | on-failure
  int max_retries = 0;
};
// "no" (or ""), "always", "unless-stopped", "on-failure" or "on-failure:N"; else InvalidArgument.
StatusOr<RestartPolicy> ParseRestartPolicy(std::string_view policy);

// The body of POST /containers/create. InvalidArgument for a bad policy or port, or a string
// that is not valid UTF-8.
StatusOr<std::string> EncodeCreateBody(const ContainerSpec& spec);
// The body of POST /containers/{id}/update that sets only the restart policy.
StatusOr<std::string> EncodeRestartPolicyUpdate(std::string_view policy);
// Docker's filters JSON, e.g. {"label":["a=b"],"type":["container"]} (keys sorted).
std::string EncodeFilters(const std::map<std::string, std::vector<std::string>>& filters);
}  // namespace dokku
