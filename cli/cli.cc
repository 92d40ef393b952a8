// RunCli: global flags, then dispatch to the command table.
#include "cli/cli.h"

#include <exception>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/ssh_command.h"

extern char** environ;

namespace dokku {
namespace {

bool WantsHelp(const Args& args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
  }
  return false;
}

int UnknownCommand(Context& ctx, const std::string& name) {
  ctx.Warn("`" + name + "` is not a dokku command.");
  return ctx.Fail("See `dokku help` for a list of available commands.");
}

int Dispatch(Context& ctx, const std::vector<std::string>& args) {
  size_t i = 0;
  std::optional<std::string> app;  // Dokku's `--app X`: X goes in right after the command
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--app" || a.rfind("--app=", 0) == 0) {
      if (a == "--app" && i + 1 == args.size()) return ctx.Fail("flag needs an argument: --app");
      std::string value = a == "--app" ? args[++i] : a.substr(6);
      if (app && *app != value) return ctx.Fail("flag given more than once: --app");
      app = std::move(value);
    } else if (a == "--quiet") {
      ctx.quiet = true;
    } else if (a == "--detach") {
      ctx.detach = true;
    } else if (a == "--force") {
      ctx.force = true;
    } else if (a == "--trace") {
      // Accepted for compatibility; dokku has no shell trace to turn on.
    } else {
      break;
    }
  }
  if (i == args.size()) {
    PrintGlobalHelp(ctx, false);
    return kExitOk;
  }
  const std::string& name = args[i];
  Args rest(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
  if (app) rest.insert(rest.begin(), *app);
  if (name == "help" || name == "--help" || name == "-h") {
    PrintGlobalHelp(ctx, !rest.empty() && rest[0] == "--all");
    return kExitOk;
  }
  if (name == "version" || name == "--version" || name == "-v") {
    ctx.Raw("dokkud " DOKKUD_VERSION);
    return kExitOk;
  }
  if (name.size() > 5 && name.compare(name.size() - 5, 5, ":help") == 0) {
    if (const Topic* topic = FindTopic(name.substr(0, name.size() - 5))) {
      PrintTopicHelp(ctx, *topic);
      return kExitOk;
    }
  }
  const Command* command = FindCommand(name);
  if (const Topic* topic = FindTopic(name)) {
    if (!command || rest.empty() || rest[0] == "--help" || rest[0] == "-h") {
      PrintTopicHelp(ctx, *topic);
      return kExitOk;
    }
  }
  if (!command) return UnknownCommand(ctx, name);
  if (WantsHelp(rest)) {
    PrintCommandHelp(ctx, *command);
    return kExitOk;
  }
  ctx.command = command;
  return command->run(ctx, rest);
}

int RunArgs(const std::vector<std::string>& args, const CliIo& io, const CliEnv& env) {
  Context ctx(io, env);
  int rc = kExitError;
  try {
    rc = Dispatch(ctx, args);
  } catch (const std::exception& e) {
    // Nothing below should throw; this is the last edge before the process exits.
    rc = ctx.Fail(std::string("internal error: ") + e.what());
  }
  ctx.out().flush();
  ctx.err().flush();
  return rc;
}

// `dokku --ssh`: the command line is SSH_ORIGINAL_COMMAND, split as Dokku's dispatcher does.
int DispatchSsh(const CliIo& io, const CliEnv& env) {
  CliEnv ssh_env = env;
  auto var = [&](const char* name, const char* fallback) {
    auto it = env.vars.find(name);
    return it == env.vars.end() || it->second.empty() ? std::string(fallback) : it->second;
  };
  ssh_env.vars["SSH_USER"] = var("USER", "dokku");
  ssh_env.vars["SSH_NAME"] = var("NAME", "default");
  const std::string command = var("SSH_ORIGINAL_COMMAND", "");
  ssh_env.vars.erase("SSH_ORIGINAL_COMMAND");
  StatusOr<std::vector<std::string>> words = ParseSshCommand(command);
  if (!words.ok()) {
    Context ctx(io, ssh_env);
    return ctx.FailStatus(words.status());
  }
  return RunArgs(*words, io, ssh_env);
}

}  // namespace

int RunCli(const std::vector<std::string>& args, const CliIo& io, const CliEnv& env) {
  if (args.size() == 1 && args[0] == "--ssh") return DispatchSsh(io, env);
  return RunArgs(args, io, env);
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    size_t eq = entry.find('=');
    if (eq != std::string::npos) vars[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return vars;
}

}  // namespace dokku
