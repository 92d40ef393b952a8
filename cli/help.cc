// Help output and the topic table.
#include <ostream>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/operate_commands.h"

namespace dokku {

const std::vector<Topic>& Topics() {
  static const std::vector<Topic> topics = {
      {"apps", "Manage apps", AppsCommands()},
      {"checks", "Manage zero-downtime settings", ChecksCommands()},
      {"config", "Manage global and app-specific config vars", ConfigCommands()},
      {"docker-options", "Manage docker options for an app", DockerOptionsCommands()},
      {"domains", "Manage domains used by the proxy", DomainsCommands()},
      {"enter", "Connect to a specific app container", EnterCommands()},
      {"logs", "Manage log integration for an app", LogsCommands()},
      {"ports", "Manage ports for an app", PortsCommands()},
      {"ps", "Manage app processes", PsCommands()},
      {"registry", "Manage registry settings for an app", RegistryCommands()},
      {"releases", "Manage app releases and roll back to an earlier one", ReleasesCommands()},
      {"resource", "Manage resource settings for an app", ResourceCommands()},
      {"run", "Run a one-off process inside a container", RunCommands()},
      {"scheduler", "Manage scheduler settings", SchedulerCommands()},
      {"ssh-keys", "Manage public ssh keys used for deployment", SshKeysCommands()},
      {"storage", "Manage mounted volumes", StorageCommands()},
      {"tags", "Manage docker image tags", TagsCommands()},
  };
  return topics;
}

const Topic* FindTopic(std::string_view name) {
  for (const Topic& t : Topics()) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const Command* FindCommand(std::string_view name) {
  for (const Topic& t : Topics()) {
    for (const Command& c : t.commands) {
      if (c.name == name) return &c;
    }
  }
  return nullptr;
}

namespace {

std::vector<std::pair<std::string, std::string>> CommandRows(const Topic& topic) {
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Command& c : topic.commands) {
    if (!c.hidden) rows.emplace_back(std::string(c.usage), std::string(c.help));
  }
  return rows;
}

}  // namespace

void PrintTopicHelp(Context& ctx, const Topic& topic) {
  std::ostream& os = ctx.out();
  os << "Usage: dokku " << topic.name << "[:COMMAND]\n\n"
     << topic.description << "\n\nAdditional commands:\n";
  PrintColumns(os, CommandRows(topic));
}

void PrintCommandHelp(Context& ctx, const Command& command) {
  ctx.out() << "Usage: dokku " << command.usage << "\n\n" << command.help << '\n';
}

void PrintGlobalHelp(Context& ctx, bool all) {
  std::ostream& os = ctx.out();
  os << "Usage: dokku [--quiet|--trace|--force|--detach] COMMAND <app> [command-specific-options]\n"
        "\n"
        "Primary help options, type \"dokku COMMAND:help\" for more details, or dokku help --all "
        "to see all commands.\n"
        "\n"
        "Commands:\n"
        "\n";
  std::vector<std::pair<std::string, std::string>> rows;
  for (const Topic& t : Topics()) {
    if (all) {
      for (auto& row : CommandRows(t)) rows.push_back(std::move(row));
    } else {
      rows.emplace_back(std::string(t.name), std::string(t.description));
    }
  }
  rows.emplace_back("help", "Print the list of commands");
  rows.emplace_back("version", "Print dokkud's version");
  PrintColumns(os, rows);
}

}  // namespace dokku
