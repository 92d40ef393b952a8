// The apps topic's run functions defined in apps_extras.cc (the table is in apps_commands.cc).
#pragma once

#include <string>

#include "cli/commands.h"

namespace dokku {

int AppsClone(Context& ctx, const Args& args);
int AppsRename(Context& ctx, const Args& args);
int AppsReport(Context& ctx, const Args& args);
int AppsSet(Context& ctx, const Args& args);
// apps:destroy after its confirmation: prints the header, marks `app` for deletion and follows
// dokkud until its containers are gone. Returns the exit code.
int DestroyAndFollow(Context& ctx, const std::string& app);

}  // namespace dokku
