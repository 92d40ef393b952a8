#include "controller/daemon/fatal.h"

#include <fmt/format.h>

#include <atomic>
#include <cstdlib>

#include "controller/env/log.h"

namespace dokku {

std::string DescribeException(std::exception_ptr e) {
  if (!e) return "no active exception";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "an exception not derived from std::exception";
  }
}

std::string FatalExceptionMessage(std::string_view where, std::exception_ptr e) {
  return fmt::format("fatal: uncaught exception in {}: {}", where, DescribeException(e));
}

namespace {

std::atomic<bool> g_terminating{false};

[[noreturn]] void OnTerminate() {
  // A second call (the handler itself failed, or another thread terminates too) only aborts.
  if (!g_terminating.exchange(true)) {
    try {
      LogLine(LogLevel::kError, FatalExceptionMessage("std::terminate", std::current_exception()));
    } catch (...) {
    }
  }
  std::abort();
}

}  // namespace

void InstallTerminateHandler() { std::set_terminate(OnTerminate); }

}  // namespace dokku
