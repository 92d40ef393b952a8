// Status and StatusOr<T>: errors as values. Nothing in dokkud throws across a module boundary;
// SQLite, libcurl and JSON failures are converted into a Status where they are caught.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace dokku {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // bad user input: exit 1, nothing changed
  kNotFound,            // app, image, container or tag does not exist
  kAlreadyExists,       // name taken
  kConflict,            // Docker 409 / state conflict
  kFailedPrecondition,  // e.g. DOKKU_SCALE forbids ps:scale; the engine is not a swarm manager
  kUnavailable,         // Docker or the daemon cannot be reached: retry later
  kInternal,
  kTerminal,  // the reconciler gave up on this generation (failed checks, proxy refused the
              // configuration): recorded as the app's failure, not retried
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Terminal(std::string m) { return {StatusCode::kTerminal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsUnavailable() const { return code_ == StatusCode::kUnavailable; }
  bool IsConflict() const { return code_ == StatusCode::kConflict; }
  bool IsTerminal() const { return code_ == StatusCode::kTerminal; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Holds either a value or a non-OK Status. Constructing one from an OK Status is a programming
// error (there is no value to hold): it becomes an Internal error instead of an object whose
// ok() is false while status() is OK.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status)  // NOLINT: implicit by design
      : v_(status.ok() ? Status::Internal(kOkStatusMessage) : std::move(status)) {}
  StatusOr(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design

  static constexpr const char* kOkStatusMessage = "StatusOr constructed from OK status";

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace dokku

#define DOKKU_RETURN_IF_ERROR(expr) \
  do {                              \
    ::dokku::Status _st = (expr);   \
    if (!_st.ok()) return _st;      \
  } while (0)
