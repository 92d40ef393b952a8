#include "controller/daemon/daemon.h"

#include <curl/curl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <set>
#include <thread>

#include "controller/checks/checks_runner.h"
#include "controller/control/control_server.h"
#include "controller/control/peer_auth.h"
#include "controller/control/protocol.h"
#include "controller/daemon/sd_notify.h"
#include "controller/daemon/state_lock.h"
#include "controller/docker/container_io.h"
#include "controller/docker/docker_client.h"
#include "controller/docker/event_watcher.h"
#include "controller/env/command_runner.h"
#include "controller/env/log.h"
#include "controller/http/transport_pool.h"
#include "controller/model/naming.h"
#include "controller/reconciler/reconciler.h"
#include "controller/reconciler/work_queue.h"
#include "controller/scheduler/local/local_scheduler.h"
#include "controller/scheduler/swarm/swarm_api.h"
#include "controller/scheduler/swarm/swarm_backend.h"
#include "controller/scheduler/swarm/swarm_scheduler.h"
#include "store/store.h"

namespace dokku {

namespace {

// With a control group, its members run the CLI, which writes the database: the state dir
// and the database files become group-writable (SQLite gives its -wal and -shm files the
// database file's mode and owner). The directory is setgid so files made later keep the group.
void ShareStateWithGroup(const std::string& state_dir, const std::string& group_name) {
  std::optional<gid_t> group = control::LookupGroup(group_name);
  if (!group) return;
  auto share = [&](const std::string& path, mode_t mode) {
    if (::chown(path.c_str(), static_cast<uid_t>(-1), *group) == 0) {
      (void)::chmod(path.c_str(), mode);
    } else if (errno != ENOENT) {
      Log(LogLevel::kWarning, "cannot give {} to group {}: {}", path, group_name, strerror(errno));
    }
  };
  share(state_dir, 02770);
  for (const char* suffix : {"", "-wal", "-shm"}) share(DatabasePath(state_dir) + suffix, 0660);
}

// How often run containers past their deadline are retired (Dokku's ps:retire timer).
constexpr int64_t kRunRetireMs = 5 * 60 * 1000;

// Everything the daemon's threads share.
class Daemon {
 public:
  explicit Daemon(const DaemonOptions& options) : options_(options), queue_(RealClock::Get()) {}
  int Run();

 private:
  Status Setup();
  void WaitForDocker();
  void WorkerLoop();
  void OnDockerEvent(const DockerEvent& event);
  Status EnqueueAll();
  Status PollChanges();
  void SignalLoop(sigset_t set);
  bool Settled();

  const DaemonOptions& options_;
  WorkQueue queue_;
  std::atomic<bool> stop_{false};
  std::atomic<int> busy_{0};
  std::mutex mu_;
  std::condition_variable wake_;

  std::unique_ptr<Store> store_;  // main thread only
  std::string store_id_;
  StateDirLock lock_;
  std::unique_ptr<TransportPool> transport_;
  std::unique_ptr<DockerClient> docker_;
  ShellCommandRunner runner_;
  std::unique_ptr<CurlUnixTransport> nginx_control_;  // outlives proxy_ (its watch thread)
  std::unique_ptr<NginxProxy> proxy_;
  CurlHttpProber prober_;
  RealSleeper sleeper_;
  std::unique_ptr<SwarmClient> swarm_api_;
  std::unique_ptr<SwarmScheduler> swarm_;
  // The schedulers, peers behind controller/scheduler/scheduler.h: one line each below.
  std::unique_ptr<LocalScheduler> local_backend_;
  std::unique_ptr<SwarmBackend> swarm_backend_;
  std::unique_ptr<Reconciler> reconciler_;
  std::unique_ptr<DockerContainerIo> container_io_;
  std::unique_ptr<control::ControlServer> control_;
  int64_t last_seq_ = 0;
  int64_t last_data_version_ = -1;
};

Status Daemon::Setup() {
  StatusOr<std::unique_ptr<Store>> store = Store::OpenStateDir(options_.state_dir);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  // Before anything touches Docker: two daemons on one store would fight over its containers.
  DOKKU_RETURN_IF_ERROR(lock_.Acquire(options_.state_dir));
  StatusOr<std::string> id = store_->StoreId();
  if (!id.ok()) return id.status();
  store_id_ = *id;

  StatusOr<std::string> socket = SocketPathFromDockerHost(options_.docker_host);
  if (!socket.ok()) return socket.status();
  std::vector<std::unique_ptr<HttpTransport>> transports;
  for (int i = 0; i < std::max(1, options_.docker_parallel); ++i) {
    transports.push_back(std::make_unique<CurlUnixTransport>(*socket));
  }
  transport_ = std::make_unique<TransportPool>(std::move(transports));
  docker_ = std::make_unique<DockerClient>(transport_.get());
  if (options_.proxy == "nginx") {
    proxy_ = std::make_unique<NginxProxy>(options_.nginx, &runner_);
    if (!options_.nginx.control_socket.empty()) {
      nginx_control_ = std::make_unique<CurlUnixTransport>(options_.nginx.control_socket);
    }
    proxy_->Start(nginx_control_.get());  // says once if cutovers fall back to reloads
  } else if (options_.proxy != "none") {
    return Status::InvalidArgument("--proxy must be nginx or none");
  }
  ReconcilerOptions ro;
  ro.store_id = store_id_;
  // Members of the control group write the database: its settings get no more of the host
  // than the apps' storage directory.
  ro.host_access = {control::LookupGroup(options_.control_group).has_value(),
                    options_.state_dir + "/data/storage"};
  ro.proxy_enabled = proxy_ != nullptr;
  ro.proxy_listen = options_.nginx.listen;
  ro.state_dir = options_.state_dir;
  swarm_api_ = std::make_unique<SwarmClient>(transport_.get());
  swarm_ = std::make_unique<SwarmScheduler>(swarm_api_.get(), RealClock::Get());
  local_backend_ = std::make_unique<LocalScheduler>(
      docker_.get(), proxy_.get(), &prober_, &sleeper_, RealClock::Get(),
      LocalSchedulerOptions{store_id_, ro.proxy_enabled, options_.docker_parallel});
  swarm_backend_ = std::make_unique<SwarmBackend>(swarm_.get(), docker_.get(), &sleeper_,
                                                  RealClock::Get(), store_id_);
  reconciler_ = std::make_unique<Reconciler>(
      docker_.get(), proxy_.get(), RealClock::Get(), ro,
      std::vector<Scheduler*>{local_backend_.get(), swarm_backend_.get()});
  ShareStateWithGroup(options_.state_dir, options_.control_group);
  container_io_ = std::make_unique<DockerContainerIo>(transport_.get(), *socket);
  control_ = std::make_unique<control::ControlServer>(
      control::ControlServerOptions{control::SocketPath(options_.state_dir),
                                    options_.control_group},
      control::ControlDeps{options_.state_dir, store_id_, docker_.get(), container_io_.get(),
                           ro.host_access, [this](const std::string& app) { queue_.Add(app); }});
  return control_->Start();
}

void Daemon::WaitForDocker() {
  int64_t backoff = 500;
  const int64_t started = RealClock::Get()->NowMs();
  while (!stop_) {
    Status ping = docker_->Ping();
    if (ping.ok()) return;
    Log(LogLevel::kWarning, "waiting for docker at {}: {}", options_.docker_host, ping.message());
    // Keep the heartbeat going while waiting, so the CLI knows dokkud is alive.
    for (int64_t waited = 0; waited < backoff && !stop_; waited += 1000) {
      Status hb = store_->Heartbeat(getpid(), DOKKUD_VERSION, started);
      if (!hb.ok()) Log(LogLevel::kWarning, "heartbeat: {}", hb.message());
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(1000, backoff - waited)),
                     [&] { return stop_.load(); });
    }
    backoff = std::min<int64_t>(backoff * 2, 30'000);
  }
}

void Daemon::WorkerLoop() {
  StatusOr<std::unique_ptr<Store>> store = Store::OpenStateDir(options_.state_dir);
  if (!store.ok()) {
    Log(LogLevel::kError, "worker cannot open the store: {}", store.status().message());
    return;
  }
  while (auto app = queue_.Get()) {
    ++busy_;
    StatusOr<ReconcileResult> result = reconciler_->Reconcile(store->get(), *app);
    if (!result.ok()) {
      int64_t delay = queue_.AddRateLimited(*app);
      Log(LogLevel::kWarning, "{}: reconcile failed, retrying in {} ms: {}", *app, delay,
          result.status().message());
    } else {
      queue_.Forget(*app);
      if (result->requeue_after_ms > 0) queue_.AddAfter(*app, result->requeue_after_ms);
    }
    queue_.Done(*app);
    --busy_;
  }
}

void Daemon::OnDockerEvent(const DockerEvent& event) {
  if (event.type == "node") {
    // A node went down, came back or was drained: Swarm moves its tasks, and a manager reports
    // no container events of other nodes, so every swarm app is looked at again (each keeps
    // requeueing itself until its services converge).
    StatusOr<std::vector<std::string>> apps = swarm_->ListApps(store_id_);
    if (apps.ok()) {
      for (const std::string& app : *apps) queue_.Add(app);
    }
    return;
  }
  if (event.type == "container") {
    auto store = event.attributes.find(kLabelStore);
    if (store == event.attributes.end()) store = event.attributes.find(kLabelSwarmStore);
    auto app = event.attributes.find(kLabelApp);
    if (store == event.attributes.end() || store->second != store_id_ ||
        app == event.attributes.end()) {
      return;
    }
    reconciler_->ContainerChanged(event.id);
    queue_.Add(app->second);
    // dockerd sends `die` before its container list shows the container exited; look again
    // shortly so a killed container is not mistaken for a running one until the next resync.
    if (event.action == "die" || event.action == "kill" || event.action == "oom" ||
        event.action == "stop") {
      queue_.AddAfter(app->second, 500);
    }
    return;
  }
  if (event.type == "image") {
    auto name = event.attributes.find("name");
    if (name == event.attributes.end() || name->second.rfind("dokku/", 0) != 0) return;
    std::string app = name->second.substr(6);
    app = app.substr(0, app.find(':'));
    reconciler_->ImagesChanged(app);
    queue_.Add(app);
  }
}

Status Daemon::EnqueueAll() {
  std::set<std::string> apps;
  StatusOr<std::vector<App>> rows = store_->ListApps(/*include_deleting=*/true);
  if (!rows.ok()) return rows.status();
  for (const App& a : *rows) apps.insert(a.name);
  StatusOr<std::vector<Retirement>> retirements = store_->ListRetirements();
  if (!retirements.ok()) return retirements.status();
  for (const Retirement& r : *retirements) apps.insert(r.app);
  // Containers of apps the store no longer knows are found only by asking Docker.
  StatusOr<std::vector<ContainerSummary>> containers =
      docker_->ListContainers({std::string(kLabelStore) + "=" + store_id_});
  if (containers.ok()) {
    for (const ContainerSummary& c : *containers) {
      auto app = c.labels.find(kLabelApp);
      if (app != c.labels.end()) apps.insert(app->second);
    }
  }
  // Swarm services of this store (none, and no error worth logging, when this engine is not a
  // swarm manager).
  StatusOr<std::vector<std::string>> swarm_apps = swarm_->ListApps(store_id_);
  if (swarm_apps.ok()) {
    swarm_backend_->AppsSeen(*swarm_apps);
    apps.insert(swarm_apps->begin(), swarm_apps->end());
  }
  for (const std::string& app : apps) queue_.Add(app);
  return containers.ok() ? Status::Ok() : containers.status();
}

Status Daemon::PollChanges() {
  StatusOr<int64_t> version = store_->DataVersion();
  if (!version.ok()) return version.status();
  if (*version == last_data_version_) return Status::Ok();
  last_data_version_ = *version;
  StatusOr<std::vector<std::pair<int64_t, std::string>>> changes = store_->ChangesAfter(last_seq_);
  if (!changes.ok()) return changes.status();
  for (const auto& [seq, app] : *changes) {
    queue_.Add(app);
    last_seq_ = std::max(last_seq_, seq);
  }
  return Status::Ok();
}

void Daemon::SignalLoop(sigset_t set) {
  timespec tick{0, 200'000'000};
  while (!stop_) {
    int sig = sigtimedwait(&set, nullptr, &tick);
    if (sig == SIGTERM || sig == SIGINT) {
      Log(LogLevel::kInfo, "signal {}: finishing in-flight work and exiting", sig);
      stop_ = true;
    }
  }
  queue_.ShutDown();
  sleeper_.Stop();
  wake_.notify_all();
}

bool Daemon::Settled() { return busy_ == 0 && queue_.ReadyCount() == 0; }

int Daemon::Run() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // before any thread starts
  signal(SIGPIPE, SIG_IGN);
  std::thread signals([this, set] { SignalLoop(set); });

  Notifier notifier;
  Status setup = Setup();
  if (!setup.ok()) {
    Log(LogLevel::kError, "cannot start: {}", setup.message());
    stop_ = true;
    signals.join();
    return 1;
  }
  const int64_t started = RealClock::Get()->NowMs();
  Log(LogLevel::kInfo, "dokkud {} starting (state {}, store {})", DOKKUD_VERSION,
      options_.state_dir, store_id_);
  WaitForDocker();

  EventWatcher watcher(
      docker_.get(), RealClock::Get(), [this](const DockerEvent& e) { OnDockerEvent(e); },
      [this] {
        Log(LogLevel::kInfo, "docker events reconnected; re-listing everything");
        Status st = EnqueueAll();
        (void)st;
      });
  if (!stop_) watcher.Start();
  std::vector<std::thread> workers;
  for (int i = 0; i < std::max(1, options_.workers); ++i)
    workers.emplace_back([this] { WorkerLoop(); });

  StatusOr<int64_t> seq = store_->LastChangeSeq();
  last_seq_ = seq.ok() ? *seq : 0;
  Status st = EnqueueAll();
  if (!st.ok()) Log(LogLevel::kWarning, "initial resync: {}", st.message());
  notifier.Notify("READY=1\nSTATUS=reconciling");

  int64_t last_heartbeat = 0, last_resync = RealClock::Get()->NowMs(), last_watchdog = 0;
  int64_t last_run_retire = 0;
  int settled_ticks = 0;
  while (!stop_) {
    const int64_t now = RealClock::Get()->NowMs();
    if (now - last_heartbeat >= 1000) {
      st = store_->Heartbeat(getpid(), DOKKUD_VERSION, started);
      if (!st.ok()) Log(LogLevel::kWarning, "heartbeat: {}", st.message());
      last_heartbeat = now;
    }
    if (notifier.watchdog_interval_ms() > 0 &&
        now - last_watchdog >= notifier.watchdog_interval_ms()) {
      notifier.Notify("WATCHDOG=1");
      last_watchdog = now;
    }
    st = PollChanges();
    if (!st.ok()) Log(LogLevel::kWarning, "change feed: {}", st.message());
    if (now - last_resync >= options_.resync_ms) {
      st = EnqueueAll();
      if (!st.ok()) Log(LogLevel::kWarning, "resync: {}", st.message());
      last_resync = now;
    }
    if (now - last_run_retire >= kRunRetireMs) {
      // Dokku's ps:retire timer: run containers past their --ttl-seconds.
      control::RetireExpiredRuns(control_->deps(), [](const std::string& line) {
        Log(LogLevel::kInfo, "run containers:{}", line);
      });
      last_run_retire = now;
    }
    if (options_.once) {
      settled_ticks = Settled() ? settled_ticks + 1 : 0;
      if (settled_ticks >= 3) break;
    }
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms), [&] { return stop_.load(); });
  }
  notifier.Notify("STOPPING=1");
  stop_ = true;
  signals.join();  // shuts the queue down and wakes sleeping checks
  for (std::thread& w : workers) w.join();
  watcher.Stop();
  control_->Stop();
  Log(LogLevel::kInfo, "dokkud stopped; containers keep running");
  return 0;
}

}  // namespace

int RunDaemon(const DaemonOptions& options) {
  LogLevel level;
  if (!ParseLogLevel(options.log_level, &level)) {
    Log(LogLevel::kError, "unknown --log-level {}", options.log_level);
    return 2;
  }
  SetLogLevel(level);
  curl_global_init(CURL_GLOBAL_ALL);
  int rc;
  {
    Daemon daemon(options);
    rc = daemon.Run();
  }
  curl_global_cleanup();
  return rc;
}

}  // namespace dokku
