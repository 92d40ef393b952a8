// Reconciler: what an app should run, from its release, formation and properties.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

#include "controller/env/log.h"
#include "controller/model/dokku_scale.h"
#include "controller/reconciler/reconciler.h"
#include "store/parse_int.h"
#include "store/validation.h"

namespace dokku {

namespace {

bool Listed(const std::vector<std::string>& list, const std::string& proctype) {
  return std::find(list.begin(), list.end(), "_all_") != list.end() ||
         std::find(list.begin(), list.end(), proctype) != list.end();
}

}  // namespace

static Status LoadProperties(Store* store, AppPass& pass) {
  auto get = [&](const char* plugin, const std::string& app, const char* key,
                 const char* fallback) -> StatusOr<std::string> {
    return app == kGlobal ? store->GetProperty(plugin, kGlobal, key)
                          : store->ComputedProperty(plugin, app, key, fallback);
  };
  StatusOr<std::string> policy = get("ps", pass.app, "restart-policy", "on-failure:10");
  StatusOr<std::string> retire = get("checks", pass.app, "wait-to-retire", "60");
  StatusOr<std::string> wait = get("checks", kGlobal, "default-wait", "10");
  StatusOr<std::string> parallel = get("ps", pass.app, "max-parallel", "1");
  StatusOr<std::string> start_cmd = store->GetProperty("ps", pass.app, "start-cmd");
  StatusOr<std::string> dockerfile_cmd = store->GetProperty("ps", pass.app, "dockerfile-start-cmd");
  StatusOr<std::string> domain = get("domains", kGlobal, "vhost", "");
  StatusOr<std::string> extra_domains = store->GetProperty("domains", pass.app, "vhosts");
  StatusOr<std::string> scheduler =
      get("scheduler", pass.app, "selected", kDefaultScheduler.data());
  StatusOr<std::string> constraints = get("scheduler", pass.app, "constraints", "");
  StatusOr<std::string> per_node = get("scheduler", pass.app, "max-replicas-per-node", "0");
  StatusOr<std::string> disabled = store->GetProperty("checks", pass.app, "disabled");
  StatusOr<std::string> skipped = store->GetProperty("checks", pass.app, "skipped");
  for (const auto* s :
       {&policy, &retire, &wait, &parallel, &domain, &scheduler, &disabled, &skipped, &start_cmd,
        &dockerfile_cmd, &extra_domains, &constraints, &per_node}) {
    if (!s->ok()) return s->status();
  }
  StatusOr<std::vector<StorageMount>> mounts = store->ListStorageMounts(pass.app);
  if (!mounts.ok()) return mounts.status();
  StatusOr<std::vector<ResourceSetting>> resources = store->ListResources(pass.app);
  if (!resources.ok()) return resources.status();
  StatusOr<std::vector<DockerOption>> options = store->ListDockerOptions(pass.app);
  if (!options.ok()) return options.status();
  pass.mounts = *mounts;
  pass.resources = *resources;
  pass.docker_options = *options;
  DOKKU_RETURN_IF_ERROR(LoadStopTimeout(pass));
  pass.restart_policy = *policy;
  pass.wait_to_retire = SettingInt(*retire, 60);
  pass.default_wait = wait->empty() ? 10 : SettingInt(*wait, 10);
  pass.max_parallel = std::max(SettingInt(*parallel, 1), 1);
  pass.start_cmd = start_cmd->empty() ? *dockerfile_cmd : *start_cmd;
  pass.domain = *domain;
  pass.extra_domains = SplitCommaList(*extra_domains);
  pass.scheduler = *scheduler;
  pass.swarm_constraints = SplitCommaList(*constraints);
  pass.swarm_max_replicas_per_node = SettingInt(*per_node, 0);
  pass.checks_disabled = SplitCommaList(*disabled);
  pass.checks_skipped = SplitCommaList(*skipped);
  return Status::Ok();
}

// Picks the release to run: the desired one once prepared, else the live one.
// The desired release once it is ready, else the current one. With ps skip-deploy a release
// that never went live is recorded but not started: what runs keeps running.
static StatusOr<std::optional<Release>> ReleaseToRun(Store* store, const App& row) {
  StatusOr<std::string> skip = store->ComputedProperty("ps", row.name, "skip-deploy", "false");
  if (!skip.ok()) return skip.status();
  const std::optional<int64_t> desired =
      *skip == "true" ? row.current_release : row.desired_release;
  for (const auto& id : {desired, row.current_release}) {
    if (!id) continue;
    StatusOr<Release> r = store->GetRelease(*id);
    if (!r.ok()) return r.status();
    if (r->status == "prepared" || r->status == "rolling" || r->status == "live") {
      return std::optional<Release>(*r);
    }
  }
  return std::optional<Release>();
}

Status Reconciler::BuildDesired(Pass& pass) {
  DOKKU_RETURN_IF_ERROR(LoadProperties(pass.store, pass));
  StatusOr<std::optional<Release>> release = ReleaseToRun(pass.store, pass.row);
  if (!release.ok()) return release.status();
  pass.release = *release;
  pass.release_rollout = pass.release && pass.release->id != pass.row.current_release;
  StatusOr<std::vector<FormationEntry>> formation = pass.store->GetFormation(pass.app);
  if (!formation.ok()) return formation.status();
  pass.formation = *formation;
  StatusOr<std::map<std::string, std::string>> env = pass.store->GetMergedConfig(pass.app);
  if (!env.ok()) return env.status();
  pass.env = std::move(*env);
  StatusOr<std::vector<PortMap>> ports = pass.store->GetPorts(pass.app);
  if (!ports.ok()) return ports.status();
  if (pass.release) {
    pass.web_port =
        WebContainerPort(ports->empty() ? DetectedPortMaps(pass.release->exposed_ports) : *ports);
  }

  DesiredApp& d = pass.desired;
  d.running = pass.row.desired_running;
  d.deployed = pass.release.has_value();
  d.proxied = options_.proxy_enabled;
  pass.server_names = ServerNames(pass);
  pass.urls = Urls(pass);
  if (!d.deployed) return Status::Ok();

  const Release& r = *pass.release;
  if (r.procfile) {
    StatusOr<std::vector<ProcfileEntry>> parsed = ParseProcfile(*r.procfile);
    if (parsed.ok()) pass.procfile = *parsed;
  }
  if (r.checks) {
    StatusOr<ChecksFile> parsed = ParseChecksFile(*r.checks);
    if (parsed.ok()) pass.checks = *parsed;
  }
  if (r.app_json) {
    StatusOr<AppJson> parsed = ParseAppJson(*r.app_json);
    if (parsed.ok()) pass.app_json = *parsed;
  }
  std::map<std::string, int> quantities;
  std::map<std::string, int64_t> restart_generations;
  for (const FormationEntry& f : pass.formation) {
    quantities[f.proctype] = f.held_quantity ? *f.held_quantity : f.quantity;
    restart_generations[f.proctype] = f.restart_generation;
  }
  if (r.dokku_scale) {
    // The image's DOKKU_SCALE overrides every local setting (the seed).
    StatusOr<ScaleEntries> scale = ParseDokkuScale(*r.dokku_scale);
    if (scale.ok()) {
      for (auto& [proc, q] : quantities) q = 0;
      for (const auto& [proc, q] : *scale) quantities[proc] = q;
    }
  }
  if (pass.app_json) {
    // app.json's formation quantities win for the types it lists; the others keep their scale.
    for (const auto& [proc, f] : pass.app_json->formation) {
      if (f.quantity) quantities[proc] = *f.quantity;
    }
  }
  for (const auto& [proctype, quantity] : quantities) {
    DesiredProc p;
    p.proctype = proctype;
    p.quantity = quantity;
    if (pass.procfile) {
      bool known = std::any_of(pass.procfile->begin(), pass.procfile->end(),
                               [&](const ProcfileEntry& e) { return e.type == proctype; });
      if (!known) {
        if (quantity > 0 && pass.release_rollout) {
          pass.emit(kWarn, fmt::format("Skipping {} as it is missing from the current Procfile",
                                       proctype));
        }
        p.quantity = 0;
      }
    }
    p.checks = Listed(pass.checks_disabled, proctype)  ? ChecksMode::kDisabled
               : Listed(pass.checks_skipped, proctype) ? ChecksMode::kSkipped
                                                       : ChecksMode::kEnabled;
    p.max_parallel = pass.max_parallel;
    if (pass.app_json) {
      // app.json's formation names the type's own batch size; ps:set max-parallel the rest.
      auto f = pass.app_json->formation.find(proctype);
      if (f != pass.app_json->formation.end() && f->second.max_parallel)
        p.max_parallel = *f->second.max_parallel;
    }
    p.spec_hash = StableHash(
        fmt::format("{}|{}|{}", SpecHash(pass, proctype), restart_generations[proctype], r.id));
    d.procs.push_back(p);
  }
  return Status::Ok();
}

std::string Reconciler::SpecHash(const Pass& pass, const std::string& proctype) const {
  const bool web = proctype == "web";
  std::string spec = fmt::format("{}|{}|{}|{}|{}", pass.release ? pass.release->image_id : "",
                                 proctype, pass.CommandOf(proctype), web ? pass.web_port : 0,
                                 web && !options_.proxy_enabled);
  // Mounts and resources join the hash only when set: containers without any keep theirs.
  std::string host = HostSettingsOf(pass, proctype).HashKey();
  if (!host.empty()) spec += "|host:" + host;
  return StableHash(spec);
}

std::vector<std::string> Reconciler::ServerNames(const Pass& pass) const {
  std::vector<std::string> names = {
      fmt::format("{}.{}", pass.app, pass.domain.empty() ? "localhost" : pass.domain)};
  for (const std::string& d : pass.extra_domains) {
    if (std::find(names.begin(), names.end(), d) == names.end()) names.push_back(d);
  }
  return names;
}

std::vector<std::string> Reconciler::Urls(const Pass& pass) const {
  std::vector<std::string> urls;
  if (options_.proxy_enabled) {
    std::string port;
    size_t colon = options_.proxy_listen.rfind(':');
    std::string p = colon == std::string::npos ? options_.proxy_listen
                                               : options_.proxy_listen.substr(colon + 1);
    if (p != "80") port = ":" + p;
    for (const std::string& name : ServerNames(pass))
      urls.push_back(fmt::format("http://{}{}", name, port));
    return urls;
  }
  return urls;  // filled from observed host ports by the caller
}

}  // namespace dokku
