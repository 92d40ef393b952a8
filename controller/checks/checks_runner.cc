#include "controller/checks/checks_runner.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <chrono>
#include <memory>

namespace dokku {
namespace {

constexpr size_t kMaxBody = 4 * 1024 * 1024;

size_t AppendBody(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t n = size * count;
  // Past the cap the rest is dropped, not refused: a big page is still a healthy answer.
  if (body->size() < kMaxBody) body->append(data, std::min(n, kMaxBody - body->size()));
  return n;
}

// Why one attempt failed, in the words Dokku printed (curl's own message), or "" on success.
std::string AttemptFailure(const HttpResult& r, const CheckSpec& check, const std::string& dyno) {
  if (!r.transport_ok) return r.error.empty() ? "curl: request failed" : r.error;
  if (r.status >= 400) {
    return fmt::format("curl: (22) The requested URL returned error: {}", r.status);
  }
  if (r.body.find(check.expected) == std::string::npos) {
    return fmt::format("{}: expected to but did not find: \"{}\" ({})", DisplayUrl(check),
                       check.expected, dyno);
  }
  return "";
}

// Returns false if the sleep was interrupted.
bool RunOneCheck(const ChecksFile& file, const CheckSpec& check, const CheckTarget& target,
                 HttpProber* prober, Sleeper* sleeper, const Emit& emit, bool* passed) {
  const std::string dyno = Dyno(target);
  emit(kVerbose, fmt::format("CHECKS expected result: {} => \"{}\" ({})", DisplayUrl(check),
                             check.expected, dyno));
  HttpCheckRequest request{check.scheme, target.ip,    target.port, check.path,
                           check.host,   file.timeout, {}};
  *passed = false;
  for (int attempt = 1; attempt <= file.attempts; ++attempt) {
    emit(kVerbose, fmt::format("Attempt {}/{}. Waiting for {} seconds ({})", attempt, file.attempts,
                               file.wait, dyno));
    if (!sleeper->SleepFor(int64_t{file.wait} * 1000)) return false;
    const std::string failure = AttemptFailure(prober->Get(request), check, dyno);
    if (failure.empty()) {
      *passed = true;
      return true;
    }
    emit(kWarn, failure);
    emit(kWarn, fmt::format("Check attempt {}/{} failed ({})", attempt, file.attempts, dyno));
  }
  return true;
}

}  // namespace

std::string Dyno(const CheckTarget& t) { return fmt::format("{}.{}", t.proctype, t.index); }

HttpResult CurlHttpProber::Get(const HttpCheckRequest& request) {
  HttpResult result;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    result.error = "curl: (2) could not initialise libcurl";
    return result;
  }
  CURL* h = curl.get();
  const bool ipv6 = request.ip.find(':') != std::string::npos;
  const std::string url = fmt::format("{}://{}{}{}:{}{}", request.scheme, ipv6 ? "[" : "",
                                      request.ip, ipv6 ? "]" : "", request.port, request.path);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(nullptr, curl_slist_free_all);
  if (!request.host_header.empty()) {
    const std::string host = "Host: " + request.host_header;
    headers.reset(curl_slist_append(nullptr, host.c_str()));
  }
  for (const auto& [name, value] : request.headers) {
    const std::string line = name + ": " + value;
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (appended != nullptr) {
      (void)headers.release();
      headers.reset(appended);
    }
  }
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(request.timeout_s));
  curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(h, CURLOPT_NOPROXY, request.ip.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &result.body);
  const CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    result.error = fmt::format("curl: ({}) {}", static_cast<int>(rc),
                               error[0] != '\0' ? error : curl_easy_strerror(rc));
    return result;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result.status);
  result.transport_ok = true;
  return result;
}

std::string CurlHttpProber::Connect(const std::string& ip, int port, int timeout_s) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return "curl: (2) could not initialise libcurl";
  CURL* h = curl.get();
  const bool ipv6 = ip.find(':') != std::string::npos;
  const std::string url =
      fmt::format("http://{}{}{}:{}/", ipv6 ? "[" : "", ip, ipv6 ? "]" : "", port);
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, ip.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, static_cast<long>(std::max(timeout_s, 1)));
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(h);
  if (rc == CURLE_OK) return "";
  return fmt::format("curl: ({}) {}", static_cast<int>(rc),
                     error[0] != '\0' ? error : curl_easy_strerror(rc));
}

CheckOutcome RunChecksFile(const ChecksFile& file, const CheckTarget& target, HttpProber* prober,
                           Sleeper* sleeper, const Emit& emit) {
  return RunEachCheck(file.checks.size(), target, emit, [&](size_t i, bool* passed) {
    return RunOneCheck(file, file.checks[i], target, prober, sleeper, emit, passed);
  });
}

CheckOutcome RunEachCheck(size_t n, const CheckTarget& target, const Emit& emit,
                          const std::function<bool(size_t, bool*)>& run_one) {
  CheckOutcome outcome;
  for (size_t i = 0; i < n; ++i) {
    bool passed = false;
    if (!run_one(i, &passed)) {
      outcome.interrupted = true;
      return outcome;
    }
    if (!passed) ++outcome.failed;
  }
  if (outcome.failed > 0) {
    emit(kWarn,
         fmt::format("Could not start due to {} failed checks ({})", outcome.failed, Dyno(target)));
    return outcome;
  }
  emit(kVerbose, fmt::format("All checks successful ({})", Dyno(target)));
  outcome.ok = true;
  return outcome;
}

CheckOutcome RunDefaultCheck(int default_wait_s, const std::string& container_id,
                             const CheckTarget& target, DockerApi* docker, Sleeper* sleeper,
                             const Emit& emit) {
  const std::string dyno = Dyno(target);
  CheckOutcome outcome;
  emit(kVerbose, fmt::format("Waiting for {} seconds ({})", default_wait_s, dyno));
  if (!sleeper->SleepFor(int64_t{default_wait_s} * 1000)) {
    outcome.interrupted = true;
    return outcome;
  }
  StatusOr<ContainerInfo> info = docker->InspectContainer(container_id);
  if (!info.ok() && !info.status().IsNotFound()) emit(kWarn, info.status().message());
  const bool restarted = info.ok() && info->restart_count != 0;
  if (restarted) (void)docker->UpdateRestartPolicy(container_id, "no");
  if (!info.ok() || !info->running || restarted) {
    emit(kWarn, fmt::format("App container failed to start ({})", dyno));
    outcome.failed = 1;
    return outcome;
  }
  emit(kVerbose, fmt::format("Default container check successful ({})", dyno));
  outcome.ok = true;
  return outcome;
}

CheckOutcome RunContainerChecks(const std::optional<ChecksFile>& checks, bool skipped,
                                int default_wait_s, const std::string& container_id,
                                const CheckTarget& target, DockerApi* docker, HttpProber* prober,
                                Sleeper* sleeper, const Emit& emit) {
  if (skipped) {
    emit(kInfo2, fmt::format("Zero downtime checks have been skipped ({})", Dyno(target)));
    return CheckOutcome{.ok = true};
  }
  const bool web = target.proctype == "web";
  if (web && checks && !checks->checks.empty()) {
    return RunChecksFile(*checks, target, prober, sleeper, emit);
  }
  if (web) {
    emit(kVerbose, "For more efficient zero downtime deployments, create a file CHECKS.");
    emit(kVerbose, "See the CHECKS section of the README for examples");
    emit(kVerbose, "CHECKS file not found in container: Running simple container check...");
  }
  return RunDefaultCheck(default_wait_s, container_id, target, docker, sleeper, emit);
}

}  // namespace dokku
