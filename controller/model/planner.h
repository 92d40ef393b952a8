// Plan(desired, actual): the pure diff at the heart of the reconcile loop. Given what an app
// should run and the containers Docker reports for it, it says which containers to remove, start,
// stop, create, replace or scale down. No I/O, no clock: table-driven tests cover it.
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
};

struct DesiredApp {
  bool running = true;    // ps:stop makes it false
  bool deployed = false;  // false: nothing may run (never deployed, or no image)
  std::vector<DesiredProc> procs;
  // Specs whose rollout failed in the current generation: not retried until the user asks.
  std::set<std::string> blocked_hashes;
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

// Changes to one process type, applied as one rollout step.
struct TypeChange {
  std::string proctype;
  int quantity = 0;
  std::vector<int> create;                              // new indices
  std::vector<std::pair<int, std::string>> replace;     // index -> old container id
  std::vector<std::pair<int, std::string>> scale_down;  // index -> container id
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
