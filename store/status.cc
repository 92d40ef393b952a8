#include "store/status.h"

namespace dokku {

std::string Status::ToString() const {
  switch (code_) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "invalid argument: " + message_;
    case StatusCode::kNotFound:
      return "not found: " + message_;
    case StatusCode::kAlreadyExists:
      return "already exists: " + message_;
    case StatusCode::kConflict:
      return "conflict: " + message_;
    case StatusCode::kFailedPrecondition:
      return "failed precondition: " + message_;
    case StatusCode::kUnavailable:
      return "unavailable: " + message_;
    case StatusCode::kInternal:
      return "internal: " + message_;
    case StatusCode::kTerminal:
      return "terminal: " + message_;
  }
  return message_;
}

}  // namespace dokku
