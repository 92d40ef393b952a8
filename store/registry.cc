#include "store/registry.h"

#include <algorithm>
#include <cctype>

namespace dokku {
namespace {

std::string Trim(std::string s) {
  auto space = [](unsigned char c) { return std::isspace(c) != 0; };
  s.erase(s.begin(), std::find_if_not(s.begin(), s.end(), space));
  s.erase(std::find_if_not(s.rbegin(), s.rend(), space).base(), s.end());
  return s;
}

std::vector<std::string> SplitTags(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = std::min(list.find(',', start), list.size());
    std::string tag = Trim(list.substr(start, comma - start));
    if (!tag.empty() && std::find(out.begin(), out.end(), tag) == out.end()) out.push_back(tag);
    start = comma + 1;
  }
  return out;
}

}  // namespace

std::string NormalizeRegistryServer(std::string server) {
  server = Trim(std::move(server));
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
