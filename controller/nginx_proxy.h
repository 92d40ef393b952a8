// Proxy: routes an app's web traffic to its live web containers. NginxProxy writes one
// <conf_dir>/<app>.conf per app from validated values only, atomically, checks it with the
// configured test command (restoring the previous file on failure) and reloads nginx.
#pragma once

#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/command_runner.h"
#include "controller/emit.h"
#include "store/status.h"

namespace dokku {

struct Upstream {
  std::string ip;  // dotted quad
  int port = 0;    // 1..65535
};

class Proxy {
 public:
  virtual ~Proxy() = default;
  // Points `server_names` at `upstreams`; an empty `upstreams` is Remove(app). Idempotent: an
  // unchanged configuration is neither rewritten nor reloaded (and emits nothing).
  virtual Status Apply(const std::string& app, const std::vector<std::string>& server_names,
                       const std::vector<Upstream>& upstreams, const Emit& emit) = 0;
  // Stops routing the app. Removing an app that has no configuration is OK.
  virtual Status Remove(const std::string& app) = 0;
};

struct NginxProxyOptions {
  std::string conf_dir = "/etc/nginx/conf.d/dokkud";  // nginx must `include <conf_dir>/*.conf;`
  std::string listen = "80";                          // [ipv4:]port
  std::string test_cmd = "nginx -t -q";
  std::string reload_cmd = "nginx -s reload";
};

// Thread-safe: Apply and Remove are serialised so one app's test never sees another's
// half-applied change. Errors: InvalidArgument (bad app, name, address or listen; nothing
// written), Internal (file I/O; a failed `test_cmd`, with nginx's output, after restoring the
// previous file), Unavailable (a failed `reload_cmd`; retried by the next Apply/Remove).
class NginxProxy : public Proxy {
 public:
  NginxProxy(NginxProxyOptions options, CommandRunner* runner);

  Status Apply(const std::string& app, const std::vector<std::string>& server_names,
               const std::vector<Upstream>& upstreams, const Emit& emit) override;
  Status Remove(const std::string& app) override;

  // The file Apply would write (upstreams sorted), or InvalidArgument.
  static StatusOr<std::string> Render(const std::string& app,
                                      const std::vector<std::string>& server_names,
                                      std::vector<Upstream> upstreams, const std::string& listen);
  std::string ConfPath(const std::string& app) const;

 private:
  Status RemoveLocked(const std::string& app);
  Status TestOrRestore(const std::string& path, const std::optional<std::string>& previous);
  Status Reload(const std::string& app);

  const NginxProxyOptions options_;
  CommandRunner* const runner_;
  std::mutex mu_;
  std::set<std::string> reload_pending_;  // apps whose last reload failed
};

}  // namespace dokku
