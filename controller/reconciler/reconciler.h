// Reconciler: one level-triggered pass for one app. It re-reads the app's desired state from the
// store (prepares a pending release, runs tag operations), hands it to the selected scheduler
// (scheduler.h) while every other scheduler vacates, routes the proxy to the union of their web
// endpoints, answers checks:run, finishes or fails the release and writes what it observed back
// to the store. Thread-safe for different apps at once; the caller (the work queue) guarantees
// one pass per app at a time.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/docker/docker_api.h"
#include "controller/env/emit.h"
#include "controller/model/checks_file.h"
#include "controller/model/planner.h"
#include "controller/proxy/nginx_proxy.h"
#include "controller/scheduler/host_access.h"
#include "controller/scheduler/scheduler.h"
#include "store/clock.h"
#include "store/status.h"
#include "store/store.h"

namespace dokku {

struct ReconcilerOptions {
  std::string store_id;       // value of the com.dokkud.store label on our containers
  bool proxy_enabled = true;  // false: web publishes its port on 127.0.0.1 instead
  std::string proxy_listen = "80";
  HostAccessPolicy host_access;  // restricted when the state is shared with a group
  std::string state_dir;         // where registry:login's credentials are ("": none)
};

struct ReconcileResult {
  int64_t requeue_after_ms = 0;  // 0: nothing timed is pending
};

class Reconciler {
 public:
  // `proxy` may be null when proxy_enabled is false. `schedulers` are every backend of this
  // dokkud, peers: an app runs on the one its `scheduler selected` names (an app naming one
  // that is absent fails). Nothing is owned.
  Reconciler(DockerApi* docker, Proxy* proxy, const Clock* clock, ReconcilerOptions options,
             std::vector<Scheduler*> schedulers);

  // One pass for `app` using `store` (a connection owned by the calling thread). Errors are
  // retryable (Docker unavailable, store busy); terminal failures (bad release, failed checks)
  // are recorded in the store and return OK.
  StatusOr<ReconcileResult> Reconcile(Store* store, const std::string& app);

  // Docker events: forget cached inspect data (every scheduler); mark the app's image list stale.
  void ContainerChanged(const std::string& container_id);
  void ImagesChanged(const std::string& app);

  using Pass = AppPass;

 private:
  StatusOr<ReconcileResult> RemoveEverything(Pass& pass, bool purge_row);
  Status ApplyTagOps(Pass& pass);
  Status RefreshImages(Pass& pass, bool force);
  Status AnswerRequests(Pass& pass);
  // Resolves and reads a pending release. A bad release is recorded as failed (returns OK with
  // *failed set); Docker trouble is an error.
  Status PrepareRelease(Pass& pass, Release* release, bool* failed);
  // With a registry in play, pushes the prepared image (release->registry_ref); a refused push
  // fails the release before anything ran.
  Status PushRelease(Pass& pass, Release* release, const std::string& image_id, bool* failed);
  Status BuildDesired(Pass& pass);
  // The selected scheduler applies, every other one vacates (once the selected one serves).
  Status Schedule(Pass& pass, Applied* applied);
  // The proxy gets the union of every scheduler's web endpoints (pass.upstreams).
  Status PushRoutes(Pass& pass);
  Status Observe(Pass& pass);
  Status FinishRelease(Pass& pass);
  // app.json's postdeploy after the cutover; its failure is the pass's failure, not a rollback.
  Status RunPostdeploy(Pass& pass);
  // Runs an app.json deployment task (`phase` predeploy or postdeploy) of `release` in a one-off
  // container, its output in the deploy log. False when it failed (said so in the log); errors
  // only for a Docker that cannot be reached before the task started.
  StatusOr<bool> RunTask(Pass& pass, const Release& release, const std::string& phase,
                         const std::string& command);
  void FailPass(Pass& pass, const std::string& error);
  Scheduler* Find(const std::string& name) const;  // null: not in this dokkud

  std::string SpecHash(const Pass& pass, const std::string& proctype) const;
  std::vector<std::string> ServerNames(const Pass& pass) const;
  std::vector<std::string> Urls(const Pass& pass) const;
  std::string NewSuffix();  // unique among this dokkud's probe containers

  DockerApi* const docker_;
  Proxy* const proxy_;
  const Clock* const clock_;
  const ReconcilerOptions options_;
  const std::vector<Scheduler*> schedulers_;

  std::mutex mu_;  // guards everything below
  std::set<std::string> images_dirty_;
  uint64_t suffix_counter_ = 0;
};

}  // namespace dokku
