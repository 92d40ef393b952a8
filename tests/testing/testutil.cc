#include "tests/testing/testutil.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

extern char** environ;

namespace dokku::testutil {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string TrimRight(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

int DecodeWaitStatus(int wstatus) {
  if (WIFEXITED(wstatus)) return WEXITSTATUS(wstatus);
  if (WIFSIGNALED(wstatus)) return 128 + WTERMSIG(wstatus);
  return -1;
}

// Everything the child needs is built before fork(): after fork in a threaded process only
// async-signal-safe calls are allowed.
struct ExecArgs {
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;
};

ExecArgs PrepareExec(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& extra_env,
                     std::vector<std::string>& argv_storage) {
  ExecArgs a;
  argv_storage = argv;
  for (auto& s : argv_storage) a.argv.push_back(s.data());
  a.argv.push_back(nullptr);
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    std::string key(kv.substr(0, kv.find('=')));
    if (!extra_env.count(key)) a.env_storage.emplace_back(kv);
  }
  for (const auto& [k, v] : extra_env) a.env_storage.push_back(k + "=" + v);
  for (auto& s : a.env_storage) a.envp.push_back(s.data());
  a.envp.push_back(nullptr);
  return a;
}

// In the child: restore default signal handling (ignored signals survive exec) and exec.
// `death_signal` is delivered to the child if the test process dies first (a crashed or
// timed-out test binary must not leave a dokkud reconciling containers forever).
[[noreturn]] void ExecChild(const ExecArgs& a, pid_t parent, int death_signal) {
  prctl(PR_SET_PDEATHSIG, death_signal);
  if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);
  execvpe(a.argv[0], a.argv.data(), a.envp.data());
  const char msg[] = "testutil: exec failed\n";
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof(msg) - 1);
  (void)ignored;
  _exit(127);
}

void IgnoreSigpipeOnce() {
  static const bool done = [] {
    signal(SIGPIPE, SIG_IGN);  // a child that exits early must not kill the test via stdin
    return true;
  }();
  (void)done;
}

size_t CurlAppend(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

bool NameMatchesPrefix(const std::string& name, const std::string& app) {
  if (name == app) return true;
  if (name.size() <= app.size() || name.compare(0, app.size(), app) != 0) return false;
  char next = name[app.size()];
  return next == '.' || next == '-' || next == '_';
}

std::string ImagePath(const std::string& key) {
  return key.empty() || key[0] != '/' ? "app/" + key : key.substr(1);
}

}  // namespace

std::string TrimTrailing(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::vector<std::string> NonEmptyLines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// ---- TempDir ----

TempDir::TempDir() {
  char tmpl[] = "/tmp/dokkutest-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) {
    ADD_FAILURE() << "mkdtemp failed: " << std::strerror(errno);
    return;
  }
  path_ = tmpl;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::Join(std::string_view relative) const {
  return path_ + "/" + std::string(relative);
}

// ---- Commands ----

std::string CommandResult::Describe() const {
  return "exit " + std::to_string(exit_code) + (timed_out ? " (timed out)" : "") + "\nstdout:\n" +
         out + "\nstderr:\n" + err;
}

CommandResult RunCommand(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& extra_env,
                         const std::string& stdin_data, int timeout_s) {
  CommandResult result;
  if (argv.empty()) {
    result.err = "RunCommand: empty argv";
    return result;
  }
  IgnoreSigpipeOnce();
  std::vector<std::string> argv_storage;
  ExecArgs exec_args = PrepareExec(argv, extra_env, argv_storage);

  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 ||
      pipe2(err_pipe, O_CLOEXEC) != 0) {
    result.err = std::string("pipe2: ") + std::strerror(errno);
    return result;
  }
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    dup2(in_pipe[0], STDIN_FILENO);
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    ExecChild(exec_args, parent, SIGKILL);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    result.err = std::string("fork: ") + std::strerror(errno);
    return result;
  }
  setpgid(pid, pid);  // also from the parent, so the kill below can never miss the group

  int in_fd = in_pipe[1];
  fcntl(in_fd, F_SETFL, O_NONBLOCK);
  if (stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  int out_fd = out_pipe[0], err_fd = err_pipe[0];
  size_t written = 0;
  bool reaped = false;
  const auto deadline = Clock::now() + std::chrono::seconds(timeout_s);
  // After the child exits, a grandchild may still hold the pipes: drain briefly, then stop.
  std::optional<Clock::time_point> drain_deadline;

  while (out_fd >= 0 || err_fd >= 0 || !reaped) {
    if (!reaped) {
      int wstatus = 0;
      if (waitpid(pid, &wstatus, WNOHANG) == pid) {
        reaped = true;
        result.exit_code = DecodeWaitStatus(wstatus);
        drain_deadline = Clock::now() + std::chrono::seconds(2);
      } else if (Clock::now() >= deadline) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        result.timed_out = true;
        waitpid(pid, &wstatus, 0);
        reaped = true;
        result.exit_code = DecodeWaitStatus(wstatus);
        drain_deadline = Clock::now() + std::chrono::seconds(1);
      }
    }
    if (drain_deadline && Clock::now() >= *drain_deadline) break;

    pollfd fds[3];
    int n = 0;
    if (out_fd >= 0) fds[n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[n++] = {err_fd, POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (n == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    if (poll(fds, n, 50) < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in_fd) {
        ssize_t w = write(in_fd, stdin_data.data() + written, stdin_data.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) written = stdin_data.size();  // EPIPE: reader is gone
        if (written == stdin_data.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      char buf[8192];
      ssize_t r = read(fds[i].fd, buf, sizeof(buf));
      if (r > 0) {
        (fds[i].fd == out_fd ? result.out : result.err).append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EAGAIN) {
        int& fd = fds[i].fd == out_fd ? out_fd : err_fd;
        close(fd);
        fd = -1;
      }
    }
  }
  for (int fd : {in_fd, out_fd, err_fd}) {
    if (fd >= 0) close(fd);
  }
  return result;
}

CommandResult RunDokku(const std::string& state_dir, const std::vector<std::string>& args,
                       const std::string& stdin_data, int timeout_s) {
  std::vector<std::string> argv{DOKKU_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, {{"DOKKU_LIB_ROOT", state_dir}}, stdin_data, timeout_s);
}

CommandResult RunDocker(const std::vector<std::string>& args, int timeout_s) {
  std::vector<std::string> argv{kDockerCli};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv, {}, "", timeout_s);
}

std::string UniqueName(std::string_view prefix) {
  static std::atomic<int> counter{0};
  std::string name = "dokkutest-" + std::to_string(getpid()) + "-" + std::to_string(++counter) +
                     "-" + std::string(prefix);
  for (char& c : name) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') c = '-';
  }
  while (name.back() == '-') name.pop_back();
  return name;
}

// ---- TestImage ----

std::vector<std::string> TestImage::DefaultCmd() {
  return {"/bin/sh", "-c", "httpd -f -p $PORT -h /app"};
}

StatusOr<std::string> TestImage::Build(const std::string& ref,
                                       const std::map<std::string, std::string>& files,
                                       const std::vector<std::string>& cmd,
                                       const std::map<std::string, std::string>& symlinks) {
  static const char* kApplets[] = {
      "sh", "httpd", "echo", "cat",    "sleep", "true", "false", "env", "ls",    "wget",    "nc",
      "ps", "kill",  "test", "printf", "grep",  "sed",  "mkdir", "rm",  "touch", "hostname"};
  TempDir tmp;
  const fs::path root = fs::path(tmp.path()) / "rootfs";
  std::error_code ec;
  for (const char* dir : {"bin", "tmp", "app", "etc"}) fs::create_directories(root / dir, ec);
  fs::permissions(root / "tmp", fs::perms::all | fs::perms::sticky_bit, ec);
  fs::copy_file("/bin/busybox", root / "bin/busybox", ec);
  if (ec)
    return Status::Internal("copy /bin/busybox (is busybox-static installed?): " + ec.message());
  for (const char* applet : kApplets) fs::create_symlink("busybox", root / "bin" / applet, ec);

  for (const auto& [path, content] : files) {
    fs::path dest = root / ImagePath(path);
    fs::create_directories(dest.parent_path(), ec);
    DOKKU_RETURN_IF_ERROR(WriteFile(dest.string(), content));
    if (content.rfind("#!", 0) == 0)
      fs::permissions(dest,
                      fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                          fs::perms::others_read | fs::perms::others_exec,
                      ec);
  }
  for (const auto& [link, target] : symlinks) {
    fs::path dest = root / ImagePath(link);
    fs::create_directories(dest.parent_path(), ec);
    fs::create_symlink(target, dest, ec);
    if (ec) return Status::Internal("symlink " + link + ": " + ec.message());
  }

  const std::string tar_path = tmp.Join("image.tar");
  CommandResult tar = RunCommand({"tar", "--numeric-owner", "--owner=0", "--group=0", "-C",
                                  root.string(), "-cf", tar_path, "."});
  if (tar.exit_code != 0) return Status::Internal("tar: " + tar.Describe());

  const std::string cmd_json = nlohmann::json(cmd.empty() ? DefaultCmd() : cmd).dump();
  CommandResult imp =
      RunDocker({"import", "--change", "WORKDIR /app", "--change",
                 "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                 "--change", "CMD " + cmd_json, tar_path, ref});
  if (imp.exit_code != 0) return Status::Internal("docker import " + ref + ": " + imp.Describe());
  return TrimRight(imp.out);
}

Status TestImage::RemoveImage(const std::string& ref) {
  CommandResult r = RunDocker({"rmi", "-f", ref});
  if (r.exit_code != 0 && r.err.find("No such image") == std::string::npos) {
    return Status::Internal("docker rmi " + ref + ": " + r.Describe());
  }
  return Status::Ok();
}

Status TestImage::Retag(const std::string& src, const std::string& dst) {
  CommandResult r = RunDocker({"tag", src, dst});
  if (r.exit_code != 0)
    return Status::Internal("docker tag " + src + " " + dst + ": " + r.Describe());
  return Status::Ok();
}

// ---- DockerCleanup ----

DockerCleanup::~DockerCleanup() { CleanupNow(); }

void DockerCleanup::CleanupNow() {
  std::vector<std::string> doomed;
  for (const auto& app : apps_) {
    for (const auto& id : NonEmptyLines(
             RunDocker({"ps", "-aq", "--filter", "label=com.dokku.app-name=" + app}).out)) {
      doomed.push_back(id);
    }
  }
  std::vector<std::string> prefixes = prefixes_;
  prefixes.insert(prefixes.end(), apps_.begin(), apps_.end());
  if (!prefixes.empty()) {
    for (const auto& line :
         NonEmptyLines(RunDocker({"ps", "-a", "--format", "{{.ID}} {{.Names}}"}).out)) {
      auto space = line.find(' ');
      if (space == std::string::npos) continue;
      std::string name = line.substr(space + 1);
      for (const auto& p : prefixes) {
        if (NameMatchesPrefix(name, p)) doomed.push_back(line.substr(0, space));
      }
    }
  }
  if (!doomed.empty()) {
    std::vector<std::string> args{"rm", "-f", "-v"};
    args.insert(args.end(), doomed.begin(), doomed.end());
    RunDocker(args);
  }
  std::vector<std::string> refs = images_;
  for (const auto& app : apps_) {
    for (const auto& ref : NonEmptyLines(
             RunDocker({"images", "--format", "{{.Repository}}:{{.Tag}}", "dokku/" + app}).out)) {
      refs.push_back(ref);
    }
  }
  for (const auto& ref : refs) RunDocker({"rmi", "-f", ref});
}

// ---- Waiting and the daemon ----

bool WaitFor(const std::function<bool()>& pred, int timeout_ms, int interval_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
  }
}

DaemonProcess::DaemonProcess(std::string state_dir, std::vector<std::string> args,
                             std::map<std::string, std::string> env)
    : state_dir_(std::move(state_dir)), args_(std::move(args)), env_(std::move(env)) {
  env_.emplace("DOKKU_LIB_ROOT", state_dir_);
}

DaemonProcess::~DaemonProcess() { Stop(); }

std::vector<std::string> DaemonProcess::Argv() const {
  auto has = [&](const std::string& flag) {
    for (const auto& a : args_) {
      if (a == flag || a.rfind(flag + "=", 0) == 0) return true;
    }
    return false;
  };
  std::vector<std::string> argv{DOKKUD_BIN};
  if (!has("--state-dir")) argv.insert(argv.end(), {"--state-dir", state_dir_});
  if (!has("--proxy")) argv.insert(argv.end(), {"--proxy", "none"});
  if (!has("--docker-host")) {
    argv.insert(argv.end(), {"--docker-host", std::string("unix://") + kDockerSocket});
  }
  argv.insert(argv.end(), args_.begin(), args_.end());
  return argv;
}

Status DaemonProcess::Start() {
  if (Running()) return Status::FailedPrecondition("dokkud already running");
  std::error_code ec;
  fs::create_directories(state_dir_, ec);
  int log_fd = open(LogPath().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::Internal("open " + LogPath() + ": " + std::strerror(errno));
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::vector<std::string> argv_storage;
  ExecArgs exec_args = PrepareExec(Argv(), env_, argv_storage);
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(null_fd, STDIN_FILENO);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    ExecChild(exec_args, parent, SIGTERM);
  }
  close(log_fd);
  close(null_fd);
  if (pid < 0) return Status::Internal(std::string("fork: ") + std::strerror(errno));
  pid_ = pid;
  return Status::Ok();
}

bool DaemonProcess::Running() {
  if (pid_ <= 0) return false;
  int wstatus = 0;
  if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

int DaemonProcess::Reap(int timeout_ms) {
  int code = -1;
  WaitFor(
      [&] {
        int wstatus = 0;
        pid_t r = waitpid(pid_, &wstatus, WNOHANG);
        if (r == pid_) code = DecodeWaitStatus(wstatus);
        return r != 0;
      },
      timeout_ms, 20);
  return code;
}

int DaemonProcess::Stop(int timeout_ms) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int code = Reap(timeout_ms);
  if (code == -1) {
    ADD_FAILURE() << "dokkud did not stop within " << timeout_ms << " ms of SIGTERM; killing it";
    kill(pid_, SIGKILL);
    code = Reap(10000);
  }
  pid_ = -1;
  return code;
}

void DaemonProcess::Kill9() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  Reap(10000);
  pid_ = -1;
}

Status DaemonProcess::Restart() {
  Stop();
  return Start();
}

std::string DaemonProcess::Log() const { return ReadFileOr(LogPath()); }

// ---- Probes and files ----

bool DockerAvailable() {
  CURL* curl = curl_easy_init();
  if (!curl) return false;
  std::string body;
  curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, kDockerSocket);
  curl_easy_setopt(curl, CURLOPT_URL, "http://localhost/_ping");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CurlAppend);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  CURLcode rc = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  return rc == CURLE_OK && body == "OK";
}

std::string HttpGet(const std::string& host_port, const std::string& path,
                    const std::string& host_header, int* status) {
  if (status) *status = 0;
  CURL* curl = curl_easy_init();
  if (!curl) return "";
  std::string body;
  const std::string url = "http://" + host_port + path;
  curl_slist* headers = nullptr;
  if (!host_header.empty()) headers = curl_slist_append(headers, ("Host: " + host_header).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CurlAppend);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");  // never route test traffic through a proxy env
  if (curl_easy_perform(curl) == CURLE_OK && status) {
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    *status = static_cast<int>(code);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return body;
}

std::string ReadFileOr(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  out.close();
  if (!out) return Status::Internal("cannot write " + path);
  return Status::Ok();
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
  posix_spawn_file_actions_destroy(&actions);
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status;
  waitpid(pid_, &status, 0);
}

int FileMode(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

ScopedUmask::ScopedUmask(mode_t mask) : saved_(umask(mask)) {}
ScopedUmask::~ScopedUmask() { umask(saved_); }

}  // namespace dokku::testutil
