// libFuzzer target for ReadTar: never reads out of bounds, respects the size limit, and what it
// accepts survives a MakeTar round trip.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "controller/model/tar_reader.h"

namespace {

bool HasNul(const std::string& s) { return s.find('\0') != std::string::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  constexpr size_t kLimit = 64 * 1024;
  dokku::StatusOr<std::vector<dokku::TarEntry>> entries = dokku::ReadTar(bytes, kLimit);
  if (!entries.ok()) return 0;
  for (const dokku::TarEntry& e : *entries) {
    if (e.data.size() > kLimit || e.data.size() > size) __builtin_trap();
    // Names from PAX records may hold NUL bytes, which a header cannot carry.
    if (HasNul(e.name) || HasNul(e.link_target)) return 0;
  }
  dokku::StatusOr<std::vector<dokku::TarEntry>> again =
      dokku::ReadTar(dokku::MakeTar(*entries), kLimit);
  if (!again.ok() || *again != *entries) __builtin_trap();
  return 0;
}
