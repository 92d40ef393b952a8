// Where an app's release images go (registry:set), decided from the stored properties alone:
// the computed server, repository and push flag that `registry:report` shows and the reconciler
// pushes by. Pure; Store::RegistrySettingsOf reads the properties.
#pragma once

#include <string>
#include <vector>

namespace dokku {

// The registry properties as stored ("" = unset), app and global.
struct RegistrySettings {
  std::string app;
  std::string scheduler;  // the computed scheduler of the app
  std::string server, global_server;
  std::string image_repo;
  std::string push_on_release, global_push_on_release;
  std::string push_extra_tags, global_push_extra_tags;
};

struct RegistryTarget {
  std::string server;  // "127.0.0.1:5000" (no trailing '/'); "" is Docker Hub
  std::string repo;    // image-repo, else dokku/<app>
  bool push = false;   // push-on-release, or a docker-swarm app with a server set
  std::vector<std::string> extra_tags;
  // "<server>/<repo>", or "<repo>" for Docker Hub: what the release is tagged and pushed as.
  std::string Reference() const { return server.empty() ? repo : server + "/" + repo; }
};

// Docker Hub's names ("docker.io", "hub.docker.com", "index.docker.io") normalise to "".
std::string NormalizeRegistryServer(std::string server);

RegistryTarget ComputeRegistryTarget(const RegistrySettings& s);

}  // namespace dokku
