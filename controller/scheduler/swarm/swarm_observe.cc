// SwarmScheduler: reading what Swarm runs (tasks as observed containers, web upstreams).
#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "controller/model/naming.h"
#include "controller/scheduler/swarm/swarm_scheduler.h"
#include "controller/scheduler/swarm/swarm_tasks.h"
#include "store/parse_int.h"

namespace dokku {
namespace {

// nginx upstreams are dotted quads.
bool IsIpv4(const std::string& ip) {
  return !ip.empty() && std::all_of(ip.begin(), ip.end(),
                                    [](char c) { return c == '.' || (c >= '0' && c <= '9'); });
}

}  // namespace

StatusOr<int> SwarmScheduler::HostPort(const SwarmTask& task, int container_port, bool local) {
  if (!local || task.container_id.empty()) {
    // Another node's engine cannot be asked; Swarm lists the IPv4 binding first.
    return task.host_ports.empty() ? 0 : task.host_ports.front();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = host_ports_.find(task.container_id);
    if (it != host_ports_.end()) return it->second;
  }
  StatusOr<int> port = api_->LocalHostPort(task.container_id, container_port);
  if (port.status().IsNotFound()) return 0;  // the task just ended
  if (!port.ok()) return port.status();
  if (*port > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    if (host_ports_.size() > 10'000) host_ports_.clear();
    host_ports_[task.container_id] = *port;
  }
  return *port;
}

StatusOr<std::vector<Upstream>> SwarmScheduler::WebUpstreams(
    const ServiceTasks& web, std::map<std::string, int>* task_ports) {
  std::vector<Upstream> out;
  const SwarmService& s = web.service;
  if (s.spec.ports.empty()) return out;
  const SwarmPort& port = s.spec.ports.front();
  if (std::none_of(web.tasks.begin(), web.tasks.end(), IsRunningTask)) return out;
  if (port.publish_mode != "host") {
    // The routing mesh answers on every node, so the local one will do.
    for (const SwarmPort& p : s.endpoint_ports) {
      if (p.target_port == port.target_port && p.published_port > 0) {
        out.push_back({"127.0.0.1", p.published_port});
        break;
      }
    }
    return out;
  }
  StatusOr<SwarmInfo> info = api_->Info();
  if (!info.ok()) return info.status();
  std::map<std::string, std::string> node_addrs;
  bool nodes_listed = false;
  for (const SwarmTask& t : web.tasks) {
    if (!IsRunningTask(t)) continue;
    const bool local = t.node_id == info->node_id;
    std::string host = "127.0.0.1";
    if (!local) {
      if (!nodes_listed) {
        StatusOr<std::vector<SwarmNode>> nodes = api_->ListNodes();
        if (!nodes.ok()) return nodes.status();
        for (const SwarmNode& n : *nodes) node_addrs[n.id] = n.addr;
        nodes_listed = true;
      }
      host = node_addrs[t.node_id];
    }
    StatusOr<int> host_port = HostPort(t, port.target_port, local);
    if (!host_port.ok()) return host_port.status();
    if (*host_port <= 0) continue;
    if (task_ports) (*task_ports)[t.id] = *host_port;
    if (IsIpv4(host)) out.push_back({host, *host_port});
  }
  std::sort(out.begin(), out.end(), [](const Upstream& a, const Upstream& b) {
    return std::make_pair(a.ip, a.port) < std::make_pair(b.ip, b.port);
  });
  return out;
}

Status SwarmScheduler::Fill(const std::string& app, const std::vector<ServiceTasks>& snapshot,
                            SwarmObserved* observed) {
  observed->converged = true;
  // Node host names for the report, listed once and only when some task is there to name; a
  // failed listing leaves them blank rather than failing the observation.
  std::map<std::string, std::string> node_names;
  bool nodes_listed = false;
  auto node_name = [&](const std::string& node_id) {
    if (!nodes_listed) {
      nodes_listed = true;
      StatusOr<std::vector<SwarmNode>> nodes = api_->ListNodes();
      if (nodes.ok()) {
        for (const SwarmNode& n : *nodes) node_names[n.id] = n.hostname;
      }
    }
    auto it = node_names.find(node_id);
    return it == node_names.end() ? std::string() : it->second;
  };
  for (const ServiceTasks& st : snapshot) {
    const SwarmService& s = st.service;
    const std::string proc = SwarmLabel(s.spec.labels, kLabelProcType);
    if (!ServiceConverged(s, st.tasks)) observed->converged = false;
    if (UpdateStuck(s.update_status.state)) {
      observed->failure +=
          fmt::format("{}{}: the Swarm update is paused ({})",
                      observed->failure.empty() ? "" : "; ", proc, s.update_status.message);
    }
    const int container_port = s.spec.ports.empty() ? 0 : s.spec.ports.front().target_port;
    int published = 0;  // routing mesh
    for (const SwarmPort& p : s.endpoint_ports) {
      if (p.target_port == container_port && p.published_port > 0) published = p.published_port;
    }
    std::map<std::string, int> task_ports;  // host mode
    if (container_port > 0) {
      StatusOr<std::vector<Upstream>> upstreams = WebUpstreams(st, &task_ports);
      if (!upstreams.ok()) return upstreams.status();
      if (proc == "web") observed->web_upstreams = std::move(*upstreams);
    }
    // slot -> failed tasks of the current spec that Swarm replaced (a new spec starts from 0,
    // like a new docker-local container; the tasks of a rolled-back update do not count)
    std::map<int, int> failures;
    for (const SwarmTask& t : st.tasks) {
      if ((t.state == "failed" || t.state == "rejected") && IsCurrentTask(t, s)) ++failures[t.slot];
    }
    for (const SwarmTask& t : st.tasks) {
      if (!IsActiveTask(t)) continue;
      ObservedContainer c;
      c.id = t.container_id.empty() ? t.id : t.container_id;
      c.app = app;
      c.name = fmt::format("{}.{}.{}", app, proc, t.slot);
      c.proctype = proc;
      c.index = t.slot;
      c.release_id = ParseInt(SwarmLabel(t.container_labels, kLabelRelease));
      c.state = t.state;
      c.role = IsCurrentTask(t, s) ? "live" : "retiring";
      c.ip = t.ip;
      c.port = container_port;
      auto port = task_ports.find(t.id);
      c.host_port = port != task_ports.end() ? port->second : published;
      c.restart_count = failures[t.slot];
      c.started_at = t.state == "running" ? t.status_at : 0;
      c.image_id = t.image;
      c.updated_at = t.updated_at;
      c.node = node_name(t.node_id);
      observed->containers.push_back(std::move(c));
    }
  }
  std::sort(observed->containers.begin(), observed->containers.end(),
            [](const ObservedContainer& a, const ObservedContainer& b) {
              return std::tie(a.proctype, a.index, a.role) < std::tie(b.proctype, b.index, b.role);
            });
  return Status::Ok();
}

}  // namespace dokku
