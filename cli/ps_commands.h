// The ps topic's run functions, defined across ps_commands.cc (ps, ps:scale, ps:set),
// ps_lifecycle.cc (start/stop/restart/rebuild and --all) and ps_report.cc.
#pragma once

#include "cli/commands.h"

namespace dokku {

int PsStatus(Context& ctx, const Args& args);
int PsScale(Context& ctx, const Args& args);
int PsSet(Context& ctx, const Args& args);
int PsReport(Context& ctx, const Args& args);
int PsStart(Context& ctx, const Args& args);
int PsStop(Context& ctx, const Args& args);
int PsRestart(Context& ctx, const Args& args);
int PsRebuild(Context& ctx, const Args& args);
int PsRestartAll(Context& ctx, const Args& args);
int PsRestore(Context& ctx, const Args& args);
int PsRetire(Context& ctx, const Args& args);
int PsRebuildAll(Context& ctx, const Args& args);

}  // namespace dokku
