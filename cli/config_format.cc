#include "cli/config_format.h"

#include <fmt/format.h>

#include <algorithm>

#include "cli/format.h"

namespace dokku {
namespace {

// Digits with an optional '-', without leading zeros: the values an envfile may leave unquoted
// and still read back unchanged (Dokku's writer also unquotes "007" and "+5", rewriting them).
bool IsCanonicalInteger(std::string_view v) {
  if (v.starts_with('-')) v.remove_prefix(1);
  if (v.empty() || v.size() > 18 || (v.size() > 1 && v[0] == '0')) return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string EnvfileValue(std::string_view v) {
  if (IsCanonicalInteger(v) && v != "-0") return std::string(v);
  std::string out = "\"";
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '"':
        out += "\\\"";
        break;
      case '!':
        out += "\\!";
        break;
      case '$':
        out += "\\$";
        break;
      case '`':
        out += "\\`";
        break;
      default:
        out += c;
    }
  }
  return out + "\"";
}

std::string Envfile(const ConfigVars& vars) {
  std::vector<std::string> lines;
  for (const auto& [k, v] : vars) lines.push_back(k + "=" + EnvfileValue(v));
  std::sort(lines.begin(), lines.end());  // Dokku sorts whole lines, not keys
  std::string out;
  for (const std::string& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

// Each var through `item`, joined by `sep`, between `open` and `close`. (Appending, rather than
// chaining operator+, also keeps GCC's -O3 -Wrestrict false positive away.)
template <typename Fn>
std::string Join(const ConfigVars& vars, std::string_view sep, Fn item, std::string_view open = "",
                 std::string_view close = "") {
  std::string out(open);
  bool first = true;
  for (const auto& [k, v] : vars) {
    if (!first) out += sep;
    first = false;
    out += item(k, v);
  }
  out += close;
  return out;
}

std::string Json(const ConfigVars& vars) {
  return Join(
      vars, ",",
      [](const std::string& k, const std::string& v) {
        std::string item = GoJsonString(k);
        item += ':';
        item += GoJsonString(v);
        return item;
      },
      "{", "}");
}

std::string JsonList(const ConfigVars& vars) {
  if (vars.empty()) return "null";
  return Join(
      vars, ",",
      [](const std::string& k, const std::string& v) {
        std::string item = "{\"name\":";
        item += GoJsonString(k);
        item += ",\"value\":";
        item += GoJsonString(v);
        item += '}';
        return item;
      },
      "[", "]");
}

}  // namespace

std::optional<std::string> ExportConfig(const ConfigVars& vars, std::string_view format) {
  using KV = const std::string&;
  if (format == "exports")
    return Join(vars, "\n", [](KV k, KV v) { return "export " + k + "=" + ShellQuote(v); }) + "\n";
  if (format == "envfile") return Envfile(vars) + "\n";
  if (format == "docker-args")
    return Join(vars, " ", [](KV k, KV v) { return "--env=" + k + "=" + ShellQuote(v); }) + "\n";
  if (format == "docker-args-keys")
    return Join(vars, " ", [](KV k, KV) { return "--env=" + k; }) + "\n";
  if (format == "pack-keys") return Join(vars, " ", [](KV k, KV) { return "--env " + k; }) + "\n";
  if (format == "shell") {
    std::string out;
    for (const auto& [k, v] : vars) out += k + "=" + ShellQuote(v) + " ";
    return out;
  }
  if (format == "pretty") {
    std::string out;
    for (const std::string& line : PrettyConfigLines(vars)) out += (out.empty() ? "" : "\n") + line;
    return out + "\n";
  }
  if (format == "json") return Json(vars) + "\n";
  if (format == "json-list") return JsonList(vars) + "\n";
  return std::nullopt;
}

std::vector<std::string> PrettyConfigLines(const ConfigVars& vars) {
  size_t width = 0;
  for (const auto& [k, v] : vars) width = std::max(width, k.size() + 1);
  std::vector<std::string> lines;
  for (const auto& [k, v] : vars) lines.push_back(RightPad(k + ":", width + 2) + TrimForDisplay(v));
  return lines;
}

std::string GoJsonString(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      out += fmt::format("\\u00{}{}", kHex[c >> 4], kHex[c & 0xF]);
    } else if (c == 0xE2 && i + 2 < text.size() &&
               static_cast<unsigned char>(text[i + 1]) == 0x80 &&
               (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xA8) {
      // U+2028 and U+2029 break JavaScript string literals; Go escapes them.
      out += (static_cast<unsigned char>(text[i + 2]) == 0xA8) ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string TrimForDisplay(std::string_view value) {
  const char* ws = " \t\n\r\v\f";
  const size_t b = value.find_first_not_of(ws);
  if (b == std::string_view::npos) return "";
  return std::string(value.substr(b, value.find_last_not_of(ws) - b + 1));
}

}  // namespace dokku
