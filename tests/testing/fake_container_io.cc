#include "tests/testing/fake_container_io.h"

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace dokku::testing {
namespace {

std::string DockerFrame(int stream, const std::string& data) {
  std::string out(8, '\0');
  out[0] = static_cast<char>(stream);
  const auto n = static_cast<uint32_t>(data.size());
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
  return out + data;
}

void SendAll(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

FakeContainerIo::~FakeContainerIo() {
  for (std::thread& t : players_) t.join();
}

void FakeContainerIo::SetLogLines(const std::string& id, std::vector<std::string> lines) {
  std::lock_guard<std::mutex> lock(mu_);
  logs_[id] = std::move(lines);
  changed_.notify_all();
}

void FakeContainerIo::AppendLogLine(const std::string& id, const std::string& line) {
  std::lock_guard<std::mutex> lock(mu_);
  logs_[id].push_back(line);
  changed_.notify_all();
}

void FakeContainerIo::SetInspect(const std::string& id, std::string json) {
  std::lock_guard<std::mutex> lock(mu_);
  inspect_[id] = std::move(json);
}

void FakeContainerIo::SetExec(const std::string& id, FakeProcess process) {
  std::lock_guard<std::mutex> lock(mu_);
  exec_by_container_[id] = std::move(process);
}

std::vector<std::string> FakeContainerIo::calls() {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

Status FakeContainerIo::StreamLogs(const std::string& id, const LogStreamOptions& options,
                                   const LogSink& sink, const std::atomic<bool>& stop) {
  std::unique_lock<std::mutex> lock(mu_);
  calls_.push_back("logs " + id + " tail=" + std::to_string(options.tail) +
                   " follow=" + (options.follow ? "1" : "0"));
  auto it = logs_.find(id);
  if (it == logs_.end()) return Status::NotFound("No such container: " + id);
  size_t sent = 0;
  const size_t n = it->second.size();
  if (options.tail >= 0 && static_cast<size_t>(options.tail) < n) sent = n - options.tail;
  while (true) {
    std::vector<std::string>& lines = logs_[id];
    std::string chunk;
    for (; sent < lines.size(); ++sent) chunk += lines[sent] + "\n";
    if (!chunk.empty()) {
      lock.unlock();
      sink(1, chunk);
      lock.lock();
    }
    if (!options.follow || stop.load()) return Status::Ok();
    // Woken by AppendLogLine; the timeout only bounds how late `stop` is seen.
    changed_.wait_for(lock, std::chrono::milliseconds(20));
  }
}

StatusOr<std::string> FakeContainerIo::InspectJson(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back("inspect " + id);
  auto it = inspect_.find(id);
  if (it == inspect_.end()) return Status::NotFound("No such container: " + id);
  return it->second;
}

StatusOr<HijackedStream> FakeContainerIo::Play(const FakeProcess& process, bool tty) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return Status::Internal("socketpair");
  HijackedStream stream{UniqueFd(fds[0]), ""};
  players_.emplace_back([far = fds[1], process, tty] {
    auto frame = [tty](const std::string& data) { return tty ? data : DockerFrame(1, data); };
    if (!process.output.empty()) SendAll(far, frame(process.output));
    if (process.echo_stdin) {
      char buf[4096];
      ssize_t n;
      while ((n = ::read(far, buf, sizeof buf)) > 0)
        SendAll(far, frame(std::string(buf, static_cast<size_t>(n))));
    }
    ::close(far);
  });
  return stream;
}

StatusOr<HijackedStream> FakeContainerIo::Attach(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back("attach " + id);
  return Play(exec_by_container_[id], false);
}

StatusOr<std::string> FakeContainerIo::CreateExec(const std::string& id,
                                                  const std::vector<std::string>& cmd, bool tty) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string call = "exec " + id;
  for (const std::string& c : cmd) call += " " + c;
  calls_.push_back(call + " tty=" + (tty ? "1" : "0"));
  const std::string exec_id = "exec" + std::to_string(++next_exec_);
  exec_container_[exec_id] = id;
  return exec_id;
}

StatusOr<HijackedStream> FakeContainerIo::StartExec(const std::string& exec_id, bool tty) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = exec_container_.find(exec_id);
  if (it == exec_container_.end()) return Status::NotFound("No such exec instance");
  return Play(exec_by_container_[it->second], tty);
}

StatusOr<int> FakeContainerIo::ExecExitCode(const std::string& exec_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = exec_container_.find(exec_id);
  if (it == exec_container_.end()) return Status::NotFound("No such exec instance");
  return exec_by_container_[it->second].exit_code;
}

Status FakeContainerIo::Resize(const std::string& kind, const std::string& id, int rows, int cols) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back("resize " + kind + " " + id + " " + std::to_string(rows) + "x" +
                   std::to_string(cols));
  return Status::Ok();
}

}  // namespace dokku::testing
