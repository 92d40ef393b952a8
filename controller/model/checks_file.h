// CHECKS file parsing with Dokku's legacy semantics (spec/dokku-behaviour.md §6.4): WAIT=,
// TIMEOUT=, ATTEMPTS= settings and `<url> <expected content>` check lines. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace dokku {

struct CheckSpec {
  std::string scheme = "http";  // http | https
  std::string host;             // from //host/path (sent as the Host header), else empty
  std::string path;             // starts with '/'
  std::string expected;         // literal substring the body must contain; empty: any body
  bool operator==(const CheckSpec&) const = default;
};

struct ChecksFile {
  int wait = 5;      // seconds slept before every attempt, 0..3600
  int timeout = 30;  // per-request limit in seconds, 1..3600
  int attempts = 5;  // 1..100
  std::vector<CheckSpec> checks;
};

// Lines that are not settings and whose first word does not look like a URL
// (^(https?:)?/) are skipped, as Dokku does. Errors (InvalidArgument, naming the line): larger
// than 64 KiB, binary content, a setting that is not an integer in range, an invalid //host.
StatusOr<ChecksFile> ParseChecksFile(std::string_view text);

// The URL Dokku prints for a check: <scheme>://<host or localhost><path>.
std::string DisplayUrl(const CheckSpec& check);

}  // namespace dokku
