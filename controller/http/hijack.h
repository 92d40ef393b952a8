// Hijack: one HTTP request on a fresh unix-socket connection whose answer turns the connection
// into a raw byte stream (Docker's attach and exec start, "Upgrade: tcp"). libcurl cannot hand
// such a connection over, so this speaks the few lines of HTTP itself.
#pragma once

#include <string>

#include "store/status.h"
#include "store/unique_fd.h"

namespace dokku {

struct HijackedStream {
  UniqueFd fd;          // the connection, now the stream both ways
  std::string initial;  // stream bytes that arrived with the response head
};

// Sends `method path` (JSON `body`, may be empty) asking to upgrade. A 101 or 200 answer yields
// the stream; any other status is an error with the body's text (404 NotFound, 409 Conflict,
// 4xx InvalidArgument, else Unavailable).
StatusOr<HijackedStream> HijackUnix(const std::string& socket_path, const std::string& method,
                                    const std::string& path, const std::string& body);

}  // namespace dokku
