// Pushing a release image to its registry before rollout: tag it <reference>:<tag> (and each
// extra tag), push every tag, untag the local registry tags again (the image stays tagged
// dokku/<app>:<tag>), and answer the digest reference every node can pull: <reference>@sha256:...
#pragma once

#include <string>

#include "controller/docker/docker_api.h"
#include "controller/env/emit.h"
#include "store/registry.h"

namespace dokku {

// A refused push is FailedPrecondition (the release fails); a missing daemon Unavailable (the
// pass is retried). Progress goes to `emit` in Dokku's wording; credentials never do.
StatusOr<std::string> PushReleaseImage(DockerApi& docker, const RegistryTarget& target,
                                       const std::string& image_id, const std::string& tag,
                                       const std::string& auth_json, const Emit& emit);

}  // namespace dokku
