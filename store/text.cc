#include "store/text.h"

#include <algorithm>
#include <cstdint>

namespace dokku {
namespace {

int Base64Digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = byte(i);
  size_t len;
  unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

std::string ShellQuote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

std::string EscapeGoTemplate(std::string_view text) {
  // Text outside actions is literal in a Go template, so only "{{" needs escaping.
  std::string out;
  size_t start = 0;
  for (size_t at; (at = text.find("{{", start)) != std::string_view::npos; start = at + 2) {
    out.append(text.substr(start, at - start));
    out += "{{\"{{\"}}";
  }
  out.append(text.substr(start));
  return out;
}

std::optional<std::string> DecodeBase64(std::string_view text, size_t* bad_offset) {
  std::string out;
  unsigned bits = 0;
  int nbits = 0, digits = 0, padding = 0;
  size_t quantum_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') continue;
    if (digits == 0) quantum_start = i;
    if (c == '=') {
      // Padding may only finish a quantum of 2 or 3 digits, and nothing may follow it.
      if (digits + padding < 2) return (*bad_offset = i), std::nullopt;
      ++padding;
      if (digits + padding == 4) {
        if (text.substr(i + 1).find_first_not_of("\r\n") != std::string_view::npos)
          return (*bad_offset = i + 1), std::nullopt;
        return out;
      }
      continue;
    }
    const int d = Base64Digit(c);
    if (d < 0 || padding > 0) return (*bad_offset = i), std::nullopt;
    bits = (bits << 6) | static_cast<unsigned>(d);
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out += static_cast<char>((bits >> nbits) & 0xFF);
    }
    digits = (digits + 1) % 4;
    if (digits == 0) nbits = 0, bits = 0;
  }
  if (digits != 0 || padding != 0) return (*bad_offset = quantum_start), std::nullopt;
  return out;
}

std::string EncodeBase64(std::string_view data, bool pad) {
  static const char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < data.size(); i += 3) {
    const size_t n = std::min<size_t>(3, data.size() - i);
    uint32_t v = 0;
    for (size_t k = 0; k < 3; ++k) {
      v = (v << 8) | (k < n ? static_cast<unsigned char>(data[i + k]) : 0u);
    }
    for (size_t k = 0; k < 4; ++k) {
      if (k <= n) {
        out += kDigits[(v >> (18 - 6 * k)) & 0x3F];
      } else if (pad) {
        out += '=';
      }
    }
  }
  return out;
}

}  // namespace dokku
