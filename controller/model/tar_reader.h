// A small, defensive ustar reader for the archives Docker returns from
// GET /containers/{id}/archive, and a writer for tests and fakes. Never reads past the buffer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace dokku {

struct TarEntry {
  std::string name;
  char type = '0';  // '0' regular file ('\0' is reported as '0'), '2' symlink, '5' directory...
  std::string data;
  std::string link_target;  // symlinks and hard links
  bool operator==(const TarEntry&) const = default;
};

// Entries in archive order. PAX ('x', 'g') and GNU long-name ('L', 'K') records are consumed:
// their `path`/`linkpath` or long name applies to the next entry. Stops at the end-of-archive
// zero block(s) or at the end of the buffer. Errors (InvalidArgument): truncated headers or data,
// a bad header checksum, a bad size field, an entry larger than `max_entry_size`.
StatusOr<std::vector<TarEntry>> ReadTar(std::string_view bytes, size_t max_entry_size = 64 * 1024);

// A valid ustar archive of `entries` (names over 100 bytes use GNU 'L'/'K' records), ending with
// two zero blocks.
std::string MakeTar(const std::vector<TarEntry>& entries);

}  // namespace dokku
