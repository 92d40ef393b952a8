// Shared test utilities: status assertions, temp dirs, subprocesses, locally built busybox images,
// Docker cleanup, a dokkud process handle and HTTP/Docker probes. Everything lives in
// dokku::testutil; the ASSERT_OK / EXPECT_OK macros are global. Not thread-safe unless stated.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace dokku::testutil {

inline Status AsStatus(const Status& s) { return s; }
template <typename T>
Status AsStatus(const StatusOr<T>& s) {
  return s.status();
}

}  // namespace dokku::testutil

// Work with both Status and StatusOr<T>; print the status on failure.
#define ASSERT_OK(expr)                                                               \
  do {                                                                                \
    const ::dokku::Status dokku_testutil_status_ = ::dokku::testutil::AsStatus(expr); \
    ASSERT_TRUE(dokku_testutil_status_.ok())                                          \
        << #expr << " -> " << dokku_testutil_status_.ToString();                      \
  } while (0)
#define EXPECT_OK(expr)                                                               \
  do {                                                                                \
    const ::dokku::Status dokku_testutil_status_ = ::dokku::testutil::AsStatus(expr); \
    EXPECT_TRUE(dokku_testutil_status_.ok())                                          \
        << #expr << " -> " << dokku_testutil_status_.ToString();                      \
  } while (0)

namespace dokku::testutil {

inline constexpr char kDockerCli[] = "/usr/bin/docker";
inline constexpr char kDockerSocket[] = "/var/run/docker.sock";

// A fresh directory under /tmp, removed recursively (best effort) when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + relative.
  std::string Join(std::string_view relative) const;

 private:
  std::string path_;
};

struct CommandResult {
  int exit_code = -1;  // exit status, or 128 + signal number if killed by a signal
  std::string out;
  std::string err;
  bool timed_out = false;
  // "exit N\nstdout:...\nstderr:..." for assertion messages.
  std::string Describe() const;
};

// fork/exec argv (PATH lookup, no shell) with the current environment plus extra_env, feeding
// stdin_data and capturing stdout and stderr separately. The child runs in its own process
// group; on timeout the whole group is SIGKILLed and timed_out is set. The child is SIGKILLed if
// the test process dies.
CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& extra_env = {},
                         const std::string& stdin_data = "", int timeout_s = 120);

// Runs the dokku CLI (DOKKU_BIN) with DOKKU_LIB_ROOT=state_dir.
CommandResult RunDokku(const std::string& state_dir, const std::vector<std::string>& args,
                       const std::string& stdin_data = "", int timeout_s = 120);

// Runs /usr/bin/docker with args.
CommandResult RunDocker(const std::vector<std::string>& args, int timeout_s = 120);

// "dokkutest-<pid>-<counter>-<prefix>", lowercased, with characters outside [a-z0-9-] mapped
// to '-': valid as a Dokku app name and as a Docker container name. Thread-safe.
std::string UniqueName(std::string_view prefix);

// Images built without a registry: busybox-static plus the given files, via `docker import`.
class TestImage {
 public:
  // The default CMD: busybox httpd serving /app on $PORT in the foreground.
  static std::vector<std::string> DefaultCmd();

  // Builds and tags `ref`; returns the image id ("sha256:..."). Keys of `files` and `symlinks`
  // are paths inside the image: relative ones are under /app (the WORKDIR), absolute ones are
  // taken as is. Files whose content starts with "#!" are made executable. symlinks maps
  // link path -> target. The image has /bin/busybox with applet links (sh, httpd, echo, cat,
  // sleep, true, env, ls, wget, nc, ...), /tmp, /app, WORKDIR /app and PATH set.
  static StatusOr<std::string> Build(const std::string& ref,
                                     const std::map<std::string, std::string>& files,
                                     const std::vector<std::string>& cmd = {},
                                     const std::map<std::string, std::string>& symlinks = {});
  // `docker rmi -f ref`; OK if it did not exist.
  static Status RemoveImage(const std::string& ref);
  // `docker tag src dst`.
  static Status Retag(const std::string& src, const std::string& dst);
};

// Removes, when destroyed, every container of the registered apps (label
// com.dokku.app-name=<app>, or a name equal to <app> or starting with "<app>." / "<app>-"),
// every image of repository dokku/<app>, and every registered image ref. Runs on test failure too.
class DockerCleanup {
 public:
  DockerCleanup() = default;
  ~DockerCleanup();
  DockerCleanup(const DockerCleanup&) = delete;
  DockerCleanup& operator=(const DockerCleanup&) = delete;

  void AddApp(const std::string& app) { apps_.push_back(app); }
  void AddImage(const std::string& ref) { images_.push_back(ref); }
  // Containers whose name starts with prefix.
  void AddContainerPrefix(const std::string& prefix) { prefixes_.push_back(prefix); }
  // Runs the cleanup now (the destructor runs it again, harmlessly).
  void CleanupNow();

 private:
  std::vector<std::string> apps_;
  std::vector<std::string> images_;
  std::vector<std::string> prefixes_;
};

// Polls pred every interval_ms until it returns true (-> true) or timeout_ms passes (-> false).
bool WaitFor(const std::function<bool()>& pred, int timeout_ms, int interval_ms = 50);

// A dokkud process (DOKKUD_BIN). It is started with
//   --state-dir <state_dir> [--proxy none] [--docker-host unix:///var/run/docker.sock] <args>
// (the bracketed defaults are left out when args already name that flag), DOKKU_LIB_ROOT=state_dir
// plus env, and stdout+stderr appended to <state_dir>/dokkud.log. The destructor calls Stop().
// Call Start() from a thread that outlives the daemon (e.g. the test's main thread): the daemon
// gets SIGTERM when the thread that started it exits, so a crashed test leaves no daemon behind.
class DaemonProcess {
 public:
  explicit DaemonProcess(std::string state_dir, std::vector<std::string> args = {},
                         std::map<std::string, std::string> env = {});
  ~DaemonProcess();
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  Status Start();
  // SIGTERM, wait up to timeout_ms, then SIGKILL. Returns the exit code (128+signal if killed
  // by a signal), or -1 if it was not running.
  int Stop(int timeout_ms = 30000);
  // SIGKILL and reap: simulates a crash.
  void Kill9();
  Status Restart();
  // True while the process has not exited (reaps it if it has).
  bool Running();
  pid_t pid() const { return pid_; }
  std::string LogPath() const { return state_dir_ + "/dokkud.log"; }
  // The whole log so far.
  std::string Log() const;
  std::vector<std::string> Argv() const;

 private:
  int Reap(int timeout_ms);

  std::string state_dir_;
  std::vector<std::string> args_;
  std::map<std::string, std::string> env_;
  pid_t pid_ = -1;
};

// A foreground child (argv[0] is a path, no PATH lookup) with stdout and stderr on /dev/null,
// SIGTERMed and reaped when destroyed. started() is false when it could not be spawned.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv);
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

// True if dockerd answers GET /_ping on /var/run/docker.sock. Only for clearer failure messages:
// tests needing Docker fail (never skip) when it is absent.
bool DockerAvailable();

// GET http://<host_port><path> with an optional Host header (10 s timeout). Returns the body;
// *status gets the HTTP status, or 0 if the connection failed.
std::string HttpGet(const std::string& host_port, const std::string& path,
                    const std::string& host_header = "", int* status = nullptr);

// The lines of `text` without their newlines, empty lines dropped.
std::vector<std::string> NonEmptyLines(const std::string& text);
// `s` without its trailing newlines and spaces (a command's one-line answer).
std::string TrimTrailing(std::string s);

// Small file helpers; ReadFileOr returns "" when the file cannot be read.
std::string ReadFileOr(const std::string& path);
Status WriteFile(const std::string& path, const std::string& content);

// Permission bits of `path`, or -1 when it does not exist.
int FileMode(const std::string& path);

// Sets the process umask while alive (children inherit it).
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask);
  ~ScopedUmask();
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t saved_;
};

}  // namespace dokku::testutil
