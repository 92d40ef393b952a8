// The command table: every `dokku` command with its usage line, help text and run function,
// grouped in topics (apps, ps, tags, ...) for `dokku help` and `dokku <topic>:help`.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cli/context.h"

namespace dokku {

using Args = std::vector<std::string>;

struct Command {
  std::string_view name;   // "ps:scale"
  std::string_view usage;  // "ps:scale [--skip-deploy] ... <app> [<proc>=<count>...]"
  std::string_view help;   // one line, as in Dokku's help tables
  int (*run)(Context& ctx, const Args& args);
  bool hidden = false;  // left out of help tables
};

struct Topic {
  std::string_view name;  // "ps"
  std::string_view description;
  // With no arguments `dokku <topic>` prints the topic help, even when a command has its name.
  std::span<const Command> commands;
};

// Each topic's commands, defined next to their run functions.
std::span<const Command> AppsCommands();
std::span<const Command> PsCommands();
std::span<const Command> TagsCommands();
std::span<const Command> ReleasesCommands();
std::span<const Command> ChecksCommands();
std::span<const Command> ConfigCommands();
std::span<const Command> DomainsCommands();
std::span<const Command> PortsCommands();
std::span<const Command> SchedulerCommands();
std::span<const Command> RegistryCommands();
std::span<const Command> StorageCommands();
std::span<const Command> DockerOptionsCommands();
std::span<const Command> ResourceCommands();
std::span<const Command> SshKeysCommands();

const std::vector<Topic>& Topics();
const Command* FindCommand(std::string_view name);
const Topic* FindTopic(std::string_view name);

// Help output (cli/help.cc).
void PrintTopicHelp(Context& ctx, const Topic& topic);
void PrintCommandHelp(Context& ctx, const Command& command);
void PrintGlobalHelp(Context& ctx, bool all);

}  // namespace dokku
