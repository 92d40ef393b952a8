// Keeps README.md's reference honest: every command `dokku help --all` lists and every flag
// `dokkud --help` lists must be documented there.
#include <regex>
#include <set>
#include <sstream>

#include "tests/testing/testutil.h"

namespace dokku::testutil {
namespace {

std::string Readme() { return ReadFileOr(std::string(DOKKUD_SOURCE_DIR) + "/README.md"); }

TEST(ReadmeTest, DocumentsEveryCliCommand) {
  CommandResult help = RunCommand({DOKKU_BIN, "help", "--all"});
  ASSERT_EQ(help.exit_code, 0) << help.Describe();
  const std::string readme = Readme();
  ASSERT_FALSE(readme.empty()) << "README.md missing";

  std::set<std::string> commands;
  std::istringstream lines(help.out);
  for (std::string line; std::getline(lines, line);) {
    // Command rows are indented by four spaces: "    ps:scale [--skip-deploy] ...  help text".
    if (line.rfind("    ", 0) != 0) continue;
    std::istringstream words(line);
    std::string name;
    words >> name;
    if (!name.empty()) commands.insert(name);
  }
  EXPECT_GE(commands.size(), 10u) << help.out;
  for (const std::string& name : commands) {
    const bool documented = readme.find("| `" + name + " ") != std::string::npos ||
                            readme.find("| `" + name + "`") != std::string::npos;
    EXPECT_TRUE(documented) << "README.md's command table lacks `" << name << "`";
  }
}

TEST(ReadmeTest, DocumentsEveryDaemonFlag) {
  CommandResult help = RunCommand({DOKKUD_BIN, "--help"});
  const std::string text = help.out + help.err;
  const std::string readme = Readme();
  std::set<std::string> flags;
  const std::regex flag_re("--[a-z][a-z-]+");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), flag_re);
       it != std::sregex_iterator(); ++it) {
    flags.insert(it->str());
  }
  flags.erase("--help");
  flags.erase("--version");
  EXPECT_GE(flags.size(), 8u) << text;
  for (const std::string& flag : flags) {
    EXPECT_NE(readme.find("`" + flag), std::string::npos)
        << "README.md does not document dokkud " << flag;
  }
}

}  // namespace
}  // namespace dokku::testutil
