#include "controller/model/tar_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>

namespace dokku {
namespace {

constexpr size_t kBlock = 512;
// PAX and GNU long-name records only carry names; anything bigger is not an archive we expect.
constexpr size_t kMaxMetaRecord = 64 * 1024;

struct Pending {
  std::optional<std::string> name;
  std::optional<std::string> link;
};

Status Malformed(std::string_view what) {
  return Status::InvalidArgument(fmt::format("malformed tar archive: {}", what));
}

// The bytes of a header field up to its first NUL.
std::string_view CString(std::string_view header, size_t offset, size_t length) {
  std::string_view field = header.substr(offset, length);
  return field.substr(0, field.find('\0'));
}

// Octal digits, optionally padded with leading spaces and ended by spaces or NULs. An all-NUL
// field reads as 0.
bool ParseOctal(std::string_view field, uint64_t* out) {
  size_t i = 0;
  while (i < field.size() && field[i] == ' ') ++i;
  uint64_t value = 0;
  for (; i < field.size() && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (value > (uint64_t{1} << 60)) return false;
    value = value * 8 + static_cast<uint64_t>(field[i] - '0');
  }
  for (; i < field.size(); ++i) {
    if (field[i] != ' ' && field[i] != '\0') return false;
  }
  *out = value;
  return true;
}

// GNU tar stores sizes that do not fit in 11 octal digits as big-endian base-256 with the top
// bit of the first byte set; a leading 0xFF marks a negative number.
bool ParseSize(std::string_view field, uint64_t* out) {
  const auto first = static_cast<unsigned char>(field[0]);
  if ((first & 0x80) == 0) return ParseOctal(field, out);
  if (first == 0xFF) return false;
  uint64_t value = first & 0x7F;
  for (size_t i = 1; i < field.size(); ++i) {
    if (value > (uint64_t{1} << 48)) return false;
    value = (value << 8) | static_cast<unsigned char>(field[i]);
  }
  *out = value;
  return true;
}

// Historic writers summed signed chars, so both sums are accepted.
bool ChecksumMatches(std::string_view header) {
  uint64_t stored = 0;
  if (!ParseOctal(header.substr(148, 8), &stored)) return false;
  uint64_t unsigned_sum = 0;
  int64_t signed_sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    const bool in_field = i >= 148 && i < 156;
    unsigned_sum += in_field ? ' ' : static_cast<unsigned char>(header[i]);
    signed_sum += in_field ? ' ' : static_cast<signed char>(header[i]);
  }
  return stored == unsigned_sum || static_cast<int64_t>(stored) == signed_sum;
}

bool IsZeroBlock(std::string_view block) {
  return std::all_of(block.begin(), block.end(), [](char c) { return c == '\0'; });
}

// Records are "<length> <key>=<value>\n", length counting the whole record.
Status ParsePax(std::string_view data, Pending* pending) {
  while (!data.empty()) {
    const size_t space = data.find(' ');
    if (space == std::string_view::npos || space == 0 || space > 7) return Malformed("PAX length");
    size_t length = 0;
    for (char c : data.substr(0, space)) {
      if (c < '0' || c > '9') return Malformed("PAX length");
      length = length * 10 + static_cast<size_t>(c - '0');
    }
    if (length <= space + 1 || length > data.size() || data[length - 1] != '\n') {
      return Malformed("PAX record");
    }
    const std::string_view record = data.substr(space + 1, length - space - 2);
    const size_t eq = record.find('=');
    if (eq == std::string_view::npos) return Malformed("PAX record");
    const std::string_view key = record.substr(0, eq);
    const std::string_view value = record.substr(eq + 1);
    if (key == "path") pending->name = std::string(value);
    if (key == "linkpath") pending->link = std::string(value);
    data.remove_prefix(length);
  }
  return Status::Ok();
}

std::string EntryName(std::string_view header) {
  std::string name(CString(header, 0, 100));
  // Only POSIX ustar ("ustar\0") has a prefix field; GNU keeps timestamps there.
  if (header.substr(257, 6) == std::string_view("ustar\0", 6)) {
    const std::string_view prefix = CString(header, 345, 155);
    if (!prefix.empty()) name = fmt::format("{}/{}", prefix, name);
  }
  return name;
}

}  // namespace

StatusOr<std::vector<TarEntry>> ReadTar(std::string_view bytes, size_t max_entry_size) {
  std::vector<TarEntry> entries;
  Pending pending;
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < kBlock) return Malformed("truncated header");
    const std::string_view header = bytes.substr(pos, kBlock);
    if (IsZeroBlock(header)) break;
    if (!ChecksumMatches(header)) return Malformed("header checksum mismatch");
    uint64_t size = 0;
    if (!ParseSize(header.substr(124, 12), &size)) return Malformed("bad size field");
    const size_t data_begin = pos + kBlock;
    if (size > bytes.size() - data_begin) return Malformed("truncated entry data");
    const std::string_view data = bytes.substr(data_begin, size);
    // size <= bytes.size() here, so rounding up cannot overflow.
    pos = data_begin + (size + kBlock - 1) / kBlock * kBlock;

    const char type = header[156];
    if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
      if (size > kMaxMetaRecord) return Malformed("oversized name record");
      if (type == 'L') pending.name = std::string(data.substr(0, data.find('\0')));
      if (type == 'K') pending.link = std::string(data.substr(0, data.find('\0')));
      if (type == 'x') DOKKU_RETURN_IF_ERROR(ParsePax(data, &pending));
      continue;
    }
    TarEntry entry;
    entry.name = pending.name ? *pending.name : EntryName(header);
    entry.link_target = pending.link ? *pending.link : std::string(CString(header, 157, 100));
    entry.type = type == '\0' ? '0' : type;
    pending = Pending();
    if (size > max_entry_size) {
      return Status::InvalidArgument(fmt::format("tar entry \"{}\" is larger than {} bytes",
                                                 entry.name.substr(0, 100), max_entry_size));
    }
    entry.data = std::string(data);
    entries.push_back(std::move(entry));
  }
  return entries;
}

namespace {

void WriteOctal(char* field, size_t length, uint64_t value) {
  // length-1 zero-padded digits and a terminating NUL.
  for (size_t i = length - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[length - 1] = '\0';
}

void AppendRecord(std::string* out, std::string_view name, char type, std::string_view data,
                  std::string_view link) {
  char header[kBlock] = {};
  std::copy_n(name.data(), std::min<size_t>(name.size(), 100), header);
  WriteOctal(header + 100, 8, type == '5' ? 0755 : type == '2' ? 0777 : 0644);
  WriteOctal(header + 108, 8, 0);
  WriteOctal(header + 116, 8, 0);
  WriteOctal(header + 124, 12, data.size());
  WriteOctal(header + 136, 12, 0);
  header[156] = type;
  std::copy_n(link.data(), std::min<size_t>(link.size(), 100), header + 157);
  std::copy_n(
      "ustar\0"
      "00",
      8, header + 257);
  std::copy_n("root", 4, header + 265);
  std::copy_n("root", 4, header + 297);
  std::fill_n(header + 148, 8, ' ');
  unsigned sum = 0;
  for (char c : header) sum += static_cast<unsigned char>(c);
  WriteOctal(header + 148, 7, sum);  // six digits, NUL, and the space already there
  out->append(header, kBlock);
  out->append(data);
  out->append((kBlock - data.size() % kBlock) % kBlock, '\0');
}

}  // namespace

std::string MakeTar(const std::vector<TarEntry>& entries) {
  std::string out;
  for (const TarEntry& e : entries) {
    if (e.name.size() > 100) {
      AppendRecord(&out, "././@LongLink", 'L', e.name + '\0', "");
    }
    if (e.link_target.size() > 100) {
      AppendRecord(&out, "././@LongLink", 'K', e.link_target + '\0', "");
    }
    AppendRecord(&out, e.name, e.type == '\0' ? '0' : e.type, e.data, e.link_target);
  }
  out.append(2 * kBlock, '\0');
  return out;
}

}  // namespace dokku
