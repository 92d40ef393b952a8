// Reconciler: retiring old containers and removing everything an app owned.
#include <fmt/format.h>

#include "controller/env/log.h"
#include "controller/reconciler/reconciler_pass.h"

namespace dokku {

Status StopAndRemove(DockerApi* docker, const std::string& id, int stop_timeout) {
  Status st = docker->StopContainer(id, stop_timeout);
  if (!st.ok() && !st.IsNotFound()) return st;
  return docker->RemoveContainer(id);
}

Status Reconciler::RetireDue(Pass& pass, int64_t* next_due_ms) {
  const int64_t now = clock_->NowMs();
  std::vector<Retirement> due, later;
  for (const Retirement& r : pass.retirements) (r.retire_at <= now ? due : later).push_back(r);
  if (due.empty()) return Status::Ok();
  DOKKU_RETURN_IF_ERROR(LoadStopTimeout(pass));
  const int stop_timeout = pass.stop_timeout;
  std::vector<Status> results(due.size());
  ParallelFor(static_cast<int>(due.size()), options_.docker_parallel, [&](int i) {
    results[i] = StopAndRemove(docker_, due[i].container_id, stop_timeout);
  });
  for (size_t i = 0; i < due.size(); ++i) {
    if (!results[i].ok()) {
      later.push_back(due[i]);
      Log(LogLevel::kWarning, "{}: cannot retire {}: {}", pass.app, due[i].container_id,
          results[i].message());
      continue;
    }
    Log(LogLevel::kInfo, "{}: retired {}", pass.app, due[i].container_id.substr(0, 12));
    DOKKU_RETURN_IF_ERROR(pass.store->RemoveRetirement(due[i].container_id));
    pass.docker_changed = true;
  }
  pass.retirements = later;
  for (const Status& st : results) {
    if (st.IsUnavailable()) return st;
  }
  *next_due_ms = 0;
  return Status::Ok();
}

StatusOr<ReconcileResult> Reconciler::RemoveEverything(Pass& pass, bool purge_row) {
  StatusOr<std::vector<ActualContainer>> actual = ListActual(pass);
  if (!actual.ok()) return actual.status();
  if (proxy_ != nullptr) DOKKU_RETURN_IF_ERROR(proxy_->Remove(pass.app));
  int64_t unused_requeue = 0;
  DOKKU_RETURN_IF_ERROR(RemoveSwarmServices(pass, /*now=*/true, &unused_requeue));
  // An app without a row has no settings left: the default. One being deleted still has its
  // own, and a store error reading it is no reason to keep its containers.
  int stop_timeout = 30;
  if (purge_row && LoadStopTimeout(pass).ok()) stop_timeout = pass.stop_timeout;
  std::vector<std::string> ids;
  for (const ActualContainer& c : *actual) ids.push_back(c.id);
  for (const Retirement& r : pass.retirements) {
    if (std::find(ids.begin(), ids.end(), r.container_id) == ids.end())
      ids.push_back(r.container_id);
  }
  std::vector<Status> results(ids.size());
  ParallelFor(static_cast<int>(ids.size()), options_.docker_parallel,
              [&](int i) { results[i] = StopAndRemove(docker_, ids[i], stop_timeout); });
  for (const Status& st : results) DOKKU_RETURN_IF_ERROR(st);
  for (const Retirement& r : pass.retirements) {
    DOKKU_RETURN_IF_ERROR(pass.store->RemoveRetirement(r.container_id));
  }
  if (!ids.empty()) Log(LogLevel::kInfo, "{}: removed {} containers", pass.app, ids.size());
  if (purge_row) {
    // apps:destroy removes the app's image tags, as Dokku does; an image another repository
    // or container still uses stays (Docker refuses, and that is fine).
    StatusOr<std::vector<ImageInfo>> images = docker_->ListImages("dokku/" + pass.app);
    if (!images.ok()) return images.status();
    for (const ImageInfo& image : *images) {
      for (const std::string& ref : image.repo_tags) {
        if (ref.rfind("dokku/" + pass.app + ":", 0) != 0) continue;
        Status st = docker_->RemoveImage(ref);
        if (st.IsUnavailable()) return st;
      }
    }
    DOKKU_RETURN_IF_ERROR(pass.store->PurgeApp(pass.app));
  } else {
    DOKKU_RETURN_IF_ERROR(pass.store->ReplaceContainers(pass.app, {}));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    blocked_.erase(pass.app);
  }
  return ReconcileResult{};
}

}  // namespace dokku
