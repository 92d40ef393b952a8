#include "controller/http/transport_pool.h"

#include <algorithm>

namespace dokku {

TransportPool::TransportPool(std::vector<std::unique_ptr<HttpTransport>> transports)
    : transports_(std::move(transports)) {
  for (auto& t : transports_) free_.push_back(t.get());
}

StatusOr<HttpResponse> TransportPool::Request(const std::string& method,
                                              const std::string& path_and_query,
                                              const std::string& body,
                                              const std::string& content_type,
                                              std::chrono::milliseconds timeout) {
  HttpTransport* t = nullptr;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !free_.empty(); });
    t = free_.back();
    free_.pop_back();
    peak_ = std::max(peak_, ++in_flight_);
  }
  StatusOr<HttpResponse> response = t->Request(method, path_and_query, body, content_type, timeout);
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(t);
    --in_flight_;
  }
  cv_.notify_one();
  return response;
}

StatusOr<HttpResponse> TransportPool::Stream(const std::string& path_and_query,
                                             const std::function<void(std::string_view)>& on_chunk,
                                             const std::atomic<bool>& stop) {
  return transports_.front()->Stream(path_and_query, on_chunk, stop);
}

int TransportPool::peak_in_flight() {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_;
}

}  // namespace dokku
