// ContainerIo: the interactive slice of the Engine API that the control socket serves: log
// streams, attach, exec with a terminal, resize and the raw inspect document. DockerContainerIo
// implements it over the transport (requests, streams) plus hijacked connections (attach, exec);
// tests/testing/fake_container_io.h scripts it.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/http/hijack.h"
#include "controller/http/http_transport.h"
#include "store/status.h"

namespace dokku {

struct LogStreamOptions {
  int tail = 100;       // < 0: the whole log
  bool follow = false;  // keep streaming until the container stops or `stop`
  int64_t since = 0;    // unix seconds; 0: from the start
};

// stream: 1 stdout, 2 stderr. Each call carries one or more whole log lines, each starting with
// Docker's RFC 3339 timestamp and a space.
using LogSink = std::function<void(int stream, std::string_view lines)>;

class ContainerIo {
 public:
  virtual ~ContainerIo() = default;
  // Returns when the log ends (follow: the container stopped) or soon after `stop`.
  virtual Status StreamLogs(const std::string& id, const LogStreamOptions& options,
                            const LogSink& sink, const std::atomic<bool>& stop) = 0;
  // GET /containers/{id}/json as Docker sent it.
  virtual StatusOr<std::string> InspectJson(const std::string& id) = 0;
  // The container's stdio (stdin too when it was created with open_stdin). Attach before start.
  virtual StatusOr<HijackedStream> Attach(const std::string& id) = 0;
  virtual StatusOr<std::string> CreateExec(const std::string& id,
                                           const std::vector<std::string>& cmd, bool tty) = 0;
  virtual StatusOr<HijackedStream> StartExec(const std::string& exec_id, bool tty) = 0;
  // The exec's exit code; InvalidArgument while it still runs.
  virtual StatusOr<int> ExecExitCode(const std::string& exec_id) = 0;
  // kind: "containers" or "exec".
  virtual Status Resize(const std::string& kind, const std::string& id, int rows, int cols) = 0;
};

class DockerContainerIo : public ContainerIo {
 public:
  DockerContainerIo(HttpTransport* transport, std::string socket_path)
      : transport_(transport), socket_path_(std::move(socket_path)) {}

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
  StatusOr<HttpResponse> Call(const std::string& method, const std::string& path,
                              const std::string& body);

  HttpTransport* transport_;
  std::string socket_path_;
};

}  // namespace dokku
