// FakeContainerIo: ContainerIo in memory. Logs are lines per container (with Docker's
// timestamps); a follow delivers lines appended later until stopped. Attach and exec hand back
// one end of a socketpair whose other end plays the process: it sends the scripted output as
// Docker's stdout frames (raw with a TTY), echoes stdin when told to, and closes. Thread-safe.
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/docker/container_io.h"

namespace dokku::testing {

struct FakeProcess {
  std::string output;       // written at start
  bool echo_stdin = false;  // then copies stdin back until it ends
  int exit_code = 0;
};

class FakeContainerIo : public ContainerIo {
 public:
  ~FakeContainerIo() override;

  void SetLogLines(const std::string& id, std::vector<std::string> lines);
  void AppendLogLine(const std::string& id, const std::string& line);
  void SetInspect(const std::string& id, std::string json);
  // What an exec in container `id` does.
  void SetExec(const std::string& id, FakeProcess process);
  // Calls as "logs <id> tail=<n> follow=<0|1>", "inspect <id>", "exec <id> <cmd...> tty=<0|1>",
  // "resize <kind> <id> <rows>x<cols>".
  std::vector<std::string> calls();

  Status StreamLogs(const std::string& id, const LogStreamOptions& options, const LogSink& sink,
                    const std::atomic<bool>& stop) override;
  StatusOr<std::string> InspectJson(const std::string& id) override;
  StatusOr<HijackedStream> Attach(const std::string& id) override;
  StatusOr<std::string> CreateExec(const std::string& id, const std::vector<std::string>& cmd,
                                   bool tty) override;
  StatusOr<HijackedStream> StartExec(const std::string& exec_id, bool tty) override;
  StatusOr<int> ExecExitCode(const std::string& exec_id) override;
  Status Resize(const std::string& kind, const std::string& id, int rows, int cols) override;

 private:
  StatusOr<HijackedStream> Play(const FakeProcess& process, bool tty);

  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, std::vector<std::string>> logs_;
  std::map<std::string, std::string> inspect_;
  std::map<std::string, FakeProcess> exec_by_container_;
  std::map<std::string, std::string> exec_container_;  // exec id -> container id
  std::vector<std::string> calls_;
  std::vector<std::thread> players_;
  int next_exec_ = 0;
};

}  // namespace dokku::testing
