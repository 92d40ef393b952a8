// Small helpers shared by the command implementations.
#pragma once

#include <initializer_list>
#include <string>

#include "cli/commands.h"
#include "cli/flags.h"

namespace dokku {

// Parses `args`; on an unknown flag or more than `max_positional` arguments prints a usage
// error and returns false with the exit code (2) in *rc.
bool ParseCommandArgs(Context& ctx, const Args& args, std::initializer_list<FlagSpec> specs,
                      size_t max_positional, ParsedFlags* parsed, int* rc);

// `<plugin>:set [--global|<app>] <key> [<value>]`: app is kGlobal with --global. False (with *rc
// set, the error printed) when the arguments do not fit or, with verify_app, the app is missing.
struct PropertyArgs {
  bool global = false;
  std::string app, key, value;
};
bool ParsePropertyArgs(Context& ctx, const Args& args, PropertyArgs* out, int* rc,
                       bool verify_app = false);

// The i-th positional argument, or "".
std::string Arg(const ParsedFlags& parsed, size_t i);

// apps:lock's refusal: "<app> currently has a deploy lock in place. Exiting...".
std::string LockedMessage(const std::string& app);
// For commands that would deploy or restart `app` (an existing app): when it is locked, prints
// LockedMessage and "Run 'apps:unlock' to release the existing deploy lock" and returns 1;
// returns 0 when it is not.
int RefuseIfLocked(Context& ctx, const std::string& app);
// The same check for --all runs: FailedPrecondition(LockedMessage) when locked.
Status CheckUnlocked(Context& ctx, const std::string& app);

}  // namespace dokku
