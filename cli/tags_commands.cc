// tags, tags:create, tags:deploy, tags:destroy: Dokku's (removed) tags plugin over the store.
#include <fmt/format.h>

#include "cli/command_util.h"
#include "cli/follow.h"
#include "cli/format.h"

namespace dokku {
namespace {

int TagsList(Context& ctx, const Args& args) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 1, &p, &rc)) return rc;
  const std::string app = Arg(p, 0);
  if (int code = VerifyApp(ctx, app)) return code;
  StatusOr<std::vector<ImageTag>> images = ctx.store().ListImages(app);
  if (!images.ok()) return ctx.FailStatus(images.status());
  ctx.Info2(fmt::format("Image tags for dokku/{}", app));
  std::vector<std::vector<std::string>> rows = {
      {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"}};
  const int64_t now = ctx.clock().NowSeconds();
  for (const ImageTag& t : *images) {
    rows.push_back({"dokku/" + app, t.tag, ShortId(t.image_id, 12), HumanAgo(t.created, now),
                    HumanSize(t.size)});
  }
  PrintTable(ctx.out(), rows);
  return kExitOk;
}

// Parses "<app> <tag>" and verifies the app; returns 0 or the exit code.
int AppAndTag(Context& ctx, const Args& args, std::string* app, std::string* tag) {
  ParsedFlags p;
  int rc = 0;
  if (!ParseCommandArgs(ctx, args, {}, 2, &p, &rc)) return rc;
  *app = Arg(p, 0);
  *tag = Arg(p, 1);
  if (int code = VerifyApp(ctx, *app)) return code;
  if (tag->empty()) return ctx.Fail("No tag specified");
  return kExitOk;
}

// Requests a tag operation from dokkud and waits for it; on success prints `success` unless
// dokkud reported it already.
int RunTagOp(Context& ctx, const std::string& app, const std::string& op, const std::string& tag,
             const SuccessLine& success) {
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return ctx.FailStatus(last.status());
  StatusOr<int64_t> id = ctx.store().RequestTagOp(app, op, tag);
  if (!id.ok()) return ctx.FailStatus(id.status());
  return FollowOne(ctx, *last, {Wait::Kind::kTagOp, app, *id, std::nullopt}, success);
}

int TagsCreate(Context& ctx, const Args& args) {
  std::string app, tag;
  if (int rc = AppAndTag(ctx, args, &app, &tag)) return rc;
  return RunTagOp(ctx, app, "create", tag,
                  {"info2", fmt::format("Added {} tag to dokku/{}", tag, app)});
}

int TagsDestroy(Context& ctx, const Args& args) {
  std::string app, tag;
  if (int rc = AppAndTag(ctx, args, &app, &tag)) return rc;
  if (tag == "latest") {
    return ctx.Fail(fmt::format("You can't remove internal dokku tag (latest) for dokku/{}", app));
  }
  return RunTagOp(ctx, app, "destroy", tag,
                  {"verbose", fmt::format("Untagged: dokku/{}:{}", app, tag)});
}

int TagsDeploy(Context& ctx, const Args& args) {
  std::string app, tag;
  if (int rc = AppAndTag(ctx, args, &app, &tag)) return rc;
  if (int code = RefuseIfLocked(ctx, app)) return code;
  StatusOr<int64_t> last = FollowStart(ctx);
  if (!last.ok()) return ctx.FailStatus(last.status());
  StatusOr<Release> release = ctx.store().CreateRelease(app, tag, "tags:deploy");
  if (!release.ok()) return ctx.FailStatus(release.status());
  StatusOr<App> a = ctx.store().GetApp(app);
  if (!a.ok()) return ctx.FailStatus(a.status());
  return FollowOne(ctx, *last, {Wait::Kind::kGeneration, app, a->generation, release->id});
}

const Command kTagsCommands[] = {
    {"tags", "tags <app>", "List all app image tags", TagsList},
    {"tags:create", "tags:create <app> <tag>", "Add tag to latest running app image", TagsCreate},
    {"tags:deploy", "tags:deploy <app> <tag>", "Deploy tagged app image", TagsDeploy},
    {"tags:destroy", "tags:destroy <app> <tag>", "Remove app image tag", TagsDestroy},
};

}  // namespace

std::span<const Command> TagsCommands() { return kTagsCommands; }

}  // namespace dokku
