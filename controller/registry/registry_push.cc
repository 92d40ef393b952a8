#include "controller/registry/registry_push.h"

#include <fmt/format.h>

namespace dokku {
namespace {

// Pushes ref:tag and reports its progress; the digest on success.
StatusOr<std::string> PushOne(DockerApi& docker, const std::string& ref, const std::string& tag,
                              const std::string& auth_json, const Emit& emit) {
  emit(kVerbose, fmt::format("Pushing {}:{}", ref, tag));
  StatusOr<PushResult> pushed = docker.PushImage(ref, tag, auth_json);
  if (!pushed.ok()) return pushed.status();
  for (const std::string& line : pushed->progress) emit(kVerbose, line);
  return pushed->digest;
}

}  // namespace

StatusOr<std::string> PushReleaseImage(DockerApi& docker, const RegistryTarget& target,
                                       const std::string& image_id, const std::string& tag,
                                       const std::string& auth_json, const Emit& emit) {
  const std::string ref = target.Reference();
  emit(kInfo1, "Pushing image to registry");
  emit(kVerbose, fmt::format("Tagging {}:{} in registry format", ref, tag));
  std::vector<std::string> local_tags = {tag};
  for (const std::string& extra : target.extra_tags) {
    if (extra == tag) continue;
    emit(kVerbose, fmt::format("Tagging {} as {} in registry format", ref, extra));
    local_tags.push_back(extra);
  }
  // Untag whatever was tagged, however the push ends: the registry tags are only a vehicle.
  auto untag = [&](size_t tagged) {
    for (size_t i = 0; i < tagged; ++i) (void)docker.RemoveImage(ref + ":" + local_tags[i]);
  };
  for (size_t i = 0; i < local_tags.size(); ++i) {
    Status st = docker.TagImage(image_id, ref, local_tags[i]);
    if (!st.ok()) {
      untag(i);
      return st;
    }
  }
  std::string digest;
  for (size_t i = local_tags.size(); i-- > 0;) {  // extra tags first, the release tag last
    StatusOr<std::string> pushed = PushOne(docker, ref, local_tags[i], auth_json, emit);
    if (!pushed.ok()) {
      untag(local_tags.size());
      return pushed.status();
    }
    if (i == 0) digest = *pushed;
  }
  emit(kVerbose, fmt::format("Image {}:{} pushed ({})", ref, tag, digest));
  for (size_t i = 1; i < local_tags.size(); ++i)
    emit(kVerbose, fmt::format("Untagging extra tag {}", local_tags[i]));
  untag(local_tags.size());
  return fmt::format("{}@{}", ref, digest);
}

}  // namespace dokku
