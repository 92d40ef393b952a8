// Following the daemon after a write: prints the app's new events in Dokku's format while
// polling until dokkud reports the change applied (observed_generation reached, app gone, tag
// operation or request answered), the daemon is found not running, or the time cap passes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli/context.h"

namespace dokku {

// What a command waits for after its write.
struct Wait {
  enum class Kind { kGeneration, kAppGone, kTagOp, kRequest };
  Kind kind = Kind::kGeneration;
  std::string app;
  int64_t target = 0;  // generation, or tag_ops.id / requests.id
};

// The outcome of one wait. `error` is empty on success; `already_printed` means the error
// text was shown as an event and need not be repeated.
struct WaitResult {
  std::string error;
  bool already_printed = false;
  bool ok() const { return error.empty(); }
};

inline constexpr char kDaemonNotRunning[] =
    "dokkud is not running; the change is saved and will be applied when it starts";
inline constexpr int64_t kHeartbeatStaleMs = 3000;
inline constexpr int64_t kPollIntervalMs = 50;

// The event id to print from; take it BEFORE the write.
StatusOr<int64_t> FollowStart(Context& ctx);

// Polls until every wait is done, printing events of their apps after `last_event_id`.
// Returns one result per wait, in order.
std::vector<WaitResult> FollowAll(Context& ctx, int64_t last_event_id,
                                  const std::vector<Wait>& waits);

// For one command on one app: nothing under --detach, else FollowAll and the exit code
// (prints the failure unless already printed).
int FollowOne(Context& ctx, int64_t last_event_id, const Wait& wait);

}  // namespace dokku
