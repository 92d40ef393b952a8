// The CLI's side of dokkud's control socket (controller/control/protocol.h): for what is not
// desired state — logs, run, enter, ps:inspect — the command sends one request and relays the
// answer. The CLI still never talks to Docker; dokkud checks who is asking (SO_PEERCRED).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/context.h"

namespace dokku {

struct ControlCallOptions {
  bool attach_stdin = false;  // send the command's stdin (ctx.in(), or fd 0 for the real CLI)
  bool tty = false;           // the terminal goes raw for the call and is restored after
  std::string* capture_stdout = nullptr;  // collect stdout here instead of printing it
};

// Sends `request` and prints what comes back until dokkud's exit frame; returns its code.
// An unreachable daemon or a refused peer prints why and returns 1.
int CallDaemon(Context& ctx, const nlohmann::json& request, const ControlCallOptions& options);

// Whether the command's stdin is a terminal (Dokku's has_tty, with DOKKU_FORCE_TTY=true and
// DOKKU_DISABLE_TTY=true overriding), and its size when it is.
bool StdinIsTerminal(Context& ctx);
void TerminalSize(int* rows, int* cols);

}  // namespace dokku
