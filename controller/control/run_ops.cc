// The control socket's one-off containers: `run` (attached, exit code returned, removed after),
// `run:detached`, `run:list`, `run:stop`, and `enter` (exec in a live container). A run
// container is made from the app's live release with its config vars, run-phase mounts and
// options and its resource limits; it is named <app>.run.<n> as Dokku names it.
#include <fmt/format.h>

#include <chrono>
#include <random>
#include <thread>

#include "controller/control/control_ops.h"
#include "controller/model/naming.h"
#include "controller/model/operate.h"
#include "controller/model/procfile.h"
#include "controller/scheduler/scheduler.h"
#include "store/store.h"

namespace dokku::control {
namespace {

constexpr int kRunStopTimeout = 10;
constexpr int kNameAttempts = 20;

int FailWith(Session& session, const Status& status) {
  for (size_t start = 0; start <= status.message().size();) {
    size_t nl = status.message().find('\n', start);
    if (nl == std::string::npos) nl = status.message().size();
    session.Warn(status.message().substr(start, nl - start));
    start = nl + 1;
  }
  return 1;
}

std::vector<std::string> StringList(const nlohmann::json& request, const char* key) {
  std::vector<std::string> out;
  if (!request.contains(key) || !request[key].is_array()) return out;
  for (const nlohmann::json& v : request[key]) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

// The app's live release, and the settings a run container takes from it.
struct RunSource {
  Release release;
  std::optional<std::vector<ProcfileEntry>> procfile;
  HostSettings settings;
  std::map<std::string, std::string> env;
};

StatusOr<RunSource> LoadRunSource(const ControlDeps& deps, const std::string& app) {
  StatusOr<std::unique_ptr<Store>> store = Store::OpenStateDir(deps.state_dir);
  if (!store.ok()) return store.status();
  StatusOr<App> row = (*store)->GetApp(app);
  if (!row.ok()) return row.status();
  if (!row->current_release)
    return Status::FailedPrecondition(fmt::format("App {} has not been deployed", app));
  RunSource src;
  StatusOr<Release> release = (*store)->GetRelease(*row->current_release);
  if (!release.ok()) return release.status();
  src.release = *release;
  if (src.release.procfile) {
    StatusOr<std::vector<ProcfileEntry>> parsed = ParseProcfile(*src.release.procfile);
    if (parsed.ok()) src.procfile = *parsed;
  }
  AppPass pass;
  pass.store = store->get();
  pass.app = app;
  StatusOr<std::vector<StorageMount>> mounts = (*store)->ListStorageMounts(app);
  StatusOr<std::vector<ResourceSetting>> resources = (*store)->ListResources(app);
  StatusOr<std::vector<DockerOption>> options = (*store)->ListDockerOptions(app);
  StatusOr<std::map<std::string, std::string>> env = (*store)->GetMergedConfig(app);
  for (const Status* s :
       {&mounts.status(), &resources.status(), &options.status(), &env.status()}) {
    if (!s->ok()) return *s;
  }
  pass.mounts = *mounts;
  pass.resources = *resources;
  pass.docker_options = *options;
  DOKKU_RETURN_IF_ERROR(CheckHostAccess(deps.host_access, pass.mounts, pass.docker_options));
  src.settings = HostSettingsOf(pass, "run", "run");
  src.env = *env;
  return src;
}

// The command: a Procfile process type's command when the first word names one (the rest are
// its arguments), else the words as given; nothing given is a shell.
std::vector<std::string> RunCommand(const RunSource& src, const std::vector<std::string>& words,
                                    std::string* found) {
  if (words.empty()) return {"/bin/sh"};
  if (src.procfile) {
    for (const ProcfileEntry& e : *src.procfile) {
      if (e.type != words[0]) continue;
      *found = e.type;
      std::vector<std::string> cmd = {"/bin/sh", "-c", e.command + " \"$@\"", "sh"};
      cmd.insert(cmd.end(), words.begin() + 1, words.end());
      return cmd;
    }
  }
  return words;
}

ContainerSpec RunSpec(const ControlDeps& deps, const RunSource& src, const nlohmann::json& request,
                      const std::string& app) {
  ContainerSpec spec;
  ApplyHostSettings(src.settings, &spec);
  spec.image = src.release.image_id;
  spec.restart_policy = "no";
  spec.stop_timeout = kRunStopTimeout;
  for (const auto& [key, value] : src.env) spec.env.push_back(key + "=" + value);
  spec.labels = {{kLabelApp, app},
                 {kLabelContainerType, "run"},
                 {kLabelRunStore, deps.store_id},
                 {kLabelDeadline, std::to_string(request.value("ttl", 86400))}};
  spec.tty = request.value("tty", false);
  return spec;
}

// Creates the container under a free <app>.run.<n> name.
StatusOr<std::string> CreateRun(const ControlDeps& deps, ContainerSpec spec,
                                const std::vector<std::string>& overrides, const std::string& app,
                                std::string* name) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> pick(1, 32767);
  const std::vector<std::string> base_env = spec.env;
  for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
    const int n = pick(rng);
    spec.name = fmt::format("{}.run.{}", app, n);
    spec.env = base_env;
    spec.env.push_back(fmt::format("DYNO=run.{}", n));
    spec.env.insert(spec.env.end(), overrides.begin(), overrides.end());  // --env wins
    StatusOr<std::string> id = deps.docker->CreateContainer(spec);
    if (id.ok()) *name = spec.name;
    if (!id.status().IsConflict()) return id;
  }
  return Status::Conflict("no free run container name");
}

int RunAttached(const ControlDeps& deps, Session& session, const std::string& id, bool tty,
                const nlohmann::json& request) {
  StatusOr<HijackedStream> stream = deps.io->Attach(id);
  Status started = stream.ok() ? deps.docker->StartContainer(id) : stream.status();
  if (!started.ok()) {
    (void)deps.docker->RemoveContainer(id);
    return FailWith(session, started);
  }
  auto resize = [&](int rows, int cols) { (void)deps.io->Resize("containers", id, rows, cols); };
  if (tty && request.value("rows", 0) > 0)
    resize(request.value("rows", 0), request.value("cols", 0));
  Status relayed = Relay(session, *stream, tty, resize);
  if (!relayed.ok()) {
    // The client is gone (or the stream broke): nobody will read the rest of this run.
    (void)deps.docker->KillContainer(id, "KILL");
    (void)deps.docker->RemoveContainer(id);
    return 137;
  }
  StatusOr<int> code = deps.docker->WaitContainer(id, 60);
  Status removed = deps.docker->RemoveContainer(id);
  if (!code.ok()) return FailWith(session, code.status());
  if (!removed.ok())
    session.Warn(fmt::format("Unable to remove run container: {}", removed.message()));
  return *code;
}

}  // namespace

int ServeRun(const ControlDeps& deps, Session& session, const nlohmann::json& request) {
  const std::string app = request.value("app", "");
  StatusOr<RunSource> src = LoadRunSource(deps, app);
  if (!src.ok()) return FailWith(session, src.status());
  ContainerSpec spec = RunSpec(deps, *src, request, app);
  std::string found;
  spec.cmd = RunCommand(*src, StringList(request, "cmd"), &found);
  if (!found.empty()) {
    spec.labels[kLabelProcType] = found;
    spec.env.push_back("PORT=5000");
    session.Out(fmt::format("-----> Found '{}' in Procfile, running that command\n", found));
  }
  const bool detached = request.value("detached", false);
  spec.open_stdin = !detached;
  spec.auto_remove = detached;  // nobody waits for a detached run: Docker removes it on exit
  std::string name;
  StatusOr<std::string> id = CreateRun(deps, spec, StringList(request, "env"), app, &name);
  if (!id.ok()) return FailWith(session, id.status());
  if (!detached) return RunAttached(deps, session, *id, spec.tty, request);
  Status started = deps.docker->StartContainer(*id);
  if (!started.ok()) {
    (void)deps.docker->RemoveContainer(*id);
    return FailWith(session, started);
  }
  session.Out(name + "\n");
  return 0;
}

int ServeRunList(const ControlDeps& deps, Session& session, const nlohmann::json& request) {
  StatusOr<std::vector<ContainerSummary>> runs = RunContainers(deps, request.value("app", ""));
  if (!runs.ok()) return FailWith(session, runs.status());
  nlohmann::json list = nlohmann::json::array();
  for (const ContainerSummary& c : *runs) {
    std::string command;
    if (StatusOr<std::string> doc = deps.io->InspectJson(c.id); doc.ok()) {
      nlohmann::json j = nlohmann::json::parse(*doc, nullptr, false);
      if (j.is_object() && j["Path"].is_string() && j["Args"].is_array()) {
        std::vector<std::string> args;
        for (const nlohmann::json& a : j["Args"])
          args.push_back(a.is_string() ? a.get<std::string>() : a.dump());
        command = QuotedCommand(j["Path"].get<std::string>(), args);
      }
    }
    list.push_back(
        {{"name", c.name}, {"state", c.state}, {"command", command}, {"created", c.created}});
  }
  session.Out(list.dump() + "\n");
  return 0;
}

int ServeRunStop(const ControlDeps& deps, Session& session, const nlohmann::json& request) {
  StatusOr<std::vector<ContainerSummary>> runs = RunContainers(deps, request.value("app", ""));
  if (!runs.ok()) return FailWith(session, runs.status());
  const std::string only = request.value("container", "");
  if (only.empty() && runs->empty()) {
    session.Out("No run containers exist\n");
    return 0;
  }
  int rc = 0;
  bool matched = false;
  for (const ContainerSummary& c : *runs) {
    if (!only.empty() && c.name != only) continue;
    matched = true;
    if (c.state != "running") {
      session.Warn("Specified container does not exist");
      continue;
    }
    Status stopped = deps.docker->StopContainer(c.id, kRunStopTimeout);
    if (!stopped.ok()) stopped = deps.docker->KillContainer(c.id, "KILL");
    if (!stopped.ok()) {
      session.Warn(fmt::format("Unable to stop container {}", c.name));
      rc = 1;
      continue;
    }
    session.Out(c.name + "\n");
  }
  if (!only.empty() && !matched) session.Warn("Specified container does not exist");
  return rc;
}

int ServeEnter(const ControlDeps& deps, Session& session, const nlohmann::json& request) {
  const std::string app = request.value("app", "");
  StatusOr<std::vector<ContainerSummary>> live = LiveContainers(deps, app, "");
  if (!live.ok()) return FailWith(session, live.status());
  std::vector<EnterCandidate> candidates;
  for (const ContainerSummary& c : *live) {
    EnterCandidate e{c.id, "", 0, c.state == "running"};
    auto dyno = c.labels.find(kLabelDyno);
    if (dyno != c.labels.end()) ParseDyno(dyno->second, &e.proctype, &e.index);
    candidates.push_back(std::move(e));
  }
  StatusOr<EnterCandidate> target = PickEnterTarget(candidates, app, request.value("target", ""),
                                                    request.value("container_id", ""));
  if (!target.ok()) return FailWith(session, target.status());
  std::vector<std::string> cmd = StringList(request, "cmd");
  if (cmd.empty()) cmd = {"/bin/sh"};
  const bool tty = request.value("tty", false);
  StatusOr<std::string> exec = deps.io->CreateExec(target->id, cmd, tty);
  if (!exec.ok()) return FailWith(session, exec.status());
  StatusOr<HijackedStream> stream = deps.io->StartExec(*exec, tty);
  if (!stream.ok()) return FailWith(session, stream.status());
  auto resize = [&](int rows, int cols) { (void)deps.io->Resize("exec", *exec, rows, cols); };
  if (tty && request.value("rows", 0) > 0)
    resize(request.value("rows", 0), request.value("cols", 0));
  if (!Relay(session, *stream, tty, resize).ok()) return 137;
  // The exec may be reported running for a moment after its stream ended.
  for (int i = 0; i < 100; ++i) {
    StatusOr<int> code = deps.io->ExecExitCode(*exec);
    if (code.ok()) return *code;
    if (code.status().code() != StatusCode::kInvalidArgument)
      return FailWith(session, code.status());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return FailWith(session, Status::Unavailable("the command's exit code is unknown"));
}

}  // namespace dokku::control
