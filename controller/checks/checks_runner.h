// Runs the zero-downtime checks of one new container (spec/dokku-behaviour.md §6.3, §6.4) and
// reports progress through Emit in Dokku's exact wording. HTTP and waiting are behind small
// interfaces (HttpProber, Sleeper) so tests run without network or real time.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controller/docker/docker_api.h"
#include "controller/env/emit.h"
#include "controller/env/sleeper.h"
#include "controller/model/app_json.h"
#include "controller/model/checks_file.h"

namespace dokku {

struct HttpCheckRequest {
  std::string scheme = "http";
  std::string ip;
  int port = 0;
  std::string path = "/";
  std::string host_header;  // empty: no Host override
  int timeout_s = 30;
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
};

struct HttpResult {
  bool transport_ok = false;  // a response arrived (after following redirects)
  long status = 0;            // final HTTP status
  std::string body;
  std::string error;  // when !transport_ok: curl's message, e.g. "curl: (7) Failed to connect..."
};

class HttpProber {
 public:
  virtual ~HttpProber() = default;
  virtual HttpResult Get(const HttpCheckRequest& request) = 0;
  // Opens (and closes) a TCP connection to ip:port: "" when it was accepted, else why not.
  virtual std::string Connect(const std::string& ip, int port, int timeout_s) = 0;
};

// libcurl: follows redirects, accepts compressed bodies, bypasses proxies for the container IP,
// does not verify TLS (it targets a container IP). Bodies are kept up to 4 MiB. Thread-safe
// (one easy handle per call); curl_global_init must have run in main().
class CurlHttpProber : public HttpProber {
 public:
  HttpResult Get(const HttpCheckRequest& request) override;
  std::string Connect(const std::string& ip, int port, int timeout_s) override;
};

struct CheckTarget {
  std::string proctype;
  int index = 1;
  std::string ip;
  int port = 5000;
};

// "web.1": how every check line names its container.
std::string Dyno(const CheckTarget& target);

struct CheckOutcome {
  bool ok = false;
  int failed = 0;            // failed CHECKS entries (or 1 for a failed default check)
  bool interrupted = false;  // a sleep was cut short by shutdown; nothing was decided
};

// Custom checks from CHECKS (web only): every check in file order, each up to `attempts` times,
// sleeping `wait` seconds before each attempt.
CheckOutcome RunChecksFile(const ChecksFile& file, const CheckTarget& target, HttpProber* prober,
                           Sleeper* sleeper, const Emit& emit);

// Runs run_one(i, &passed) for each of n checks in order (false from it: a sleep was
// interrupted, nothing decided) and reports the outcome in Dokku's words.
CheckOutcome RunEachCheck(size_t n, const CheckTarget& target, const Emit& emit,
                          const std::function<bool(size_t, bool*)>& run_one);

// The default check: after `default_wait_s` seconds the container must be running and must not
// have restarted. A restarted container gets restart policy "no" so it stops flapping.
CheckOutcome RunDefaultCheck(int default_wait_s, const std::string& container_id,
                             const CheckTarget& target, DockerApi* docker, Sleeper* sleeper,
                             const Emit& emit);

// The whole decision for one container: skipped → success without waiting; web with a CHECKS
// file that has checks → RunChecksFile; otherwise the default check (for web, after saying
// that no CHECKS file was found).
CheckOutcome RunContainerChecks(const std::optional<ChecksFile>& checks, bool skipped,
                                int default_wait_s, const std::string& container_id,
                                const CheckTarget& target, DockerApi* docker, HttpProber* prober,
                                Sleeper* sleeper, const Emit& emit);

// app.json's startup checks of one new container (healthchecks.<type> entries of type startup),
// in file order: each waits initialDelay, then tries up to `attempts` times `wait` seconds apart;
// a `warn` check's failure is reported and not counted. Kinds: path (HTTP GET, 2xx with
// `content`), listening (a TCP connect), command (exec, exit 0), uptime (still running, never
// restarted, after `uptime` seconds).
CheckOutcome RunAppJsonChecks(const std::vector<HealthCheck>& checks,
                              const std::string& container_id, const CheckTarget& target,
                              DockerApi* docker, HttpProber* prober, Sleeper* sleeper,
                              const Emit& emit);

// One attempt of an app.json check against a running container (no waiting): "" when it
// passed, else why not. Liveness and readiness probes use it.
std::string AttemptHealthCheck(const HealthCheck& check, const std::string& container_id,
                               const CheckTarget& target, DockerApi* docker, HttpProber* prober);

}  // namespace dokku
