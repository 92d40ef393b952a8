#include "cli/command_util.h"

#include <fmt/format.h>

namespace dokku {

bool ParseCommandArgs(Context& ctx, const Args& args, std::initializer_list<FlagSpec> specs,
                      size_t max_positional, ParsedFlags* parsed, int* rc) {
  StatusOr<ParsedFlags> p = ParseFlags(args, specs);
  if (!p.ok()) {
    *rc = ctx.UsageError(p.status().message());
    return false;
  }
  if (p->positional.size() > max_positional) {
    *rc = ctx.UsageError("too many arguments");
    return false;
  }
  *parsed = std::move(p).value();
  return true;
}

std::string Arg(const ParsedFlags& parsed, size_t i) {
  return i < parsed.positional.size() ? parsed.positional[i] : std::string();
}

bool ParsePropertyArgs(Context& ctx, const Args& args, PropertyArgs* out, int* rc,
                       bool verify_app) {
  ParsedFlags p;
  if (!ParseCommandArgs(ctx, args, {{"global"}}, 3, &p, rc)) return false;
  out->global = p.Has("global");
  if (out->global && p.positional.size() > 2) {
    *rc = ctx.UsageError("too many arguments");
    return false;
  }
  out->app = out->global ? kGlobal : Arg(p, 0);
  out->key = Arg(p, out->global ? 0 : 1);
  out->value = Arg(p, out->global ? 1 : 2);
  if (verify_app && !out->global) *rc = VerifyApp(ctx, out->app);
  return *rc == kExitOk;
}

std::string LockedMessage(const std::string& app) {
  return fmt::format("{} currently has a deploy lock in place. Exiting...", app);
}

Status CheckUnlocked(Context& ctx, const std::string& app) {
  if (!ctx.OpenStore()) return Status::Unavailable("cannot open the store");
  StatusOr<App> a = ctx.store().GetApp(app);
  if (!a.ok()) return a.status();
  return a->locked ? Status::FailedPrecondition(LockedMessage(app)) : Status::Ok();
}

int RefuseIfLocked(Context& ctx, const std::string& app) {
  Status st = CheckUnlocked(ctx, app);
  if (st.ok()) return kExitOk;
  if (st.code() != StatusCode::kFailedPrecondition) return ctx.FailStatus(st);
  ctx.Warn(st.message());
  return ctx.Fail("Run 'apps:unlock' to release the existing deploy lock");
}

}  // namespace dokku
