// ChaosTest: random desired-state changes over three apps while dokkud is SIGKILLed at random
// moments and dockerd is restarted once in the middle of a deploy. Afterwards Docker, the store
// and nginx must agree exactly with what the commands asked for. The test prints CHAOS_SEED=<n>
// first; CHAOS_SEED=<n> replays that run's operations, CHAOS_OPS=<n> changes their number (30),
// CHAOS_DOCKERD_RESTART=0 leaves dockerd alone (only for development next to other Docker users).
// scripts/chaos runs the long form.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "controller/proxy/nginx_dynamic.h"
#include "store/store.h"
#include "tests/testing/e2e_fixture.h"

namespace dokku::e2e {
namespace {

using testutil::CommandResult;
using testutil::RunDocker;
using testutil::WaitFor;

constexpr char kProcfile[] = "web: httpd -f -p $PORT -h /app\nworker: sleep 2147483\n";
const char* const kTags[] = {"v1", "v2"};
const char* const kProcs[] = {"web", "worker"};
constexpr int kApps = 3;
constexpr int kSettleMs = 120000;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoll(v, nullptr, 10) : fallback;
}

void SleepMs(int64_t ms) {
  if (ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

// The part of an app's desired state the operations change. Process types missing from the
// store's formation count as 0.
struct AppModel {
  bool exists = false;
  bool running = true;
  std::map<std::string, int> formation;
  bool operator==(const AppModel&) const = default;
};

std::string Describe(const AppModel& m) {
  if (!m.exists) return "absent";
  std::string out = m.running ? "running" : "stopped";
  for (const auto& [p, q] : m.formation) out += fmt::format(" {}={}", p, q);
  return out;
}

// What the store says about one app, read through the Store API.
struct StoreApp {
  AppModel model;
  int64_t restart_sum = 0;
  int64_t newest_release_id = 0;
  std::string newest_release_tag;
  std::optional<int64_t> current_release;
};

enum class OpKind { kCreate, kDeploy, kScale, kRestart, kStop, kStart, kDestroy };

struct Op {
  OpKind kind = OpKind::kScale;
  std::string app;
  std::string tag;
  std::vector<std::pair<std::string, int>> scale;
  bool detach = false;
  int kill_at_ms = -1;     // SIGKILL dokkud this long after the command started; -1: never
  int down_ms = 0;         // and start it again this long after the kill
  int dockerd_at_ms = -1;  // restart dockerd this long after the command started; -1: never

  std::vector<std::string> Args() const {
    std::vector<std::string> a;
    if (detach) a.push_back("--detach");
    switch (kind) {
      case OpKind::kCreate:
        a.insert(a.end(), {"apps:create", app});
        break;
      case OpKind::kDeploy:
        a.insert(a.end(), {"tags:deploy", app, tag});
        break;
      case OpKind::kScale:
        a.insert(a.end(), {"ps:scale", app});
        for (const auto& [p, q] : scale) a.push_back(fmt::format("{}={}", p, q));
        break;
      case OpKind::kRestart:
        a.insert(a.end(), {"ps:restart", app});
        break;
      case OpKind::kStop:
        a.insert(a.end(), {"ps:stop", app});
        break;
      case OpKind::kStart:
        a.insert(a.end(), {"ps:start", app});
        break;
      case OpKind::kDestroy:
        a.insert(a.end(), {"apps:destroy", app, "--force"});
        break;
    }
    return a;
  }
  std::string Describe() const {
    std::string out = "dokku";
    for (const std::string& a : Args()) out += " " + a;
    if (kill_at_ms >= 0)
      out += fmt::format("  [kill -9 dokkud at {} ms, down {} ms]", kill_at_ms, down_ms);
    if (dockerd_at_ms >= 0) out += fmt::format("  [restart dockerd at {} ms]", dockerd_at_ms);
    return out;
  }
};

Op MakeOp(OpKind kind, const std::string& app, const std::string& tag = "") {
  Op op;
  op.kind = kind;
  op.app = app;
  op.tag = tag;
  return op;
}

// The desired state after `op` took effect.
AppModel Applied(AppModel m, const Op& op) {
  switch (op.kind) {
    case OpKind::kCreate:
      m = AppModel{true, true, {{"web", 1}, {"worker", 0}}};
      break;
    case OpKind::kDestroy:
      m = AppModel{};
      break;
    case OpKind::kScale:
      for (const auto& [p, q] : op.scale) m.formation[p] = q;
      break;
    case OpKind::kStop:
      m.running = false;
      break;
    case OpKind::kStart:
      m.running = true;
      break;
    case OpKind::kDeploy:
    case OpKind::kRestart:
      break;
  }
  return m;
}

// One container carrying this store's label, as Docker reports it.
struct Box {
  std::string id, name, state, app, release, ip;
};

std::vector<std::string> Split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::istringstream in(line);
  for (std::string f; std::getline(in, f, sep);) out.push_back(f);
  return out;
}

// Every container of the store `store_id`; nullopt when Docker cannot be asked.
std::optional<std::vector<Box>> StoreContainers(const std::string& store_id, bool with_ips) {
  CommandResult r = RunDocker({"ps", "-a", "--no-trunc", "--filter",
                               "label=com.dokkud.store=" + store_id, "--format",
                               "{{.ID}}\t{{.Names}}\t{{.State}}\t{{.Label \"com.dokku.app-name\"}}"
                               "\t{{.Label \"com.dokku.release\"}}"});
  if (r.exit_code != 0) return std::nullopt;
  std::vector<Box> boxes;
  for (const std::string& line : testutil::NonEmptyLines(r.out)) {
    std::vector<std::string> f = Split(line, '\t');
    f.resize(5);
    boxes.push_back({f[0], f[1], f[2], f[3], f[4], ""});
  }
  if (!with_ips || boxes.empty()) return boxes;
  std::vector<std::string> args{
      "inspect", "--type", "container", "-f",
      "{{.Id}} {{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}"};
  for (const Box& b : boxes) args.push_back(b.id);
  std::map<std::string, std::string> ips;
  for (const std::string& line : testutil::NonEmptyLines(RunDocker(args).out)) {
    std::vector<std::string> f = Split(line, ' ');
    if (f.size() >= 2) ips[f[0]] = f[1];
  }
  for (Box& b : boxes) b.ip = ips[b.id];
  return boxes;
}

class ChaosTest : public E2ETest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(E2ETest::SetUp());
    seed_ = static_cast<uint64_t>(EnvInt("CHAOS_SEED", std::random_device{}()));
    std::cout << "CHAOS_SEED=" << seed_ << std::endl;
    rng_.seed(seed_);
    ops_ = static_cast<int>(EnvInt("CHAOS_OPS", 30));
    restart_dockerd_ = EnvInt("CHAOS_DOCKERD_RESTART", 1) != 0;
    src_ = testutil::UniqueName("chaos-src");
    for (const char* tag : kTags) {
      const std::string ref = src_ + ":" + tag;
      cleanup_.AddImage(ref);
      ASSERT_OK(testutil::TestImage::Build(
          ref, {{"Procfile", kProcfile}, {"index.html", fmt::format("release {}\n", tag)}}));
    }
    ASSERT_OK(nginx_.Start());
  }
  void TearDown() override {
    E2ETest::TearDown();
    if (HasFailure()) std::cout << "replay with CHAOS_SEED=" << seed_ << "\n";
  }

  int Rand(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }

  CommandResult Cli(const std::vector<std::string>& args) {
    std::vector<std::string> argv{DOKKU_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    return testutil::RunCommand(
        argv, {{"DOKKU_LIB_ROOT", state_dir()}, {"DOKKU_WAIT_TIMEOUT", "120"}}, "", 180);
  }

  void StartChaosDaemon() { ASSERT_NO_FATAL_FAILURE(StartDaemon(nginx_.DaemonFlags())); }

  // Makes dokku/<app>:<tag> exist (apps:destroy removes an app's tags).
  void EnsureAppImage(const std::string& app, const std::string& tag) {
    const std::string ref = "dokku/" + app + ":" + tag;
    if (RunDocker({"image", "inspect", "--format", "{{.Id}}", ref}).exit_code == 0) return;
    ASSERT_OK(testutil::TestImage::Retag(src_ + ":" + tag, ref));
  }

  Op NextOp(int index);
  void RunOp(const Op& op);
  void CheckEffect(const Op& op, const CommandResult& r, const StoreApp& before,
                   const StoreApp& after);
  StoreApp ReadStoreApp(const std::string& app);
  std::vector<std::string> Violations(bool final_check, const std::string& only_app = "");
  std::vector<std::string> AppViolations(const std::string& app, const StoreApp& s,
                                         const std::vector<Box>& boxes, bool final_check);
  std::vector<std::string> NginxViolations(const std::map<std::string, StoreApp>& store,
                                           const std::vector<Box>& boxes);
  void RestartDockerd();
  std::set<std::string> DropDockerStuck(std::vector<Box>* boxes);
  std::set<std::string> docker_stuck_;  // ids already reported

  uint64_t seed_ = 0;
  std::mt19937_64 rng_;
  int ops_ = 30;
  bool restart_dockerd_ = true;
  std::string src_;
  PrivateNginx nginx_;
  std::vector<std::string> apps_;
  std::map<std::string, AppModel> model_;
  // The tag of the last tags:deploy whose write landed, and whether it exited 0 having waited
  // (then that tag must be live at the end) or detached (live unless its release failed).
  std::map<std::string, std::pair<std::string, std::string>> deployed_;  // app -> (tag, how)
  std::set<std::string> outputs_seen_;
};

Op ChaosTest::NextOp(int index) {
  Op op;
  op.app = apps_[Rand(0, kApps - 1)];
  const int roll = Rand(0, 99);
  if (!model_[op.app].exists) {
    op.kind = OpKind::kCreate;
  } else if (roll < 25) {
    op.kind = OpKind::kDeploy;
  } else if (roll < 55) {
    op.kind = OpKind::kScale;
  } else if (roll < 68) {
    op.kind = OpKind::kRestart;
  } else if (roll < 78) {
    op.kind = OpKind::kStop;
  } else if (roll < 90) {
    op.kind = OpKind::kStart;
  } else {
    op.kind = OpKind::kDestroy;
  }
  op.tag = kTags[Rand(0, 1)];
  for (const char* p : kProcs) {
    if (op.scale.empty() || Chance(0.5)) op.scale.emplace_back(p, Rand(0, 3));
  }
  op.detach = Chance(0.5);
  if (Chance(0.35)) {
    op.kill_at_ms = Rand(0, 1500);
    op.down_ms = Rand(0, 4500);
  }
  // Once per run, in the middle third: dockerd goes away while a deploy is waited for.
  if (restart_dockerd_ && index == ops_ / 2) {
    for (const std::string& app : apps_) {
      if (model_[app].exists) op.app = app;
    }
    if (model_[op.app].exists) {
      op.kind = OpKind::kDeploy;
      op.detach = false;
      op.kill_at_ms = -1;
      op.dockerd_at_ms = Rand(100, 800);
      auto it = deployed_.find(op.app);
      op.tag = it != deployed_.end() && it->second.first == "v1" ? "v2" : "v1";
    }
  }
  return op;
}

StoreApp ChaosTest::ReadStoreApp(const std::string& app) {
  StoreApp s;
  StatusOr<std::unique_ptr<Store>> store = Store::OpenStateDir(state_dir());
  EXPECT_OK(store);
  if (!store.ok()) return s;
  StatusOr<App> a = (*store)->GetApp(app);
  if (!a.ok()) return s;
  s.model.exists = true;
  s.model.running = a->desired_running;
  s.current_release = a->current_release;
  s.model.formation = {{"web", 0}, {"worker", 0}};
  StatusOr<std::vector<FormationEntry>> formation = (*store)->GetFormation(app);
  EXPECT_OK(formation);
  if (formation.ok()) {
    for (const FormationEntry& e : *formation) {
      s.model.formation[e.proctype] = e.quantity;
      s.restart_sum += e.restart_generation;
    }
  }
  StatusOr<std::vector<Release>> releases = (*store)->ListReleases(app);
  EXPECT_OK(releases);
  if (releases.ok()) {
    for (const Release& r : *releases) {
      if (r.id > s.newest_release_id) {
        s.newest_release_id = r.id;
        s.newest_release_tag = r.tag;
      }
    }
  }
  return s;
}

// Whether a command that exited 0 followed dokkud until its change was applied. Like Dokku,
// apps:create never deploys, and the ps commands on an app without a live release only store the
// change (or warn and do nothing, as ps:start on a running app does).
bool Waited(const Op& op, const CommandResult& r, const StoreApp& before) {
  if (op.detach || op.kind == OpKind::kCreate) return false;
  if (op.kind == OpKind::kDeploy) return true;
  // apps:destroy of an app that never went live returns at once (nothing ran for dokkud to tear
  // down); dokkud drops the rows whenever it next looks.
  if (op.kind == OpKind::kDestroy) return before.current_release.has_value();
  return before.current_release.has_value() && r.err.find("already running") == std::string::npos;
}

// A command that exited 0 must have written its change; one that failed must have written it
// entirely or not at all. The model follows what the store holds.
void ChaosTest::CheckEffect(const Op& op, const CommandResult& r, const StoreApp& before,
                            const StoreApp& after) {
  const AppModel wanted = Applied(model_[op.app], op);
  bool written = after.model == wanted;
  if (op.kind == OpKind::kRestart) written = written && after.restart_sum > before.restart_sum;
  if (op.kind == OpKind::kDeploy) {
    written = written && after.newest_release_id > before.newest_release_id &&
              after.newest_release_tag == op.tag;
  }
  // Dokku's rules: lifecycle commands on an app without a live release, and ps:start on a
  // running app, warn and exit 0 without changing anything.
  const bool noop_warning =
      (!before.current_release && r.err.find("has not been deployed") != std::string::npos) ||
      (op.kind == OpKind::kStart && r.err.find("already running") != std::string::npos);
  const bool unchanged = after.model == model_[op.app] &&
                         after.newest_release_id == before.newest_release_id &&
                         after.restart_sum == before.restart_sum;
  if (r.exit_code == 0 && !noop_warning) {
    EXPECT_TRUE(written) << op.Describe() << " exited 0 but the store holds "
                         << Describe(after.model) << ", expected " << Describe(wanted) << "\n"
                         << r.Describe();
  } else {
    EXPECT_TRUE(written || unchanged)
        << op.Describe() << " left a partial change: store " << Describe(after.model) << ", before "
        << Describe(model_[op.app]) << "\n"
        << r.Describe();
  }
  model_[op.app] = after.model;
  if (op.kind == OpKind::kCreate && written) deployed_.erase(op.app);
  if (op.kind == OpKind::kDeploy && written) {
    deployed_[op.app] = {op.tag, r.exit_code != 0 ? "uncertain"
                                 : op.detach      ? "detached"
                                                  : "waited"};
  }
}

void ChaosTest::RestartDockerd() {
  const std::string pid_text = testutil::ReadFileOr("/var/run/docker.pid");
  const pid_t pid = static_cast<pid_t>(std::atoi(pid_text.c_str()));
  ASSERT_GT(pid, 0) << "no /var/run/docker.pid";
  // Start it again exactly as it was started.
  std::string cmdline = testutil::ReadFileOr(fmt::format("/proc/{}/cmdline", pid));
  std::string command;
  for (const std::string& arg : Split(cmdline, '\0')) {
    std::string quoted = "'";
    for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    command += quoted + "' ";
  }
  ASSERT_FALSE(command.empty());
  std::cout << "CHAOS restarting dockerd (pid " << pid << ")" << std::endl;
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  ASSERT_TRUE(WaitFor([&] { return kill(pid, 0) != 0; }, 90000, 100)) << "dockerd did not exit";
  // A dockerd that did not get to remove its pid file refuses to start.
  std::error_code ec;
  std::filesystem::remove("/var/run/docker.pid", ec);
  CommandResult started = testutil::RunCommand(
      {"/bin/sh", "-c",
       "setsid nohup " + command + ">>/var/log/dokkud-test-dockerd.log 2>&1 </dev/null &"});
  ASSERT_EQ(started.exit_code, 0) << started.Describe();
  ASSERT_TRUE(WaitFor(testutil::DockerAvailable, 90000, 200)) << "dockerd did not come back";
  std::cout << "CHAOS dockerd is back" << std::endl;
}

void ChaosTest::RunOp(const Op& op) {
  if (op.kind == OpKind::kDeploy) {
    ASSERT_NO_FATAL_FAILURE(EnsureAppImage(op.app, op.tag));
  }
  const StoreApp before = ReadStoreApp(op.app);
  CommandResult r;
  const int64_t t0 = NowMs();
  {
    std::jthread cli([&] { r = Cli(op.Args()); });
    if (op.dockerd_at_ms >= 0) {
      SleepMs(t0 + op.dockerd_at_ms - NowMs());
      RestartDockerd();
    }
    if (op.kill_at_ms >= 0) {
      SleepMs(t0 + op.kill_at_ms - NowMs());
      daemon().Kill9();
      SleepMs(op.down_ms);
      StartChaosDaemon();
    }
  }
  ASSERT_FALSE(HasFatalFailure());
  std::cout << fmt::format("CHAOS {} -> exit {} ({} ms)", op.Describe(), r.exit_code, NowMs() - t0)
            << std::endl;
  EXPECT_FALSE(r.timed_out) << op.Describe() << "\n" << r.Describe();
  for (const char* bad : {"database is locked", "internal error", "SQLITE"}) {
    EXPECT_EQ((r.out + r.err).find(bad), std::string::npos) << op.Describe() << "\n"
                                                            << r.Describe();
  }
  if (r.exit_code != 0) {
    EXPECT_NE(r.err, "") << "a failing command must say why: " << op.Describe();
    std::cout << "       stderr: " << r.err.substr(0, 300) << std::endl;
  }
  CheckEffect(op, r, before, ReadStoreApp(op.app));
  // A command that waited for dokkud and succeeded has been applied: Docker shows it at once.
  if (r.exit_code == 0 && Waited(op, r, before) && op.dockerd_at_ms < 0) {
    std::vector<std::string> v = Violations(false, op.app);
    EXPECT_TRUE(v.empty()) << "right after " << op.Describe() << ":\n" << testing::PrintToString(v);
  }
}

std::vector<std::string> ChaosTest::AppViolations(const std::string& app, const StoreApp& s,
                                                  const std::vector<Box>& boxes, bool final_check) {
  std::vector<std::string> v;
  const AppModel& m = model_[app];
  std::vector<const Box*> mine;
  for (const Box& b : boxes) {
    if (b.app == app) mine.push_back(&b);
  }
  if (!m.exists) {
    for (const Box* b : mine)
      v.push_back(fmt::format("{}: container {} of a destroyed app", app, b->name));
    return v;
  }
  const std::string current = s.current_release ? std::to_string(*s.current_release) : "";
  std::set<std::string> names;
  for (const Box* b : mine) {
    const bool live =
        std::count(b->name.begin(), b->name.end(), '.') == 2 && b->name.rfind(app + ".", 0) == 0;
    if (!live) {
      // Before the end, a replaced container may still wait for its retirement.
      if (final_check)
        v.push_back(fmt::format("{}: leftover container {} ({})", app, b->name, b->state));
      continue;
    }
    names.insert(b->name);
    if (m.running && b->state != "running") {
      v.push_back(fmt::format("{}: {} is {}, app is started", app, b->name, b->state));
    }
    if (!m.running && (b->state == "running" || b->state == "restarting")) {
      v.push_back(fmt::format("{}: {} is {}, app is stopped", app, b->name, b->state));
    }
    if (m.running && b->release != current) {
      v.push_back(fmt::format("{}: {} runs release {}, current release is {}", app, b->name,
                              b->release, current.empty() ? "none" : current));
    }
  }
  std::set<std::string> wanted;
  for (const auto& [p, q] : m.formation) {
    for (int n = 1; n <= q; ++n) wanted.insert(fmt::format("{}.{}.{}", app, p, n));
  }
  if (!s.current_release) wanted.clear();
  const bool exact = m.running;  // a stopped app keeps what it had, up to the formation
  for (const std::string& n : names) {
    if (!wanted.count(n)) v.push_back(fmt::format("{}: unwanted container {}", app, n));
  }
  if (exact) {
    for (const std::string& n : wanted) {
      if (!names.count(n)) v.push_back(fmt::format("{}: missing container {}", app, n));
    }
  }
  return v;
}

std::vector<std::string> ChaosTest::NginxViolations(const std::map<std::string, StoreApp>& store,
                                                    const std::vector<Box>& boxes) {
  std::vector<std::string> v;
  std::set<std::string> files;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(nginx_.conf_dir(), ec)) {
    files.insert(entry.path().filename().string());
  }
  for (const std::string& f : files) {
    if (f == kNginxControlConfName) continue;  // the dynamic upstreams' shared file, no app's
    const std::string app = f.size() > 5 ? f.substr(0, f.size() - 5) : f;
    if (f.size() <= 5 || f.substr(f.size() - 5) != ".conf") {
      v.push_back("stray file in the nginx conf dir: " + f);
      continue;
    }
    if (!model_.count(app) || !model_[app].exists) v.push_back("nginx conf of a gone app: " + f);
  }
  for (const auto& [app, s] : store) {
    const AppModel& m = model_[app];
    const bool proxied = m.exists && m.running && s.current_release && m.formation.at("web") > 0;
    const std::string file = app + ".conf";
    if (!proxied) {
      if (files.count(file))
        v.push_back(fmt::format("{}: nginx conf while nothing serves web", app));
      continue;
    }
    if (!files.count(file)) {
      v.push_back(fmt::format("{}: no nginx conf", app));
      continue;
    }
    const std::string conf = testutil::ReadFileOr(nginx_.conf_dir() + "/" + file);
    std::multiset<std::string> servers, ips;
    // With dynamic upstreams the peers are the balancer line's list, which dokkud rewrites
    // before every push (it is what nginx falls back to after a restart); otherwise the
    // upstream's server lines.
    int64_t generation = 0;
    std::string peers;
    if (ParseBalancerLine(conf, &generation, &peers)) {
      std::istringstream words(peers);
      for (std::string peer; words >> peer;) servers.insert(peer + ";");
    } else {
      for (const std::string& line : testutil::NonEmptyLines(conf)) {
        if (line.rfind("  server ", 0) == 0) servers.insert(line.substr(9));
      }
    }
    for (const Box& b : boxes) {
      if (b.app == app && b.name.rfind(app + ".web.", 0) == 0 &&
          std::count(b.name.begin(), b.name.end(), '.') == 2) {
        ips.insert(b.ip + ":5000;");
      }
    }
    if (servers != ips) {
      v.push_back(fmt::format("{}: nginx upstream {} but web containers {}", app,
                              testing::PrintToString(servers), testing::PrintToString(ips)));
    }
  }
  return v;
}

// Takes out of `boxes` the containers Docker itself cannot remove: left "removing" or "dead"
// with the overlay2 driver's "device or resource busy" (seen after a dockerd restart on this
// kind of machine: the merged directory stays a mount point somewhere). dokkud must have met
// the same refusal (its log says so); nothing it could do removes them. Returns their apps.
std::set<std::string> ChaosTest::DropDockerStuck(std::vector<Box>* boxes) {
  std::set<std::string> apps;
  const std::string log = daemon().Log();
  std::vector<Box> kept;
  for (Box& b : *boxes) {
    if (docker_stuck_.count(b.id)) {  // refused before; a second rm says "already in progress"
      apps.insert(b.app);
      continue;
    }
    if (b.state == "removing" || b.state == "dead") {
      CommandResult rm = RunDocker({"rm", "-f", b.id});
      const bool busy = rm.exit_code != 0 && Contains(rm.err, "device or resource busy");
      if (rm.exit_code == 0) continue;  // Docker managed it this time
      if (busy && Contains(log, "device or resource busy")) {
        if (!docker_stuck_.count(b.id)) {
          std::cout << fmt::format("CHAOS Docker cannot remove {} ({}): not counted\n", b.name,
                                   b.state);
          docker_stuck_.insert(b.id);
        }
        apps.insert(b.app);
        continue;
      }
    }
    kept.push_back(std::move(b));
  }
  *boxes = std::move(kept);
  return apps;
}

// Everything that must hold once dokkud settled; for one app only when `only_app` is set.
std::vector<std::string> ChaosTest::Violations(bool final_check, const std::string& only_app) {
  std::vector<std::string> v;
  StatusOr<std::unique_ptr<Store>> opened = Store::OpenStateDir(state_dir());
  if (!opened.ok()) return {"store: " + opened.status().ToString()};
  Store& store = **opened;
  const std::string store_id = StoreId();
  std::optional<std::vector<Box>> boxes = StoreContainers(store_id, final_check);
  if (!boxes) return {"docker ps failed"};
  const std::set<std::string> stuck_apps = DropDockerStuck(&*boxes);

  std::map<std::string, StoreApp> apps;
  StatusOr<std::vector<App>> rows = store.ListApps(/*include_deleting=*/true);
  if (!rows.ok()) return {"store: " + rows.status().ToString()};
  for (const App& a : *rows) {
    if (!only_app.empty() && a.name != only_app) continue;
    // An app whose only trouble is a container Docker itself cannot remove waits for Docker.
    const bool waits_for_docker = stuck_apps.count(a.name) > 0;
    if (a.deleting && !waits_for_docker) v.push_back(a.name + ": still being deleted");
    if (a.observed_generation != a.generation && !waits_for_docker) {
      v.push_back(fmt::format("{}: observed generation {} of {}", a.name, a.observed_generation,
                              a.generation));
    }
    if (!a.deleting) apps[a.name] = ReadStoreApp(a.name);
  }
  for (const std::string& app : apps_) {
    if (!only_app.empty() && app != only_app) continue;
    const StoreApp s = apps.count(app) ? apps[app] : StoreApp{};
    if (!(s.model == model_[app])) {
      v.push_back(fmt::format("{}: store holds {}, the commands asked for {}", app,
                              Describe(s.model), Describe(model_[app])));
    }
    for (std::string& x : AppViolations(app, s, *boxes, final_check)) v.push_back(std::move(x));
  }
  if (!only_app.empty()) return v;

  std::set<std::string> known, docker_ids;
  for (const auto& [app, s] : apps) {
    StatusOr<std::vector<ObservedContainer>> cs = store.ListContainers(app);
    if (!cs.ok()) continue;
    for (const ObservedContainer& c : *cs) known.insert(c.id);
  }
  for (const Box& b : *boxes) {
    docker_ids.insert(b.id);
    if (!apps.count(b.app))
      v.push_back(fmt::format("container {} of unknown app '{}'", b.name, b.app));
    if (!known.count(b.id)) v.push_back("container unknown to the store: " + b.name);
  }
  for (const std::string& id : known) {
    if (!docker_ids.count(id)) v.push_back("store row without a Docker container: " + id);
  }
  StatusOr<std::vector<Retirement>> retirements = store.ListRetirements();
  if (retirements.ok() && !retirements->empty()) {
    v.push_back(fmt::format("{} retirements left", retirements->size()));
  }
  for (std::string& x : NginxViolations(apps, *boxes)) v.push_back(std::move(x));
  for (const auto& [app, deploy] : deployed_) {
    if (!model_[app].exists || !apps.count(app) || deploy.second == "uncertain") continue;
    StatusOr<std::vector<Release>> releases = store.ListReleases(app);
    if (!releases.ok()) continue;
    std::string live_tag = "none", newest_status;
    int64_t newest = 0;
    for (const Release& r : *releases) {
      if (apps[app].current_release == r.id) live_tag = r.tag;
      if (r.id > newest) newest = r.id, newest_status = r.status;
    }
    const bool failed_detached = deploy.second == "detached" && newest_status == "failed";
    if (live_tag != deploy.first && !failed_detached) {
      v.push_back(fmt::format("{}: live tag {}, last deploy ({}) asked for {}", app, live_tag,
                              deploy.second, deploy.first));
    }
  }
  return v;
}

// Given three deployed apps, random operations while dokkud crashes and dockerd restarts end in
// exactly the desired containers, store rows, retirements and nginx files.
TEST_F(ChaosTest, RandomOperationsWithCrashesConverge) {
  ASSERT_NO_FATAL_FAILURE(StartChaosDaemon());
  for (int i = 0; i < kApps; ++i) {
    const std::string app = testutil::UniqueName("chaos" + std::to_string(i));
    cleanup_.AddApp(app);
    apps_.push_back(app);
    ASSERT_NO_FATAL_FAILURE(RunOp(MakeOp(OpKind::kCreate, app)));
    ASSERT_NO_FATAL_FAILURE(DokkuOk({"--detach", "checks:skip", app}));
    ASSERT_NO_FATAL_FAILURE(DokkuOk({"--detach", "checks:set", app, "wait-to-retire", "1"}));
    ASSERT_NO_FATAL_FAILURE(RunOp(MakeOp(OpKind::kDeploy, app, "v1")));
  }
  const int64_t t0 = NowMs();
  for (int i = 0; i < ops_; ++i) {
    const Op op = NextOp(i);
    std::cout << fmt::format("CHAOS op {}/{}", i + 1, ops_) << std::endl;
    ASSERT_NO_FATAL_FAILURE(RunOp(op));
    if (op.kind == OpKind::kCreate && model_[op.app].exists) {
      ASSERT_NO_FATAL_FAILURE(DokkuOk({"--detach", "checks:skip", op.app}));
      ASSERT_NO_FATAL_FAILURE(DokkuOk({"--detach", "checks:set", op.app, "wait-to-retire", "1"}));
    }
  }
  std::cout << fmt::format("CHAOS {} operations in {} ms; settling", ops_, NowMs() - t0)
            << std::endl;

  if (!daemon().Running()) {
    ASSERT_NO_FATAL_FAILURE(StartChaosDaemon());
  }
  std::vector<std::string> violations;
  const int64_t t1 = NowMs();
  const bool settled = WaitFor(
      [&] {
        violations = Violations(/*final_check=*/true);
        return violations.empty();
      },
      kSettleMs, 500);
  std::cout << fmt::format("CHAOS settled={} after {} ms", settled, NowMs() - t1) << std::endl;
  EXPECT_TRUE(settled) << "after " << kSettleMs << " ms:\n" << testing::PrintToString(violations);
  for (const std::string& app : apps_) {
    std::cout << fmt::format("CHAOS final {}: {}", app, Describe(model_[app])) << std::endl;
  }
}

}  // namespace
}  // namespace dokku::e2e
