// Following the daemon after a write: prints the app's new events in Dokku's format while
// polling until dokkud reports the change applied (observed_generation reached, app gone, tag
// operation or request answered), the daemon is found not running, or the time cap passes.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
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
  // kGeneration for a new release: its own status also decides the outcome, since a later
  // pass of dokkud at the same generation may record success after the release failed.
  std::optional<int64_t> release_id;
};

// The outcome of one wait. `error` is empty on success; `already_printed` means the error
// text was shown as an event and need not be repeated.
struct WaitResult {
  std::string error;
  bool already_printed = false;
  std::set<std::string> printed;  // every event text (and line) shown while following
  bool ok() const { return error.empty(); }
};

// A line a command prints once dokkud reports success, unless dokkud already printed it.
struct SuccessLine {
  std::string level;  // an event level: info1 | info2 | verbose
  std::string text;
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
// (prints the failure unless already printed; on success prints `success` unless dokkud did).
int FollowOne(Context& ctx, int64_t last_event_id, const Wait& wait,
              const std::optional<SuccessLine>& success = std::nullopt);

// Prints `text` in the format of event `level` (multi-line text: one prefix per line).
void PrintAtLevel(Context& ctx, const std::string& level, const std::string& text);

}  // namespace dokku
