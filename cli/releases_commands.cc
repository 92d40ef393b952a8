// releases (history table or JSON) and releases:rollback.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "cli/command_util.h"
#include "cli/follow.h"
#include "cli/format.h"

namespace dokku {
namespace {

nlohmann::json ReleaseJson(const Release& r, const App& app) {
  auto optional = [](const std::optional<int64_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  return {{"number", r.number},
          {"tag", r.tag},
          {"image", r.image_ref},
          {"image_id", r.image_id},
          {"status", r.status},
          {"error", r.error},
          {"trigger", r.trigger},
          {"tasks", r.tasks},
          {"rollback_of", optional(r.rollback_of)},
          {"created_at", r.created_at},
          {"updated_at", r.updated_at},
          {"current", app.current_release == r.id},
          {"desired", app.desired_release == r.id}};
}

int ReleasesList(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {{"format", true}}, 1, &p, &rc)) return rc;
  const std::string app = Arg(p, 0), format = p.Value("format", "stdout");
  if (format != "stdout" && format != "json") {
    return ctx.Fail(fmt::format("Format must be \"stdout\" or \"json\": \"{}\"", format));
  }
  if (int code = VerifyApp(ctx, app)) return code;
  StatusOr<App> a = ctx.store().GetApp(app);
  if (!a.ok()) return ctx.FailStatus(a.status());
  StatusOr<std::vector<Release>> releases = ctx.store().ListReleases(app);
  if (!releases.ok()) return ctx.FailStatus(releases.status());
  std::vector<Release> newest_first(releases->rbegin(), releases->rend());
  if (format == "json") {
    nlohmann::json arr = nlohmann::json::array();
    for (const Release& r : newest_first) arr.push_back(ReleaseJson(r, *a));
    ctx.Raw(arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return kExitOk;
  }
  if (newest_first.empty()) {
    ctx.Warn(fmt::format("App {} has no releases", app));
    return kExitOk;
  }
  ctx.Info2Quiet(fmt::format("{} releases", app));
  std::vector<std::vector<std::string>> rows = {
      {"RELEASE", "TAG", "IMAGE ID", "STATUS", "CREATED", "TRIGGER", "TASKS", "ERROR"}};
  const int64_t now = ctx.clock().NowSeconds();
  for (const Release& r : newest_first) {
    std::string status = a->current_release == r.id ? r.status + " (current)" : r.status;
    rows.push_back({std::to_string(r.number), r.tag,
                    r.image_id.empty() ? "-" : ShortId(r.image_id, 12), status,
                    HumanAgo(r.created_at, now), OneLine(r.trigger),
                    r.tasks.empty() ? "-" : OneLine(r.tasks), OneLine(r.error)});
  }
  PrintTable(ctx.out(), rows);
  return kExitOk;
}

int ReleasesRollback(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 2, &p, &rc)) return rc;
  const std::string app = Arg(p, 0), number_text = Arg(p, 1);
  if (int code = VerifyApp(ctx, app)) return code;
  int64_t number = 0;
  if (!number_text.empty()) {
    std::optional<long long> n = ParseInteger(number_text);
    if (!n || *n < 1 || number_text[0] == '+') {
      return ctx.Fail(fmt::format("Invalid release number specified: {}", number_text));
    }
    number = *n;
  }
  if (int code = RefuseIfLocked(ctx, app)) return code;
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return ctx.FailStatus(last.status());
  StatusOr<Release> release = ctx.store().CreateRollback(app, number);
  if (!release.ok()) return ctx.FailStatus(release.status());
  if (release->rollback_of) {
    StatusOr<Release> target = ctx.store().GetRelease(*release->rollback_of);
    if (target.ok()) {
      ctx.Info1(fmt::format("Rolling back {} to release {} ({})", app, target->number,
                            target->image_ref));
    }
  }
  StatusOr<App> a = ctx.store().GetApp(app);
  if (!a.ok()) return ctx.FailStatus(a.status());
  return FollowOne(ctx, *last, {Wait::Kind::kGeneration, app, a->generation, release->id});
}

const Command kReleasesCommands[] = {
    {"releases", "releases <app> [--format stdout|json]", "List an app's releases, newest first",
     ReleasesList},
    {"releases:rollback", "releases:rollback <app> [<number>]",
     "Deploy an earlier release again (default: the previous live one)", ReleasesRollback},
};

}  // namespace

std::span<const Command> ReleasesCommands() { return kReleasesCommands; }

}  // namespace dokku
