#include "controller/model/checks_file.h"

#include <fmt/format.h>

#include "controller/model/text_file.h"

namespace dokku {
namespace {

Status LineError(int line, std::string_view what) {
  return Status::InvalidArgument(fmt::format("CHECKS line {}: {}", line, what));
}

// Dokku's strip_inline_comments: drop everything from a whitespace followed by '#'.
std::string_view StripInlineComment(std::string_view line) {
  for (size_t i = 1; i < line.size(); ++i) {
    if (line[i] == '#' && (line[i - 1] == ' ' || line[i - 1] == '\t')) return line.substr(0, i);
  }
  return line;
}

bool ParseBoundedInt(std::string_view s, int min, int max, int* out) {
  if (s.empty() || s.size() > 9) return false;
  int value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  if (value < min || value > max) return false;
  *out = value;
  return true;
}

// Settings are any `NAME=VALUE` line (NAME before the last '=', VALUE after the first, as the
// shell did); only WAIT, TIMEOUT and ATTEMPTS mean something, the rest is ignored.
Status ApplySetting(std::string_view line, int number, ChecksFile* file) {
  line = TrimSpace(StripInlineComment(line));
  const size_t last_eq = line.rfind('=');
  if (last_eq == std::string_view::npos || last_eq == 0) return Status::Ok();
  const std::string_view name = TrimSpace(line.substr(0, last_eq));
  const std::string_view value = TrimSpace(line.substr(line.find('=') + 1));
  struct Setting {
    std::string_view name;
    int min, max;
    int* target;
  };
  const Setting settings[] = {{"WAIT", 0, 3600, &file->wait},
                              {"TIMEOUT", 1, 3600, &file->timeout},
                              {"ATTEMPTS", 1, 100, &file->attempts}};
  for (const Setting& s : settings) {
    if (name != s.name) continue;
    if (!ParseBoundedInt(value, s.min, s.max, s.target)) {
      return LineError(number, fmt::format("{} must be an integer between {} and {}, got {}",
                                           s.name, s.min, s.max, QuoteForMessage(value)));
    }
  }
  return Status::Ok();
}

bool IsValidHost(std::string_view host) {
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']';
    if (!ok) return false;
  }
  return true;
}

// `url` already matched ^(https?:)?/ .
StatusOr<CheckSpec> ParseCheckUrl(std::string_view url, std::string_view expected, int number) {
  CheckSpec check;
  if (url.starts_with("https:")) {
    check.scheme = "https";
    url.remove_prefix(6);
  } else if (url.starts_with("http:")) {
    url.remove_prefix(5);
  }
  if (url.size() > 2 && url.starts_with("//")) {
    url.remove_prefix(2);
    const size_t slash = url.find('/');
    check.host = std::string(url.substr(0, slash));
    url = slash == std::string_view::npos ? std::string_view("/") : url.substr(slash);
    if (!IsValidHost(check.host)) {
      return LineError(number, fmt::format("invalid host {}", QuoteForMessage(check.host)));
    }
  }
  check.path = std::string(url);
  check.expected = std::string(expected);
  return check;
}

bool LooksLikeCheckUrl(std::string_view word) {
  if (word.starts_with("https:")) {
    word.remove_prefix(6);
  } else if (word.starts_with("http:")) {
    word.remove_prefix(5);
  }
  return word.starts_with("/");
}

}  // namespace

StatusOr<ChecksFile> ParseChecksFile(std::string_view text) {
  DOKKU_RETURN_IF_ERROR(CheckTextFile(text, "CHECKS"));
  ChecksFile file;
  int number = 0;
  for (std::string_view raw : SplitLines(text)) {
    ++number;
    const std::string_view line = TrimSpace(raw);
    DOKKU_RETURN_IF_ERROR(ApplySetting(line, number, &file));
    if (line.empty() || line[0] == '#') continue;
    const size_t end_of_url = line.find_first_of(" \t");
    const std::string_view url = line.substr(0, end_of_url);
    if (!LooksLikeCheckUrl(url)) continue;
    const std::string_view expected = end_of_url == std::string_view::npos
                                          ? std::string_view()
                                          : TrimSpace(line.substr(end_of_url));
    StatusOr<CheckSpec> check = ParseCheckUrl(url, expected, number);
    if (!check.ok()) return check.status();
    file.checks.push_back(std::move(*check));
  }
  return file;
}

std::string DisplayUrl(const CheckSpec& check) {
  return fmt::format("{}://{}{}", check.scheme, check.host.empty() ? "localhost" : check.host,
                     check.path);
}

}  // namespace dokku
