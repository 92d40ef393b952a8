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
