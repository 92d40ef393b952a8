// Plan(desired, actual): the pure diff at the heart of the reconcile loop. Given what an app
// should run and the containers Docker reports for it, it says which containers to remove, start,
// stop, create, replace or scale down, and per process type how the rollout goes (PlanRollout:
// start-first or stop-first, retire or stop, proxy first). No I/O, no clock: table-driven tests
// cover both.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "controller/model/naming.h"

namespace dokku {

enum class ChecksMode { kEnabled, kSkipped, kDisabled };

struct DesiredProc {
  std::string proctype;
  int quantity = 0;
  std::string spec_hash;  // containers with another hash are replaced
  ChecksMode checks = ChecksMode::kEnabled;
  int max_parallel = 0;  // indices replaced at once in a rollout (kAllAtOnce = 0: every one)
};

struct DesiredApp {
  bool running = true;    // ps:stop makes it false
  bool deployed = false;  // false: nothing may run (never deployed, or no image)
  bool proxied = true;    // web is behind the proxy (false: it publishes its port on the host)
  std::vector<DesiredProc> procs;
  // Specs whose rollout failed in the current generation: not retried until the user asks.
  std::set<std::string> blocked_hashes;
  // Live containers to replace although their spec is current (failed liveness checks).
  std::set<std::string> replace_ids;
};

struct ActualContainer {
  std::string id;
  std::string name;
  std::string proctype;
  int index = 0;
  ContainerRole role = ContainerRole::kOther;
  std::string state;  // Docker State.Status
  std::string spec_hash;
  bool retirement_registered = false;  // has a row in `retirements`
};

// How new containers take over from old ones.
enum class RolloutStrategy {
  // The new containers start under temporary names next to the old ones, are checked, take over
  // (the cutover) and are renamed; the old ones go afterwards.
  kStartFirst,
  // The old containers are stopped and removed first (downtime, as asked for); the new ones start
  // under their final names, unchecked.
  kStopFirst,
};

// What happens to a container that leaves.
enum class Departure {
  kStop,    // stopped and removed now
  kRetire,  // registered in `retirements`, renamed, stopped and removed after wait-to-retire
};

// A rollout's batch size that means every index of the type at once.
constexpr int kAllAtOnce = 0;

// The rollout policy of one process type, decided by PlanRollout().
struct RolloutPolicy {
  RolloutStrategy strategy = RolloutStrategy::kStartFirst;
  // The new containers' checks: run, skipped (and said so), or none at all (stop-first).
  ChecksMode checks = ChecksMode::kEnabled;
  bool checks_file = false;  // the release's CHECKS file applies (else the default check)
  Departure replaced = Departure::kRetire;   // old containers of replaced indices
  Departure scaled_down = Departure::kStop;  // containers above the new quantity
  // The proxy drops leaving containers before they stop or retire, and moves to the new ones
  // before the old ones retire (the cutover).
  bool proxy_first = false;
  int batch_size = kAllAtOnce;  // indices rolled at once (app.json max_parallel)
  bool operator==(const RolloutPolicy&) const = default;
};

// Dokku's rules for one process type: web is the only proxied type and the only one with CHECKS
// file checks; checks:disable means stop-first (zero downtime disabled), checks:skip stays
// start-first without checks; web behind the proxy leaves the proxy first and retires what it
// scales down, everything else scaled down stops at once.
// `max_parallel` <= 0 rolls every index at once.
RolloutPolicy PlanRollout(const std::string& proctype, ChecksMode checks, bool proxied,
                          int max_parallel = kAllAtOnce);

// The rollout's batches: `indices` in order, at most `batch_size` per batch (kAllAtOnce: one).
std::vector<std::vector<int>> RolloutBatches(const std::vector<int>& indices, int batch_size);

// Changes to one process type, applied as one rollout step.
struct TypeChange {
  std::string proctype;
  int quantity = 0;
  std::vector<int> create;                              // new indices
  std::vector<std::pair<int, std::string>> replace;     // index -> old container id
  std::vector<std::pair<int, std::string>> scale_down;  // index -> container id
  RolloutPolicy policy;                                 // how the change is applied
  bool operator==(const TypeChange&) const = default;
};

struct Plan {
  std::vector<std::string> remove;             // leftovers: upcoming, unknown, undeployed
  std::vector<std::string> register_retiring;  // retiring containers missing from retirements
  std::vector<std::string> start;              // heal: stopped but wanted
  std::vector<std::string> stop;               // ps:stop
  std::vector<TypeChange> changes;             // web first, then by process type
  bool empty() const {
    return remove.empty() && register_retiring.empty() && start.empty() && stop.empty() &&
           changes.empty();
  }
};

// True for states in which Docker is (or will soon be) running the container.
bool IsUpState(const std::string& state);

Plan MakePlan(const DesiredApp& desired, const std::vector<ActualContainer>& actual);

}  // namespace dokku
