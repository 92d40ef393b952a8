// TransportPool: an HttpTransport over N independent transports (e.g. N curl handles on the
// Docker socket). Each Request borrows a free one, waiting while all are busy, so at most N
// requests are in flight at once. Streams bypass the limit (they are long-lived). Thread-safe.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "controller/http/http_transport.h"

namespace dokku {

class TransportPool : public HttpTransport {
 public:
  explicit TransportPool(std::vector<std::unique_ptr<HttpTransport>> transports);

  StatusOr<HttpResponse> Request(const std::string& method, const std::string& path_and_query,
                                 const std::string& body, const std::string& content_type,
                                 std::chrono::milliseconds timeout) override;
  StatusOr<HttpResponse> Stream(const std::string& path_and_query,
                                const std::function<void(std::string_view)>& on_chunk,
                                const std::atomic<bool>& stop) override;

  // Most requests that were ever in flight at once (for tests and benchmarks).
  int peak_in_flight();

 private:
  std::vector<std::unique_ptr<HttpTransport>> transports_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HttpTransport*> free_;
  int in_flight_ = 0;
  int peak_ = 0;
};

}  // namespace dokku
