// Context: what every command gets — the lazily opened store, Dokku-formatted output helpers,
// the global flags and the environment — and the exit codes commands return.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cli/cli.h"
#include "store/status.h"
#include "store/store.h"

namespace dokku {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNoApp = 20;

struct Command;

class Context {
 public:
  Context(const CliIo& io, const CliEnv& env) : io_(io), env_(env) {}

  // Global flags, given before the command name.
  bool quiet = false;
  bool detach = false;
  bool force = false;
  const Command* command = nullptr;

  // Opens $DOKKU_LIB_ROOT/dokku.db on first use. On failure prints the reason and returns false.
  bool OpenStore();
  Store& store() { return *store_; }

  // Dokku's log formats. The *Quiet variants print nothing under --quiet.
  void Info1(std::string_view text);
  void Info2(std::string_view text);
  void Verbose(std::string_view text);
  void Info1Quiet(std::string_view text);
  void Info2Quiet(std::string_view text);
  void VerboseQuiet(std::string_view text);
  void Warn(std::string_view text);  // " !     text" on stderr
  void Raw(std::string_view text);   // text + "\n" on stdout
  // Warns and returns `code`.
  int Fail(std::string_view text, int code = kExitError);
  // Fails with the status message; a missing app exits 20.
  int FailStatus(const Status& status);
  // Usage error (pflag style): message and the command's usage on stderr, exit 2.
  int UsageError(std::string_view text);

  std::string Getenv(const std::string& name, const std::string& fallback = "") const;
  const Clock& clock() const { return *env_.clock; }
  void SleepMs(int64_t ms);
  std::istream& in() { return *io_.in; }
  int in_fd() const { return io_.in_fd; }
  // $DOKKU_LIB_ROOT, else /var/lib/dokku.
  std::string StateDir() const;
  // $DOKKU_ROOT (the dokku user's home, which holds .ssh/authorized_keys), else /home/dokku.
  std::string DokkuRoot() const { return Getenv("DOKKU_ROOT", "/home/dokku"); }
  // Fails with Dokku's " !     This command must be run as root" (1) unless euid is 0.
  int RequireRoot();
  std::ostream& out() { return *io_.out; }
  std::ostream& err() { return *io_.err; }

 private:
  void Line(std::ostream& os, std::string_view prefix, std::string_view text);

  CliIo io_;
  const CliEnv& env_;
  std::unique_ptr<Store> store_;
};

// True for the NotFound status GetApp/RequireApp return for a missing app.
bool IsMissingApp(const Status& status);

// Verifies `app` names an existing app (Dokku's VerifyAppName): empty → "Please specify an app
// to run the command on" (1); missing → "App <app> does not exist" (20). Returns 0 when it
// exists. Opens the store.
int VerifyApp(Context& ctx, const std::string& app);

}  // namespace dokku
