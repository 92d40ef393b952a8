// Reconciler: removing everything an app owned, on every scheduler, and its image tags.
#include <fmt/format.h>

#include "controller/env/log.h"
#include "controller/reconciler/reconciler.h"

namespace dokku {

StatusOr<ReconcileResult> Reconciler::RemoveEverything(Pass& pass, bool purge_row) {
  if (proxy_ != nullptr) DOKKU_RETURN_IF_ERROR(proxy_->Remove(pass.app));
  // An app without a row has no settings left: the default. One being deleted still has its
  // own, and a store error reading it is no reason to keep its containers.
  if (!purge_row || !LoadStopTimeout(pass).ok()) pass.stop_timeout = 30;
  for (Scheduler* s : schedulers_) DOKKU_RETURN_IF_ERROR(s->Teardown(pass));
  if (purge_row) {
    // `dokku run` containers go with their app (the schedulers do not list them).
    StatusOr<std::vector<ContainerSummary>> runs =
        docker_->ListContainers({fmt::format("{}={}", kLabelRunStore, options_.store_id),
                                 fmt::format("{}={}", kLabelApp, pass.app)});
    if (!runs.ok()) return runs.status();
    for (const ContainerSummary& c : *runs) DOKKU_RETURN_IF_ERROR(docker_->RemoveContainer(c.id));
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
  return ReconcileResult{};
}

}  // namespace dokku
