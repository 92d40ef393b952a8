// Reconciler: preparing and finishing releases, tags, images and checks:run requests.
#include <fmt/format.h>

#include <algorithm>

#include "controller/docker/image_files.h"
#include "controller/env/log.h"
#include "controller/model/app_json.h"
#include "controller/model/dokku_scale.h"
#include "controller/reconciler/reconciler.h"
#include "controller/registry/registry_credentials.h"
#include "controller/registry/registry_push.h"

namespace dokku {

namespace {

std::string ImageRepo(const std::string& app) { return "dokku/" + app; }

void FailRelease(Release* release, const std::string& error) {
  release->status = "failed";
  release->error = error;
}

}  // namespace

Status Reconciler::PrepareRelease(Pass& pass, Release* release, bool* failed) {
  *failed = false;
  pass.emit(kInfo1, fmt::format("Releasing {} ({})...", pass.app, release->image_ref));
  if (!release->trigger.empty()) pass.emit(kVerbose, fmt::format("Trigger: {}", release->trigger));
  const bool pinned = !release->image_id.empty();
  StatusOr<ImageInfo> image =
      docker_->InspectImage(pinned ? release->image_id : release->image_ref);
  if (!image.ok()) {
    if (!image.status().IsNotFound()) return image.status();
    FailRelease(release, pinned ? fmt::format("App image ({}) of release {} no longer exists",
                                              release->image_id.substr(0, 19), release->number)
                                : fmt::format("App image ({}) not found", release->image_ref));
    *failed = true;
    return pass.store->UpdateRelease(*release);
  }
  StatusOr<std::string> procfile_path =
      pass.store->ComputedProperty("ps", pass.app, "procfile-path", "Procfile");
  if (!procfile_path.ok()) return procfile_path.status();
  StatusOr<std::string> app_json_path =
      pass.store->ComputedProperty("app-json", pass.app, "appjson-path", "app.json");
  if (!app_json_path.ok()) return app_json_path.status();
  StatusOr<AppFiles> files =
      ReadAppFiles(docker_, image->id, image->working_dir, *procfile_path,
                   fmt::format("{}.probe-{}", pass.app, NewSuffix()), pass.app, *app_json_path);
  if (!files.ok()) {
    if (files.status().IsUnavailable()) return files.status();
    FailRelease(release, fmt::format("Cannot read app files from {}: {}", release->image_ref,
                                     files.status().message()));
    *failed = true;
    return pass.store->UpdateRelease(*release);
  }
  std::optional<std::vector<ProcfileEntry>> procfile;
  std::string error;
  if (files->procfile) {
    StatusOr<std::vector<ProcfileEntry>> parsed = ParseProcfile(*files->procfile);
    if (parsed.ok())
      procfile = *parsed;
    else
      error = parsed.status().message();
  }
  if (error.empty() && files->dokku_scale) {
    StatusOr<ScaleEntries> scale = ParseDokkuScale(*files->dokku_scale);
    Status valid = scale.ok() ? ValidateScaleAgainstProcfile(*scale, procfile) : scale.status();
    if (!valid.ok()) error = valid.message();
  }
  if (error.empty() && files->checks) {
    StatusOr<ChecksFile> checks = ParseChecksFile(*files->checks);
    if (!checks.ok()) error = checks.status().message();
  }
  std::optional<AppJson> app_json;
  if (error.empty() && files->app_json) {
    StatusOr<AppJson> parsed = ParseAppJson(*files->app_json);
    if (parsed.ok())
      app_json = *parsed;
    else
      error = parsed.status().message();
  }
  if (error.empty() && app_json && procfile) {
    for (const auto& [proc, f] : app_json->formation) {
      const bool known = std::any_of(procfile->begin(), procfile->end(),
                                     [&](const ProcfileEntry& e) { return e.type == proc; });
      if (f.quantity.value_or(0) > 0 && !known)
        error = fmt::format("{} is not a valid process name to scale up", proc);
    }
  }
  if (!error.empty()) {
    FailRelease(release, error);
    *failed = true;
    return pass.store->UpdateRelease(*release);
  }
  DOKKU_RETURN_IF_ERROR(PushRelease(pass, release, image->id, failed));
  if (*failed) return Status::Ok();
  release->image_id = image->id;
  release->procfile = files->procfile;
  release->checks = files->checks;
  release->dokku_scale = files->dokku_scale;
  release->app_json = files->app_json;
  std::string exposed;
  for (const std::string& p : image->exposed_ports) exposed += (exposed.empty() ? "" : " ") + p;
  release->exposed_ports = exposed;
  release->proctypes.reset();
  if (procfile) {
    std::vector<std::string> types;
    for (const ProcfileEntry& e : *procfile) types.push_back(e.type);
    release->proctypes = types;
  }
  if (app_json) {
    // Before any container is replaced; a failure leaves the old release serving.
    StatusOr<bool> ran = RunTask(pass, *release, "predeploy", app_json->predeploy);
    if (!ran.ok()) return ran.status();
    if (!app_json->predeploy.empty()) release->tasks = *ran ? "predeploy ok" : "predeploy failed";
    if (!*ran) {
      FailRelease(release, "Execution of predeploy task failed: " + app_json->predeploy);
      *failed = true;
      return pass.store->UpdateRelease(*release);
    }
  }
  release->status = "prepared";
  return pass.store->UpdateRelease(*release);
}

Status Reconciler::PushRelease(Pass& pass, Release* release, const std::string& image_id,
                               bool* failed) {
  if (!release->registry_ref.empty()) return Status::Ok();  // a rollback: its digest is known
  StatusOr<RegistrySettings> settings = pass.store->RegistrySettingsOf(pass.app);
  if (!settings.ok()) return settings.status();
  const RegistryTarget target = ComputeRegistryTarget(*settings);
  if (!target.push) return Status::Ok();
  std::optional<RegistryCredential> login;
  if (!options_.state_dir.empty()) {
    StatusOr<std::optional<RegistryCredential>> found =
        RegistryCredentials(options_.state_dir).Lookup(pass.app, target.server);
    if (!found.ok()) return found.status();
    login = *found;
  }
  StatusOr<std::string> ref =
      PushReleaseImage(*docker_, target, image_id, std::to_string(release->number),
                       RegistryAuthJson(login, target.server), pass.emit);
  if (ref.ok()) {
    release->registry_ref = *ref;
    return Status::Ok();  // stored with the prepared release
  }
  if (ref.status().IsUnavailable()) return ref.status();  // no daemon: the pass is retried
  FailRelease(release, "Unable to push image to registry: " + ref.status().message());
  *failed = true;
  return pass.store->UpdateRelease(*release);
}

Status Reconciler::RunPostdeploy(Pass& pass) {
  Release& release = *pass.release;
  if (!release.app_json) return Status::Ok();
  StatusOr<AppJson> app_json = ParseAppJson(*release.app_json);
  if (!app_json.ok()) return Status::Ok();  // checked when the release was prepared
  StatusOr<bool> ran = RunTask(pass, release, "postdeploy", app_json->postdeploy);
  if (!ran.ok()) return ran.status();
  if (app_json->postdeploy.empty()) return Status::Ok();
  release.tasks +=
      fmt::format("{}postdeploy {}", release.tasks.empty() ? "" : ", ", *ran ? "ok" : "failed");
  DOKKU_RETURN_IF_ERROR(pass.store->UpdateRelease(release));
  // Dokku's behaviour: the new containers stay live; the deploy reports the failure.
  if (!*ran) pass.failure = "Execution of postdeploy task failed: " + app_json->postdeploy;
  return Status::Ok();
}

Status Reconciler::FinishRelease(Pass& pass) {
  Release& release = *pass.release;
  if (pass.row.current_release && *pass.row.current_release != release.id) {
    StatusOr<Release> old = pass.store->GetRelease(*pass.row.current_release);
    if (old.ok() && old->status == "live") {
      old->status = "superseded";
      DOKKU_RETURN_IF_ERROR(pass.store->UpdateRelease(*old));
    }
  }
  release.status = "live";
  release.error.clear();
  DOKKU_RETURN_IF_ERROR(pass.store->UpdateRelease(release));
  DOKKU_RETURN_IF_ERROR(pass.store->SetCurrentRelease(pass.app, release.id));
  pass.row.current_release = release.id;
  std::optional<ScaleEntries> scale;
  if (release.dokku_scale) {
    StatusOr<ScaleEntries> parsed = ParseDokkuScale(*release.dokku_scale);
    if (parsed.ok()) scale = *parsed;
  }
  std::vector<std::pair<std::string, int>> listed;
  if (pass.app_json) {
    for (const auto& [proc, f] : pass.app_json->formation) {
      if (f.quantity) listed.emplace_back(proc, *f.quantity);
    }
  }
  DOKKU_RETURN_IF_ERROR(
      pass.store->MergeDeployFormation(pass.app, release.proctypes, scale, listed));
  if (release.tag != "latest") {
    // tags:deploy points :latest at the deployed image, as Dokku does.
    Status st = docker_->TagImage(release.image_id, ImageRepo(pass.app), "latest");
    if (!st.ok())
      pass.emit(kWarn,
                fmt::format("Could not tag {}:latest: {}", ImageRepo(pass.app), st.message()));
  }
  return RefreshImages(pass, true);
}

Status Reconciler::RefreshImages(Pass& pass, bool force) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool dirty = images_dirty_.erase(pass.app) > 0;
    if (!force && !dirty) return Status::Ok();
  }
  StatusOr<std::vector<ImageInfo>> images = docker_->ListImages(ImageRepo(pass.app));
  if (!images.ok()) {
    ImagesChanged(pass.app);  // try again next pass
    return images.status();
  }
  const std::string prefix = ImageRepo(pass.app) + ":";
  std::vector<ImageTag> tags;
  for (const ImageInfo& image : *images) {
    for (const std::string& ref : image.repo_tags) {
      if (ref.rfind(prefix, 0) != 0) continue;
      tags.push_back({pass.app, ref.substr(prefix.size()), image.id, image.created, image.size});
    }
  }
  return pass.store->ReplaceImages(pass.app, tags);
}

// Would removing this tag remove an image that a live or retiring container, or one of the
// last 5 live releases (kept for rollback), still needs? A tag whose image has other tags only
// untags, which is always safe.
static StatusOr<std::string> ImageInUse(Store* store, DockerApi* docker, const std::string& app,
                                        const std::string& store_label, const ImageInfo& image) {
  if (image.repo_tags.size() > 1) return std::string();
  const std::string& image_id = image.id;
  StatusOr<std::vector<ContainerSummary>> containers =
      docker->ListContainers({store_label, fmt::format("{}={}", kLabelApp, app)});
  if (!containers.ok()) return containers.status();
  for (const ContainerSummary& c : *containers) {
    if (c.image_id == image_id) return fmt::format("container {} uses it", c.name);
  }
  StatusOr<std::vector<Release>> releases = store->ListReleases(app);
  if (!releases.ok()) return releases.status();
  int live_seen = 0;
  for (auto it = releases->rbegin(); it != releases->rend() && live_seen < 5; ++it) {
    if (it->status != "live" && it->status != "superseded") continue;
    ++live_seen;
    if (it->image_id == image_id)
      return fmt::format("release {} needs it for rollback", it->number);
  }
  return std::string();
}

Status Reconciler::ApplyTagOps(Pass& pass) {
  StatusOr<std::vector<TagOp>> ops = pass.store->PendingTagOps(pass.app);
  if (!ops.ok()) return ops.status();
  for (const TagOp& op : *ops) {
    const std::string ref = fmt::format("{}:{}", ImageRepo(pass.app), op.tag);
    std::string error;
    if (op.op == "create") {
      Status st = docker_->TagImage(op.image_id, ImageRepo(pass.app), op.tag);
      if (st.IsUnavailable()) return st;
      if (st.ok())
        pass.emit(kInfo2, fmt::format("Added {} tag to {}", op.tag, ImageRepo(pass.app)));
      else
        error = st.message();
    } else {
      StatusOr<ImageInfo> image = docker_->InspectImage(ref);
      if (!image.ok()) {
        if (image.status().IsUnavailable()) return image.status();
        error = fmt::format("Tag {} not found for {}", op.tag, ImageRepo(pass.app));
      } else {
        StatusOr<std::string> in_use =
            ImageInUse(pass.store, docker_, pass.app,
                       fmt::format("{}={}", kLabelStore, options_.store_id), *image);
        if (!in_use.ok()) return in_use.status();
        if (!in_use->empty()) {
          error =
              fmt::format("Refusing to remove {}: its image is still in use ({})", ref, *in_use);
        } else {
          Status st = docker_->RemoveImage(ref);
          if (st.IsUnavailable()) return st;
          if (st.ok())
            pass.emit(kVerbose, fmt::format("Untagged: {}", ref));
          else
            error = st.message();
        }
      }
    }
    if (!error.empty()) pass.failure = error;
    DOKKU_RETURN_IF_ERROR(pass.store->FinishTagOp(op.id, error.empty(), error));
    ImagesChanged(pass.app);
  }
  return RefreshImages(pass, false);
}

Status Reconciler::AnswerRequests(Pass& pass) {
  StatusOr<std::vector<Request>> requests = pass.store->PendingRequests(pass.app);
  if (!requests.ok()) return requests.status();
  for (const Request& req : *requests) {
    if (req.kind != "checks:run") {
      DOKKU_RETURN_IF_ERROR(
          pass.store->FinishRequest(req.id, false, "unknown request " + req.kind));
      continue;
    }
    std::vector<std::pair<std::string, int>> wanted;  // index 0: every index
    size_t start = 0;
    while (start < req.args.size()) {
      size_t comma = req.args.find(',', start);
      if (comma == std::string::npos) comma = req.args.size();
      std::string item = req.args.substr(start, comma - start);
      std::string proctype;
      int index = 0;
      if (!ParseDyno(item, &proctype, &index)) proctype = item, index = 0;
      if (!item.empty()) wanted.emplace_back(proctype, index);
      start = comma + 1;
    }
    pass.emit(kInfo1, "Running pre-flight checks");
    Scheduler* scheduler = Find(pass.scheduler);
    int failed = 0;
    for (const DesiredProc& proc : pass.desired.procs) {
      bool named = wanted.empty() || std::any_of(wanted.begin(), wanted.end(),
                                                 [&](auto& w) { return w.first == proc.proctype; });
      if (!named || proc.quantity == 0) continue;
      if (proc.checks == ChecksMode::kDisabled) {
        pass.emit(kInfo1, fmt::format("Zero downtime is disabled for app ({}.{}). Skipping checks",
                                      pass.app, proc.proctype));
        continue;
      }
      auto index_named = [&](int index) {
        return wanted.empty() || std::any_of(wanted.begin(), wanted.end(), [&](auto& w) {
                 return w.first == proc.proctype && (w.second == 0 || w.second == index);
               });
      };
      if (scheduler != nullptr)
        DOKKU_RETURN_IF_ERROR(scheduler->CheckLive(pass, proc, index_named, &failed));
    }
    std::string result =
        failed ? fmt::format("Could not start due to {} failed checks", failed) : "";
    DOKKU_RETURN_IF_ERROR(pass.store->FinishRequest(req.id, failed == 0, result));
  }
  return Status::Ok();
}

}  // namespace dokku
