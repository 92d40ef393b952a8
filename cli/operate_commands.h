// Shared by the commands served over dokkud's control socket (logs_commands.cc,
// run_commands.cc): the log flags of `logs` and `run:logs`, and the deployed-app check.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/flags.h"

namespace dokku {

struct LogFlags {
  std::vector<std::string> positional;
  int num = 100;
  bool tail = false;
  bool quiet = false;
  std::string ps;
  std::string container;
};

// pflag-style -t|--tail, -n|--num N, -q|--quiet plus `extra` (long names; -p is --ps).
// Usage errors print and set *rc (2).
bool ParseLogFlags(Context& ctx, const Args& args, std::initializer_list<FlagSpec> extra,
                   LogFlags* out, int* rc);

// VerifyApp, then Dokku's " !     App <app> has not been deployed" (exit 1) for an app with no
// live release. Returns 0 when it has one.
int RequireDeployed(Context& ctx, const std::string& app);

std::span<const Command> LogsCommands();
std::span<const Command> RunCommands();
std::span<const Command> EnterCommands();
int PsInspect(Context& ctx, const Args& args);

}  // namespace dokku
