// RunCli: the whole `dokku` command line as a library call, so tests run commands in-process.
// It reads and writes the store only (never Docker). Returns the process exit code: 0 ok,
// 1 error, 2 usage error, 20 missing app.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "store/clock.h"

namespace dokku {

struct CliIo {
  std::istream* in;
  std::ostream* out;
  std::ostream* err;
  // The descriptor behind `in` when it is the process's own stdin (the real CLI: 0), so that
  // `run` and `enter` can stream it and see whether it is a terminal; -1 in tests.
  int in_fd = -1;
};

struct CliEnv {
  // The environment the command sees (DOKKU_LIB_ROOT, DOKKU_WAIT_TIMEOUT).
  std::map<std::string, std::string> vars;
  // Time for the store and for following the daemon.
  const Clock* clock = RealClock::Get();
  // Pause between polls of the daemon's progress; null = really sleep. Tests inject one that
  // advances a FakeClock and plays the daemon.
  std::function<void(int64_t ms)> sleep_ms;
  // The effective uid root-only commands check; null = geteuid(). Tests inject one.
  std::function<unsigned()> effective_uid;
};

// `args` excludes the program name: {"--quiet", "ps:scale", "app", "web=2"}. Exactly {"--ssh"}
// is the authorized_keys forced command: the command line comes from SSH_ORIGINAL_COMMAND
// (ParseSshCommand), run with SSH_USER ($USER, else dokku) and SSH_NAME ($NAME, else default).
int RunCli(const std::vector<std::string>& args, const CliIo& io, const CliEnv& env);

// The process environment as a map, for main().
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace dokku
