// Proxy: routes an app's web traffic to its live web containers. NginxProxy writes one
// <conf_dir>/<app>.conf per app from validated values only, atomically, checks it with the
// configured test command (restoring the previous file on failure) and reloads nginx. After
// Start() found nginx's lua module, a change of only the peers is pushed to the running nginx
// instead (controller/proxy/nginx_dynamic.h) and reloads are left for changes of server blocks.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "controller/env/command_runner.h"
#include "controller/env/emit.h"
#include "controller/http/http_transport.h"
#include "controller/model/upstream.h"
#include "store/status.h"

namespace dokku {

class Proxy {
 public:
  virtual ~Proxy() = default;
  // Points `server_names` at `upstreams`; an empty `upstreams` is Remove(app). Idempotent: an
  // unchanged configuration is neither rewritten nor reloaded (and emits nothing).
  virtual Status Apply(const std::string& app, const std::vector<std::string>& server_names,
                       const std::vector<Upstream>& upstreams, const Emit& emit) = 0;
  // Stops routing the app. Removing an app that has no configuration is OK.
  virtual Status Remove(const std::string& app) = 0;
  // Requests the proxy is forwarding to `peer` right now; FailedPrecondition when it cannot tell.
  virtual StatusOr<int64_t> ActiveRequests(const Upstream& peer) {
    (void)peer;
    return Status::FailedPrecondition("the proxy does not count requests per peer");
  }
};

struct NginxProxyOptions {
  std::string conf_dir = "/etc/nginx/conf.d/dokkud";  // nginx must `include <conf_dir>/*.conf;`
  std::string listen = "80";                          // [ipv4:]port
  std::string test_cmd = "nginx -t -q";
  std::string reload_cmd = "nginx -s reload";
  // Where nginx's control server listens for dynamic upstreams (nginx_dynamic.h); its directory
  // is made root/dokku-only. Empty: never try dynamic upstreams, always reload.
  std::string control_socket = "/run/dokkud/nginx-control.sock";
};

// Thread-safe: Apply and Remove are serialised so one app's test never sees another's
// half-applied change. Errors: InvalidArgument (bad app, name, address or listen; nothing
// written), Internal (file I/O; a failed `test_cmd`, with nginx's output, after restoring the
// previous file), Unavailable (a failed `reload_cmd`; retried by the next Apply/Remove).
//
// Dynamic mode (after Start() returned true): Apply rewrites the file whenever the peers change
// (so the fallback list in it is current for an nginx that restarts), reloads only when the
// rest of the file changed, and PUTs the peers to the control server. When that PUT fails the
// change is made by a reload instead; when the reload fails too the previous file is restored
// and the result is Unavailable, so traffic is never split between what the file and the
// running nginx say.
class NginxProxy : public Proxy {
 public:
  NginxProxy(NginxProxyOptions options, CommandRunner* runner);
  ~NginxProxy() override;

  // Tries dynamic upstreams: writes the control configuration, tests it and reloads nginx if it
  // changed. `control` speaks HTTP to options.control_socket (not owned; must outlive this).
  // Without the lua module (the test fails) it removes the file, logs one warning and stays
  // with reload cutovers. With `watch`, a thread checks the control server every `watch_ms`:
  // it feeds every app again after nginx restarted and removes the socket file a killed nginx
  // left behind (nginx cannot bind it again otherwise). Returns whether dynamic mode is on.
  bool Start(HttpTransport* control, bool watch = true, int64_t watch_ms = 1000);
  bool dynamic() const { return dynamic_; }
  // One round of the watch thread (for tests).
  void Resync();

  Status Apply(const std::string& app, const std::vector<std::string>& server_names,
               const std::vector<Upstream>& upstreams, const Emit& emit) override;
  Status Remove(const std::string& app) override;
  StatusOr<int64_t> ActiveRequests(const Upstream& peer) override;

  // The file Apply would write (upstreams sorted), or InvalidArgument.
  static StatusOr<std::string> Render(const std::string& app,
                                      const std::vector<std::string>& server_names,
                                      std::vector<Upstream> upstreams, const std::string& listen);
  // The same with a lua balancer over `upstreams` (their list is the fallback for an nginx
  // whose shared dictionary is empty) instead of a static upstream.
  static StatusOr<std::string> RenderDynamic(const std::string& app,
                                             const std::vector<std::string>& server_names,
                                             std::vector<Upstream> upstreams,
                                             const std::string& listen, int64_t generation);
  std::string ConfPath(const std::string& app) const;

 private:
  Status RemoveLocked(const std::string& app);
  Status ApplyDynamicLocked(const std::string& app, const std::vector<std::string>& server_names,
                            const std::vector<Upstream>& upstreams, const Emit& emit);
  Status TestOrRestore(const std::string& path, const std::optional<std::string>& previous);
  Status Reload(const std::string& app);
  Status PutPeers(const std::string& app, const std::string& peers);
  void ResyncLocked();
  bool PrepareSocketDir();

  const NginxProxyOptions options_;
  CommandRunner* const runner_;
  std::mutex mu_;
  std::set<std::string> reload_pending_;  // apps whose last reload failed
  std::atomic<bool> dynamic_{false};
  HttpTransport* control_ = nullptr;
  std::string token_;                         // this process's feed token
  std::map<std::string, std::string> peers_;  // app -> peers the running nginx has (guarded)
  std::thread watcher_;
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stop_ = false;  // guarded by watch_mu_
};

}  // namespace dokku
