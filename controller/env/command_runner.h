// CommandRunner runs an operator-configured command line (daemon flags such as the nginx test
// and reload commands, never user input) through /bin/sh -c. ShellCommandRunner is the real one;
// tests use a fake that records the commands.
#pragma once

#include <string>

namespace dokku {

class CommandRunner {
 public:
  virtual ~CommandRunner() = default;
  // Returns the exit status (128+signal when killed, 127 when it could not be started) and puts
  // the combined stdout and stderr into *output.
  virtual int Run(const std::string& command_line, std::string* output) = 0;
};

// Spawns /bin/sh -c <command_line> with stdin from /dev/null, keeps at most 64 KiB of output and
// kills the command's process group after `timeout_s`. Thread-safe.
class ShellCommandRunner : public CommandRunner {
 public:
  explicit ShellCommandRunner(int timeout_s = 60) : timeout_s_(timeout_s) {}
  int Run(const std::string& command_line, std::string* output) override;

 private:
  int timeout_s_;
};

}  // namespace dokku
