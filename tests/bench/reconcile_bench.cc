// dokku_reconcile_bench: how one steady-state reconcile pass scales with the number of apps.
// For each N it deploys N apps (web=2 worker=1, checks:skip) on FakeDocker with a store in a
// temp file, then times full passes (Reconcile once per app) and prints a markdown table.
// usage: dokku_reconcile_bench [--passes P] [--shared-fake] [N...]
//   default: 3 passes, N = 10 30 100 300 1000, one FakeDocker per app (see RoutedDocker)
#include <SQLiteCpp/Database.h>
#include <fmt/format.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "controller/env/log.h"
#include "controller/reconciler/reconciler.h"
#include "controller/scheduler/local/local_scheduler.h"
#include "store/store.h"
#include "tests/testing/fake_checks.h"
#include "tests/testing/fake_docker.h"

namespace dokku {
namespace {

using SteadyClock = std::chrono::steady_clock;

class NoopProxy : public Proxy {
 public:
  Status Apply(const std::string&, const std::vector<std::string>&, const std::vector<Upstream>&,
               const Emit&) override {
    return Status::Ok();
  }
  Status Remove(const std::string&) override { return Status::Ok(); }
};

// The DockerApi under test: one FakeDocker per app (sharded), or one for all (shared). Sharded,
// every call goes to its app's fake (by app label, image repository, container name, or the
// shard number this class writes into the first 8 hex digits of every id it hands out), so a
// label-filtered list costs O(that app's containers); shared, the fake scans every container on
// each list, as dockerd does. Time spent inside the fakes is added up either way.
class RoutedDocker : public DockerApi {
 public:
  RoutedDocker(Clock* clock, bool shared) : clock_(clock), shared_(shared) {}
  int64_t spent_ns() const { return spent_ns_; }

  // The fake holding `app` (created on first use). Not thread-safe: call before the passes.
  FakeDocker* Shard(const std::string& app) {
    if (shared_ && !shards_.empty()) return shards_[0].get();
    auto it = index_.find(app);
    if (it != index_.end()) return shards_[it->second].get();
    index_[app] = static_cast<int>(shards_.size());
    shards_.push_back(std::make_unique<FakeDocker>(clock_));
    shards_.back()->SetEmitEvents(false);  // nobody streams events here
    return shards_.back().get();
  }
  // Calls recorded by all fakes so far, and how many of them changed a container.
  std::pair<size_t, size_t> CallCounts() const {
    size_t total = 0, mutating = 0;
    for (const auto& shard : shards_) {
      for (const std::string& call : shard->calls()) {
        ++total;
        for (const char* m :
             {"create ", "start ", "stop ", "kill ", "remove ", "rename ", "update "}) {
          if (call.rfind(m, 0) == 0) ++mutating;
        }
      }
    }
    return {total, mutating};
  }
  size_t ContainerCount() const {
    size_t n = 0;
    for (const auto& shard : shards_) n += shard->Containers().size();
    return n;
  }

  // Defined before its callers: they need its deduced return type.
  template <typename F>
  auto Time(F&& call) {
    const auto start = SteadyClock::now();
    auto result = call();
    spent_ns_ +=
        std::chrono::duration_cast<std::chrono::nanoseconds>(SteadyClock::now() - start).count();
    return result;
  }

  Status Ping() override { return Status::Ok(); }
  StatusOr<std::vector<ContainerSummary>> ListContainers(
      const std::vector<std::string>& labels) override {
    std::vector<int> targets;
    for (const std::string& label : labels) {
      for (const char* key : {"com.dokku.app-name=", "com.dokku.probe-for="}) {
        if (label.rfind(key, 0) == 0) targets = {ShardOfApp(label.substr(std::strlen(key)))};
      }
    }
    if (targets.empty()) {  // store-wide
      for (size_t i = 0; i < shards_.size(); ++i) targets.push_back(static_cast<int>(i));
    }
    std::vector<ContainerSummary> out;
    for (int shard : targets) {
      if (shard < 0) continue;
      StatusOr<std::vector<ContainerSummary>> listed =
          Time([&] { return shards_[shard]->ListContainers(labels); });
      if (!listed.ok()) return listed.status();
      for (ContainerSummary& c : *listed) {
        c.id = Encode(shard, c.id);
        c.image_id = Encode(shard, c.image_id);
        out.push_back(std::move(c));
      }
    }
    return out;
  }
  StatusOr<std::string> CreateContainer(const ContainerSpec& spec) override {
    int shard = -1;
    for (const char* key : {"com.dokku.app-name", "com.dokku.probe-for"}) {
      auto it = spec.labels.find(key);
      if (it != spec.labels.end()) shard = ShardOfApp(it->second);
    }
    if (shard < 0) return Unroutable(spec.name);
    ContainerSpec local = spec;
    local.image = Decode(spec.image).second;
    StatusOr<std::string> id = Time([&] { return shards_[shard]->CreateContainer(local); });
    if (!id.ok()) return id;
    return Encode(shard, *id);
  }
  Status StartContainer(const std::string& id) override {
    return OnContainer(id,
                       [&](FakeDocker* f, const std::string& l) { return f->StartContainer(l); });
  }
  Status StopContainer(const std::string& id, int timeout_s) override {
    return OnContainer(
        id, [&](FakeDocker* f, const std::string& l) { return f->StopContainer(l, timeout_s); });
  }
  Status KillContainer(const std::string& id, const std::string& signal) override {
    return OnContainer(
        id, [&](FakeDocker* f, const std::string& l) { return f->KillContainer(l, signal); });
  }
  Status RemoveContainer(const std::string& id) override {
    return OnContainer(id,
                       [&](FakeDocker* f, const std::string& l) { return f->RemoveContainer(l); });
  }
  Status RenameContainer(const std::string& id, const std::string& new_name) override {
    return OnContainer(
        id, [&](FakeDocker* f, const std::string& l) { return f->RenameContainer(l, new_name); });
  }
  Status UpdateRestartPolicy(const std::string& id, const std::string& policy) override {
    return OnContainer(
        id, [&](FakeDocker* f, const std::string& l) { return f->UpdateRestartPolicy(l, policy); });
  }
  StatusOr<ContainerInfo> InspectContainer(const std::string& id) override {
    const int shard = ShardOf(id);
    if (shard < 0) return Unroutable(id);
    StatusOr<ContainerInfo> info =
        Time([&] { return shards_[shard]->InspectContainer(Decode(id).second); });
    if (info.ok()) {
      info->id = Encode(shard, info->id);
      info->image_id = Encode(shard, info->image_id);
    }
    return info;
  }
  StatusOr<std::string> ContainerLogs(const std::string& id, int tail) override {
    return OnContainer(
        id, [&](FakeDocker* f, const std::string& l) { return f->ContainerLogs(l, tail); });
  }
  StatusOr<int> WaitContainer(const std::string& id, int timeout_s) override {
    return OnContainer(
        id, [&](FakeDocker* f, const std::string& l) { return f->WaitContainer(l, timeout_s); });
  }
  StatusOr<ExecResult> Exec(const std::string& id, const std::vector<std::string>& cmd,
                            int timeout_s) override {
    return OnContainer(
        id, [&](FakeDocker* f, const std::string& l) { return f->Exec(l, cmd, timeout_s); });
  }
  StatusOr<ImageInfo> InspectImage(const std::string& ref) override {
    const int shard = ShardOf(ref);
    if (shard < 0) return Unroutable(ref);
    StatusOr<ImageInfo> info =
        Time([&] { return shards_[shard]->InspectImage(Decode(ref).second); });
    if (info.ok()) info->id = Encode(shard, info->id);
    return info;
  }
  StatusOr<std::vector<ImageInfo>> ListImages(const std::string& repo) override {
    const int shard = ShardOf(repo);
    if (shard < 0) return Unroutable(repo);
    StatusOr<std::vector<ImageInfo>> images =
        Time([&] { return shards_[shard]->ListImages(repo); });
    if (images.ok()) {
      for (ImageInfo& i : *images) i.id = Encode(shard, i.id);
    }
    return images;
  }
  Status TagImage(const std::string& image, const std::string& repo,
                  const std::string& tag) override {
    const int shard = ShardOf(repo);
    if (shard < 0) return Unroutable(repo);
    return Time([&] { return shards_[shard]->TagImage(Decode(image).second, repo, tag); });
  }
  Status RemoveImage(const std::string& ref) override {
    return OnContainer(ref, [&](FakeDocker* f, const std::string& l) { return f->RemoveImage(l); });
  }
  StatusOr<PushResult> PushImage(const std::string& repo, const std::string&,
                                 const std::string&) override {
    return Unroutable(repo);  // the bench deploys to docker-local, which pushes nothing
  }
  Status CheckRegistryAuth(const std::string&) override { return Unroutable("auth"); }
  StatusOr<std::string> GetArchive(const std::string& id, const std::string& path) override {
    return OnContainer(id,
                       [&](FakeDocker* f, const std::string& l) { return f->GetArchive(l, path); });
  }
  Status StreamEvents(const std::map<std::string, std::vector<std::string>>&, int64_t,
                      const std::function<void(const DockerEvent&)>&,
                      const std::atomic<bool>&) override {
    return Status::Unavailable("the bench streams no events");
  }

 private:
  static constexpr size_t kHexId = 64;

  static bool IsHexId(std::string_view s) {
    return s.size() == kHexId &&
           std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(c); });
  }
  static std::string_view Digits(std::string_view id) {
    return id.rfind("sha256:", 0) == 0 ? id.substr(7) : id;
  }
  // The fakes number ids from 1, so their first 8 hex digits are zero: they carry the shard.
  std::string Encode(int shard, const std::string& local) const {
    std::string_view digits = Digits(local);
    if (!IsHexId(digits)) return local;
    return local.substr(0, local.size() - kHexId) + fmt::format("{:08x}", shard) +
           std::string(digits.substr(8));
  }
  // (shard or -1, the id as its fake knows it); names and references are returned unchanged.
  std::pair<int, std::string> Decode(const std::string& global) const {
    std::string_view digits = Digits(global);
    if (!IsHexId(digits)) return {-1, global};
    const int shard = std::stoi(std::string(digits.substr(0, 8)), nullptr, 16);
    return {shard,
            global.substr(0, global.size() - kHexId) + "00000000" + std::string(digits.substr(8))};
  }
  int ShardOfApp(const std::string& app) const {
    if (shared_) return shards_.empty() ? -1 : 0;
    auto it = index_.find(app);
    return it == index_.end() ? -1 : it->second;
  }
  // By id, else by "dokku/<app>[:tag]" or "<app>.<rest>" (container names).
  int ShardOf(const std::string& id_or_name) const {
    auto [shard, local] = Decode(id_or_name);
    if (shard >= 0) return shard < static_cast<int>(shards_.size()) ? shard : -1;
    std::string name = id_or_name.rfind("dokku/", 0) == 0 ? id_or_name.substr(6) : id_or_name;
    return ShardOfApp(name.substr(0, name.find_first_of(".:")));
  }
  Status Unroutable(const std::string& what) const {
    return Status::Internal(fmt::format("bench router: no fake for {}", what));
  }
  template <typename F>
  auto OnContainer(const std::string& id, F&& call) -> decltype(call(nullptr, id)) {
    const int shard = ShardOf(id);
    if (shard < 0) return Unroutable(id);
    return Time([&] { return call(shards_[shard].get(), Decode(id).second); });
  }

  Clock* const clock_;
  const bool shared_;
  std::vector<std::unique_ptr<FakeDocker>> shards_;
  std::map<std::string, int> index_;
  std::atomic<int64_t> spent_ns_{0};
};

struct Row {
  int apps = 0;
  size_t containers = 0;
  double setup_s = 0;
  double pass_ms = 0;         // median over the passes
  double cpu_ms = 0;          // process CPU time (user+sys) of that pass
  double fake_ms = 0;         // time inside FakeDocker during that pass
  size_t docker_calls = 0;    // per pass
  size_t mutating_calls = 0;  // create/start/stop/remove/rename during the timed passes
  int64_t rows_written = 0;   // SQLite rows changed per pass
};

double Ms(SteadyClock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// CPU time of the whole process: on a shared machine it moves less than wall time.
double CpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

StatusOr<Row> RunOne(int apps, int passes, bool shared_fake) {
  char tmpl[] = "/tmp/dokku-reconcile-bench-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return Status::Internal("mkdtemp failed");
  const std::string dir = tmpl;
  struct RemoveDir {
    std::string dir;
    ~RemoveDir() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  } remove_dir{dir};

  FakeClock clock;
  RoutedDocker docker(&clock, shared_fake);
  NoopProxy proxy;
  FakeHttpProber prober;
  FakeSleeper sleeper(&clock);
  StatusOr<std::unique_ptr<Store>> opened = Store::Open(dir + "/dokku.db", &clock);
  if (!opened.ok()) return opened.status();
  Store& store = **opened;
  ReconcilerOptions options;
  options.store_id = "benchstore";
  options.proxy_listen = "127.0.0.1:8080";
  LocalScheduler local(&docker, &proxy, &prober, &sleeper, &clock,
                       LocalSchedulerOptions{"benchstore", true, 8});
  Reconciler reconciler(&docker, &proxy, &clock, options, {&local});

  std::vector<std::string> names;
  for (int i = 0; i < apps; ++i) names.push_back(fmt::format("app{:04d}", i));
  auto pass_all = [&]() -> Status {
    for (const std::string& app : names) {
      StatusOr<ReconcileResult> r = reconciler.Reconcile(&store, app);
      if (!r.ok()) return Status::Internal(fmt::format("{}: {}", app, r.status().message()));
    }
    return Status::Ok();
  };

  const auto setup_start = SteadyClock::now();
  ImageInfo image;
  image.working_dir = "/app";
  image.cmd = {"/bin/sh", "-c", "httpd -f -p $PORT"};
  for (const std::string& app : names) {
    docker.Shard(app)->AddImage(
        "dokku/" + app + ":v1", image,
        {{"/app/Procfile", "web: httpd -f -p $PORT\nworker: sleep 100000\n"}});
    DOKKU_RETURN_IF_ERROR(store.CreateApp(app));
    DOKKU_RETURN_IF_ERROR(store.SetChecksMode(app, "skip", {}).status());
    DOKKU_RETURN_IF_ERROR(store.CreateRelease(app, "v1", "tags:deploy").status());
  }
  DOKKU_RETURN_IF_ERROR(pass_all());  // deploys web=1
  for (const std::string& app : names) {
    DOKKU_RETURN_IF_ERROR(store.SetScale(app, {{"web", 2}, {"worker", 1}}, false).status());
  }
  DOKKU_RETURN_IF_ERROR(pass_all());  // scales to web=2 worker=1
  DOKKU_RETURN_IF_ERROR(pass_all());  // warms caches; must already be steady
  Row row;
  row.apps = apps;
  row.setup_s = Ms(SteadyClock::now() - setup_start) / 1000;
  row.containers = docker.ContainerCount();
  if (row.containers != static_cast<size_t>(apps) * 3) {
    return Status::Internal(
        fmt::format("expected {} containers, found {}", apps * 3, row.containers));
  }

  struct Timing {
    double pass_ms, fake_ms, cpu_ms;
    bool operator<(const Timing& o) const { return pass_ms < o.pass_ms; }
  };
  std::vector<Timing> timings;
  for (int p = 0; p < passes; ++p) {
    const auto [calls_before, mutating_before] = docker.CallCounts();
    const int64_t fake_before = docker.spent_ns();
    const int64_t changes_before = store.db().getTotalChanges();
    const double cpu_before = CpuMs();
    const auto start = SteadyClock::now();
    DOKKU_RETURN_IF_ERROR(pass_all());
    const double pass_ms = Ms(SteadyClock::now() - start);
    timings.push_back({pass_ms, (docker.spent_ns() - fake_before) / 1e6, CpuMs() - cpu_before});
    const auto [calls_after, mutating_after] = docker.CallCounts();
    row.docker_calls = calls_after - calls_before;
    row.mutating_calls += mutating_after - mutating_before;
    row.rows_written = store.db().getTotalChanges() - changes_before;
  }
  std::sort(timings.begin(), timings.end());
  const Timing& median = timings[timings.size() / 2];
  row.pass_ms = median.pass_ms;
  row.fake_ms = median.fake_ms;
  row.cpu_ms = median.cpu_ms;
  return row;
}

}  // namespace
}  // namespace dokku

int main(int argc, char** argv) {
  using dokku::Row;
  int passes = 3;
  bool shared_fake = false;
  std::vector<int> sizes;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--passes" && i + 1 < argc) {
      passes = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--shared-fake") {
      shared_fake = true;
    } else if (arg == "-h" || arg == "--help") {
      std::puts("usage: dokku_reconcile_bench [--passes P] [--shared-fake] [N...]");
      return 0;
    } else if (std::atoi(arg.c_str()) > 0) {
      sizes.push_back(std::atoi(arg.c_str()));
    } else {
      std::fprintf(stderr, "dokku_reconcile_bench: bad argument %s\n", arg.c_str());
      return 2;
    }
  }
  if (sizes.empty()) sizes = {10, 30, 100, 300, 1000};
  dokku::SetLogLevel(dokku::LogLevel::kError);

  std::puts(
      "| apps | containers | pass ms (median) | ms / app | CPU ms / app | Docker calls / pass | "
      "calls / app | mutating calls | ms in FakeDocker | ms / app without FakeDocker | "
      "SQLite rows written / app | setup s |");
  std::puts("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  bool steady = true;
  for (int n : sizes) {
    dokku::StatusOr<Row> row = dokku::RunOne(n, passes, shared_fake);
    if (!row.ok()) {
      std::fprintf(stderr, "dokku_reconcile_bench: N=%d: %s\n", n, row.status().ToString().c_str());
      return 1;
    }
    const Row& r = *row;
    std::printf(
        "| %d | %zu | %.1f | %.3f | %.3f | %zu | %.2f | %zu | %.1f | %.3f | %.1f | %.1f |\n",
        r.apps, r.containers, r.pass_ms, r.pass_ms / r.apps, r.cpu_ms / r.apps, r.docker_calls,
        static_cast<double>(r.docker_calls) / r.apps, r.mutating_calls, r.fake_ms,
        (r.pass_ms - r.fake_ms) / r.apps, static_cast<double>(r.rows_written) / r.apps, r.setup_s);
    std::fflush(stdout);
    steady = steady && r.mutating_calls == 0;
  }
  if (!steady) {
    std::fputs("dokku_reconcile_bench: a steady-state pass changed containers\n", stderr);
    return 1;
  }
  return 0;
}
