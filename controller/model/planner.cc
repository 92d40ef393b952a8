#include "controller/model/planner.h"

#include <algorithm>
#include <map>

namespace dokku {

bool IsUpState(const std::string& state) {
  return state == "running" || state == "restarting" || state == "paused";
}

RolloutPolicy PlanRollout(const std::string& proctype, ChecksMode checks, bool proxied,
                          int max_parallel) {
  const bool web = proctype == "web";
  RolloutPolicy policy;
  policy.strategy =
      checks == ChecksMode::kDisabled ? RolloutStrategy::kStopFirst : RolloutStrategy::kStartFirst;
  policy.checks = checks;
  policy.checks_file = web;
  policy.replaced =
      policy.strategy == RolloutStrategy::kStartFirst ? Departure::kRetire : Departure::kStop;
  policy.proxy_first = web && proxied;
  // nginx reloads asynchronously and may finish requests on the old workers: a container that
  // left the proxy retires after wait-to-retire instead of stopping now.
  policy.scaled_down = policy.proxy_first ? Departure::kRetire : Departure::kStop;
  policy.batch_size = max_parallel > 0 ? max_parallel : kAllAtOnce;
  return policy;
}

std::vector<std::vector<int>> RolloutBatches(const std::vector<int>& indices, int batch_size) {
  std::vector<std::vector<int>> batches;
  for (int index : indices) {
    if (batches.empty() ||
        (batch_size > 0 && static_cast<int>(batches.back().size()) >= batch_size))
      batches.emplace_back();
    batches.back().push_back(index);
  }
  return batches;
}

namespace {

const DesiredProc* FindProc(const DesiredApp& desired, const std::string& proctype) {
  for (const DesiredProc& p : desired.procs) {
    if (p.proctype == proctype) return &p;
  }
  return nullptr;
}

TypeChange& ChangeFor(std::map<std::string, TypeChange>& changes, const std::string& proctype,
                      int quantity) {
  TypeChange& c = changes[proctype];
  c.proctype = proctype;
  c.quantity = quantity;
  return c;
}

// A live container at a wanted index: keep, heal, stop or replace it.
void PlanLive(const DesiredApp& desired, const DesiredProc& proc, const ActualContainer& c,
              Plan* plan, std::map<std::string, TypeChange>* changes) {
  const bool up = IsUpState(c.state);
  if (!desired.running) {
    if (up) plan->stop.push_back(c.id);
    return;
  }
  const bool unhealthy = up && desired.replace_ids.count(c.id) > 0;
  if ((c.spec_hash != proc.spec_hash || unhealthy) &&
      !desired.blocked_hashes.count(proc.spec_hash)) {
    ChangeFor(*changes, proc.proctype, proc.quantity).replace.emplace_back(c.index, c.id);
    return;
  }
  if (!up) plan->start.push_back(c.id);
}

// Gives each change its type's rollout policy and puts the changes in rollout order.
void AddChanges(const DesiredApp& desired, std::map<std::string, TypeChange>& changes, Plan* plan) {
  for (auto& [proctype, change] : changes) {
    const DesiredProc* proc = FindProc(desired, proctype);
    change.policy = PlanRollout(proctype, proc ? proc->checks : ChecksMode::kEnabled,
                                desired.proxied, proc ? proc->max_parallel : kAllAtOnce);
    std::sort(change.create.begin(), change.create.end());
    std::sort(change.replace.begin(), change.replace.end());
    // Highest indices go first, as Dokku retires them.
    std::sort(change.scale_down.rbegin(), change.scale_down.rend());
    if (proctype == "web") {
      plan->changes.insert(plan->changes.begin(), change);
    } else {
      plan->changes.push_back(change);
    }
  }
}

}  // namespace

Plan MakePlan(const DesiredApp& desired, const std::vector<ActualContainer>& actual) {
  Plan plan;
  std::map<std::string, TypeChange> changes;
  std::set<std::pair<std::string, int>> live_slots;

  for (const ActualContainer& c : actual) {
    switch (c.role) {
      case ContainerRole::kUpcoming:
      case ContainerRole::kOther:
        // An upcoming container outlived the pass that started it (a crash): it never took
        // traffic, so start over rather than trust its half-finished checks.
        plan.remove.push_back(c.id);
        continue;
      case ContainerRole::kRetiring:
        if (!c.retirement_registered) plan.register_retiring.push_back(c.id);
        continue;
      case ContainerRole::kLive:
        break;
    }
    if (!desired.deployed) {
      plan.remove.push_back(c.id);
      continue;
    }
    const DesiredProc* proc = FindProc(desired, c.proctype);
    if (proc == nullptr || c.index > proc->quantity) {
      ChangeFor(changes, c.proctype, proc ? proc->quantity : 0)
          .scale_down.emplace_back(c.index, c.id);
      continue;
    }
    live_slots.insert({c.proctype, c.index});
    PlanLive(desired, *proc, c, &plan, &changes);
  }

  if (desired.deployed && desired.running) {
    for (const DesiredProc& proc : desired.procs) {
      if (desired.blocked_hashes.count(proc.spec_hash)) continue;
      for (int n = 1; n <= proc.quantity; ++n) {
        if (!live_slots.count({proc.proctype, n})) {
          ChangeFor(changes, proc.proctype, proc.quantity).create.push_back(n);
        }
      }
    }
  }

  AddChanges(desired, changes, &plan);
  std::sort(plan.remove.begin(), plan.remove.end());
  return plan;
}

}  // namespace dokku
