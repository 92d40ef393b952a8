#include "cli/follow.h"

#include <fmt/format.h>

#include <map>
#include <set>

#include "cli/flags.h"

namespace dokku {
namespace {

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  // "a\n" is one line, not two.
  if (lines.size() > 1 && lines.back().empty()) lines.pop_back();
  return lines;
}

class Follower {
 public:
  Follower(Context& ctx, int64_t last_event_id) : ctx_(ctx), start_id_(last_event_id) {}

  // Prints the app's events after the last one printed.
  void PrintNewEvents(const std::string& app) {
    auto [it, inserted] = last_.try_emplace(app, start_id_);
    StatusOr<std::vector<Event>> events = ctx_.store().EventsAfter(app, it->second);
    if (!events.ok()) return;  // a busy database: the next poll catches up
    for (const Event& e : *events) {
      Print(e);
      it->second = e.id;
    }
  }

  const std::set<std::string>& printed() const { return printed_; }

  // The outcome when `wait` is done, nullopt while it is not.
  std::optional<WaitResult> Check(const Wait& wait) {
    Store& store = ctx_.store();
    switch (wait.kind) {
      case Wait::Kind::kGeneration: {
        StatusOr<App> app = store.GetApp(wait.app);
        if (!app.ok()) return Pending(app.status());
        if (app->observed_generation < wait.target) return std::nullopt;
        if (wait.release_id) {
          StatusOr<Release> release = store.GetRelease(*wait.release_id);
          if (release.ok() && release->status == "failed") {
            return Outcome(release->error.empty() ? "Release failed" : release->error);
          }
        }
        return Outcome(app->last_error);
      }
      case Wait::Kind::kAppGone: {
        StatusOr<std::vector<App>> apps = store.ListApps(true);
        if (!apps.ok()) return Pending(apps.status());
        for (const App& a : *apps) {
          if (a.name == wait.app) return std::nullopt;
        }
        return WaitResult{};
      }
      case Wait::Kind::kTagOp: {
        StatusOr<TagOp> op = store.GetTagOp(wait.target);
        if (!op.ok()) return Pending(op.status());
        if (op->status == "pending") return std::nullopt;
        if (op->status == "done") return WaitResult{};
        return Outcome(op->error.empty() ? "Tag operation failed" : op->error);
      }
      case Wait::Kind::kRequest: {
        StatusOr<Request> req = store.GetRequest(wait.target);
        if (!req.ok()) return Pending(req.status());
        if (req->status == "pending") return std::nullopt;
        if (req->status == "done") return WaitResult{};
        return Outcome(req->result.empty() ? "Request failed" : req->result);
      }
    }
    return std::nullopt;
  }

 private:
  void Print(const Event& e) {
    PrintAtLevel(ctx_, e.level, e.text);
    const bool problem = e.level == "warn" || e.level == "error";
    printed_.insert(e.text);
    if (problem) problems_.insert(e.text);
    for (const std::string& line : SplitLines(e.text)) {
      printed_.insert(line);
      if (problem) problems_.insert(line);
    }
  }

  WaitResult Outcome(const std::string& error) {
    return WaitResult{error, !error.empty() && problems_.count(error) > 0, {}};
  }

  // A busy database is retried on the next poll; anything else ends the wait.
  static std::optional<WaitResult> Pending(const Status& st) {
    if (st.IsUnavailable()) return std::nullopt;
    return WaitResult{st.message(), false, {}};
  }

  Context& ctx_;
  int64_t start_id_;
  std::map<std::string, int64_t> last_;
  std::set<std::string> printed_;   // every event text and line shown
  std::set<std::string> problems_;  // those of warn and error events
};

int64_t WaitTimeoutSeconds(const Context& ctx) {
  std::optional<long long> v = ParseInteger(ctx.Getenv("DOKKU_WAIT_TIMEOUT"));
  return v && *v > 0 ? *v : 600;
}

// True when a daemon heartbeat is recent enough; a busy database counts as alive.
bool DaemonAlive(Context& ctx) {
  StatusOr<std::optional<int64_t>> age = ctx.store().HeartbeatAgeMs();
  if (!age.ok()) return age.status().IsUnavailable();
  return age->has_value() && **age <= kHeartbeatStaleMs;
}

}  // namespace

StatusOr<int64_t> FollowStart(Context& ctx) { return ctx.store().LastEventId(); }

std::vector<WaitResult> FollowAll(Context& ctx, int64_t last_event_id,
                                  const std::vector<Wait>& waits) {
  std::vector<std::optional<WaitResult>> results(waits.size());
  Follower follower(ctx, last_event_id);
  const int64_t timeout_s = WaitTimeoutSeconds(ctx);
  const int64_t deadline = ctx.clock().NowMs() + timeout_s * 1000;
  for (;;) {
    size_t pending = 0;
    for (size_t i = 0; i < waits.size(); ++i) {
      if (results[i]) continue;
      follower.PrintNewEvents(waits[i].app);
      results[i] = follower.Check(waits[i]);
      if (results[i]) {
        // Events written just before the daemon marked the change done.
        follower.PrintNewEvents(waits[i].app);
      } else {
        ++pending;
      }
    }
    if (pending == 0) break;
    std::string give_up;
    if (!DaemonAlive(ctx)) {
      give_up = kDaemonNotRunning;
    } else if (ctx.clock().NowMs() >= deadline) {
      give_up = fmt::format(
          "Timed out after {} seconds waiting for dokkud; the change is saved and dokkud is "
          "still working on it",
          timeout_s);
    }
    if (!give_up.empty()) {
      for (auto& r : results) {
        if (!r) r = WaitResult{give_up, false, {}};
      }
      break;
    }
    ctx.SleepMs(kPollIntervalMs);
  }
  std::vector<WaitResult> out;
  for (auto& r : results) {
    out.push_back(*r);
    out.back().printed = follower.printed();
  }
  return out;
}

void PrintAtLevel(Context& ctx, const std::string& level, const std::string& text) {
  for (const std::string& line : SplitLines(text)) {
    if (level == "info1") {
      ctx.Info1(line);
    } else if (level == "info2") {
      ctx.Info2(line);
    } else if (level == "warn" || level == "error") {
      ctx.Warn(line);
    } else {
      ctx.Verbose(line);
    }
  }
  ctx.out().flush();
}

int FollowOne(Context& ctx, int64_t last_event_id, const Wait& wait,
              const std::optional<SuccessLine>& success) {
  if (ctx.detach) return kExitOk;
  WaitResult r = FollowAll(ctx, last_event_id, {wait}).front();
  if (r.ok()) {
    if (success && !r.printed.count(success->text))
      PrintAtLevel(ctx, success->level, success->text);
    return kExitOk;
  }
  if (r.already_printed) return kExitError;
  return ctx.Fail(r.error);
}

}  // namespace dokku
