// The apps topic's run functions defined in apps_extras.cc (the table is in apps_commands.cc).
#pragma once

#include "cli/commands.h"

namespace dokku {

int AppsClone(Context& ctx, const Args& args);
int AppsReport(Context& ctx, const Args& args);
int AppsSet(Context& ctx, const Args& args);

}  // namespace dokku
