// The control socket's read-side ops: logs (with -t following across deploys), ps:inspect and
// enter. run and its siblings are in run_ops.cc.
#include "controller/control/control_ops.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "controller/docker/docker_wire.h"
#include "controller/model/naming.h"
#include "controller/model/operate.h"

namespace dokku::control {
namespace {

// How often `logs -t` looks for containers that joined (a deploy, a scale, a heal).
constexpr int kFollowListMs = 1000;

std::string LabelOf(const ContainerSummary& c, const char* key) {
  auto it = c.labels.find(key);
  return it == c.labels.end() ? std::string() : it->second;
}

// One container `logs` reads, and how its lines are prefixed.
struct LogTarget {
  std::string id;
  std::string dyno;
  int colour = 36;
};

std::vector<std::string> ReadHistory(const ControlDeps& deps, const LogTarget& t, int num,
                                     const std::atomic<bool>& stop) {
  std::vector<std::string> lines;
  LogStreamOptions options;
  options.tail = num;
  Status s = deps.io->StreamLogs(
      t.id, options,
      [&](int, std::string_view chunk) {
        for (size_t start = 0; start < chunk.size();) {
          size_t nl = chunk.find('\n', start);
          if (nl == std::string_view::npos) nl = chunk.size();
          lines.emplace_back(chunk.substr(start, nl - start));
          start = nl + 1;
        }
      },
      stop);
  (void)s;  // a container removed meanwhile simply has no lines
  return lines;
}

// Follows one container from just after `last_line` (its last line already printed).
void FollowOne(const ControlDeps& deps, Session& session, const LogTarget& t,
               const std::string& last_line, bool quiet, const std::atomic<bool>& stop) {
  LogStreamOptions options;
  options.follow = true;
  options.tail = last_line.empty() ? -1 : 0;
  const std::string last_key = TimestampKey(last_line);
  if (!last_line.empty()) {
    // Docker's since= has whole seconds here; lines of that second already printed are dropped.
    options.since = ParseRfc3339Seconds(last_line.substr(0, last_line.find(' ')));
    options.tail = -1;
  }
  Status s = deps.io->StreamLogs(
      t.id, options,
      [&](int, std::string_view chunk) {
        std::string out;
        for (size_t start = 0; start < chunk.size();) {
          size_t nl = chunk.find('\n', start);
          if (nl == std::string_view::npos) nl = chunk.size();
          std::string_view line = chunk.substr(start, nl - start);
          start = nl + 1;
          if (!last_key.empty() && TimestampKey(line) <= last_key) continue;
          out += FormatLogLine(line, t.dyno, t.colour, quiet) + "\n";
        }
        if (!out.empty()) session.Out(out);
      },
      stop);
  (void)s;
}

std::vector<LogTarget> Targets(const std::vector<ContainerSummary>& containers, bool run,
                               size_t first_colour) {
  std::vector<LogTarget> out;
  for (const ContainerSummary& c : containers) {
    // A run container's dyno is its number (app.run.<n>), as Dokku prints it.
    std::string dyno = run ? c.name.substr(c.name.rfind('.') + 1) : LabelOf(c, kLabelDyno);
    out.push_back({c.id, dyno, LogColour(first_colour + out.size())});
  }
  return out;
}

StatusOr<std::vector<ContainerSummary>> LogContainers(const ControlDeps& deps,
                                                      const nlohmann::json& request) {
  const std::string app = request.value("app", "");
  if (!request.value("run", false)) return LiveContainers(deps, app, request.value("ps", ""));
  StatusOr<std::vector<ContainerSummary>> runs = RunContainers(deps, app);
  if (!runs.ok()) return runs.status();
  const std::string only = request.value("container", "");
  if (!only.empty()) {
    std::erase_if(*runs, [&](const ContainerSummary& c) { return c.name != only; });
  }
  return runs;
}

void FollowAll(const ControlDeps& deps, Session& session, const nlohmann::json& request,
               std::vector<LogTarget> targets, const std::vector<std::string>& last_lines) {
  const bool quiet = request.value("quiet", false);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  std::set<std::string> seen;
  for (size_t i = 0; i < targets.size(); ++i) {
    seen.insert(targets[i].id);
    threads.emplace_back(FollowOne, std::cref(deps), std::ref(session), targets[i], last_lines[i],
                         quiet, std::cref(stop));
  }
  size_t colours = targets.size();
  auto next_list = std::chrono::steady_clock::now();
  while (!session.cancelled()) {
    if (std::chrono::steady_clock::now() >= next_list) {
      next_list += std::chrono::milliseconds(kFollowListMs);
      StatusOr<std::vector<ContainerSummary>> now = LogContainers(deps, request);
      if (now.ok()) {
        std::vector<ContainerSummary> joined;
        for (const ContainerSummary& c : *now) {
          if (seen.insert(c.id).second) joined.push_back(c);
        }
        for (const LogTarget& t : Targets(joined, request.value("run", false), colours)) {
          ++colours;
          threads.emplace_back(FollowOne, std::cref(deps), std::ref(session), t, std::string(),
                               quiet, std::cref(stop));
        }
      }
    }
    session.WaitForHangup(200);  // a hangup ends the follow
  }
  stop.store(true);
  for (std::thread& t : threads) t.join();
}

}  // namespace

StatusOr<std::vector<ContainerSummary>> LiveContainers(const ControlDeps& deps,
                                                       const std::string& app,
                                                       const std::string& proctype) {
  StatusOr<std::vector<ContainerSummary>> listed = deps.docker->ListContainers(
      {fmt::format("{}={}", kLabelStore, deps.store_id), fmt::format("{}={}", kLabelApp, app)});
  if (!listed.ok()) return listed.status();
  std::vector<ContainerSummary> out;
  for (ContainerSummary& c : *listed) {
    std::string type;
    int index = 0;
    if (!ParseDyno(LabelOf(c, kLabelDyno), &type, &index)) continue;
    if (c.name != LiveName(app, type, index)) continue;
    if (!proctype.empty() && type != proctype) continue;
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const ContainerSummary& a, const ContainerSummary& b) { return a.name < b.name; });
  return out;
}

StatusOr<std::vector<ContainerSummary>> RunContainers(const ControlDeps& deps,
                                                      const std::string& app) {
  StatusOr<std::vector<ContainerSummary>> listed = deps.docker->ListContainers(
      {fmt::format("{}={}", kLabelRunStore, deps.store_id), fmt::format("{}={}", kLabelApp, app),
       fmt::format("{}=run", kLabelContainerType)});
  if (!listed.ok()) return listed.status();
  std::sort(listed->begin(), listed->end(),
            [](const ContainerSummary& a, const ContainerSummary& b) { return a.name < b.name; });
  return listed;
}

int ServeLogs(const ControlDeps& deps, Session& session, const nlohmann::json& request) {
  StatusOr<std::vector<ContainerSummary>> containers = LogContainers(deps, request);
  if (!containers.ok()) {
    session.Warn(containers.status().message());
    return 1;
  }
  const bool run = request.value("run", false), quiet = request.value("quiet", false);
  const int num = request.value("num", 100);
  std::vector<LogTarget> targets = Targets(*containers, run, 0);
  std::vector<std::vector<std::string>> history;
  for (const LogTarget& t : targets)
    history.push_back(ReadHistory(deps, t, num, session.cancelled_flag()));
  std::string out;
  for (const TaggedLine& l : MergeByTimestamp(history)) {
    out += FormatLogLine(l.line, targets[l.container].dyno, targets[l.container].colour, quiet);
    out += "\n";
    if (out.size() > 65536) {
      session.Out(out);
      out.clear();
    }
  }
  session.Out(out);
  if (!request.value("tail", false)) return 0;
  std::vector<std::string> last_lines;
  for (const std::vector<std::string>& h : history) last_lines.push_back(h.empty() ? "" : h.back());
  // A container with no lines yet is followed from its start; one with history from its last.
  FollowAll(deps, session, request, targets, last_lines);
  return 0;
}

int ServeInspect(const ControlDeps& deps, Session& session, const nlohmann::json& request) {
  StatusOr<std::vector<ContainerSummary>> containers =
      LiveContainers(deps, request.value("app", ""), "");
  if (!containers.ok()) {
    session.Warn(containers.status().message());
    return 1;
  }
  if (containers->empty()) {
    session.Err("\"docker container inspect\" requires at least 1 argument.\n");
    return 1;
  }
  std::string list = "[";
  for (const ContainerSummary& c : *containers) {
    StatusOr<std::string> doc = deps.io->InspectJson(c.id);
    if (!doc.ok()) continue;  // removed since it was listed
    if (list.size() > 1) list += ",";
    list += *doc;
  }
  list += "]";
  StatusOr<std::string> printed = SanitizeInspect(list);
  if (!printed.ok()) {
    session.Warn(printed.status().message());
    return 1;
  }
  session.Out(*printed);
  return 0;
}

}  // namespace dokku::control

namespace dokku::control {

void Serve(const ControlDeps& deps, Session& session, const nlohmann::json& request) {
  using Op = int (*)(const ControlDeps&, Session&, const nlohmann::json&);
  static const std::map<std::string, Op> kOps = {
      {"logs", ServeLogs},
      {"ps:inspect", ServeInspect},
      {"enter", ServeEnter},
      {"run", ServeRun},
      {"run:list", ServeRunList},
      {"run:stop", ServeRunStop},
      {"ps:retire", ServeRetire},
      {"registry:login", ServeRegistryLogin},
      {"registry:logout", ServeRegistryLogout},
  };
  int rc = 1;
  try {
    const std::string op = request.is_object() ? request.value("op", "") : "";
    auto it = kOps.find(op);
    if (it == kOps.end()) {
      session.Warn(fmt::format("dokkud does not know the control operation '{}'", op));
    } else {
      rc = it->second(deps, session, request);
    }
  } catch (const std::exception& e) {
    // A field of the wrong JSON type: the client's mistake, answered, not a crash.
    session.Warn(std::string("bad control request: ") + e.what());
    rc = 1;
  }
  session.Exit(rc);
}

}  // namespace dokku::control
