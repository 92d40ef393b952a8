#include "store/registry.h"

#include <algorithm>

#include "store/validation.h"

namespace dokku {
namespace {

// The comma list's tags, trimmed, each once, in order.
std::vector<std::string> SplitTags(const std::string& list) {
  std::vector<std::string> out;
  for (const std::string& item : SplitCommaList(list)) {
    std::string tag = TrimBlanks(item);
    if (!tag.empty() && std::find(out.begin(), out.end(), tag) == out.end()) out.push_back(tag);
  }
  return out;
}

}  // namespace

std::string NormalizeRegistryServer(std::string server) {
  server = TrimBlanks(server);
  while (!server.empty() && server.back() == '/') server.pop_back();
  if (server == "docker.io" || server == "hub.docker.com" || server == "index.docker.io") return "";
  return server;
}

RegistryTarget ComputeRegistryTarget(const RegistrySettings& s) {
  RegistryTarget t;
  t.server = NormalizeRegistryServer(s.server.empty() ? s.global_server : s.server);
  t.repo = s.image_repo.empty() ? "dokku/" + s.app : s.image_repo;
  const std::string& push =
      s.push_on_release.empty() ? s.global_push_on_release : s.push_on_release;
  // Every swarm node must resolve the image: with a server set, a swarm app always pushes.
  // Without one it runs the local image id, which works on a one-node swarm only.
  t.push = push == "true" || (s.scheduler == "docker-swarm" && !t.server.empty());
  t.extra_tags =
      SplitTags(s.push_extra_tags.empty() ? s.global_push_extra_tags : s.push_extra_tags);
  return t;
}

}  // namespace dokku
