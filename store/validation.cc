#include "store/validation.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdint>
#include <optional>

#include "store/parse_int.h"
#include "store/text.h"

namespace dokku {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsAlnum(char c) { return IsLowerAlnum(c) || (c >= 'A' && c <= 'Z'); }

// Parses a plain decimal integer of at most 12 digits (no sign, no spaces, no leading '+').
bool ParseUnsigned(const std::string& s, long long* out) {
  if (s.size() > 12 || s.starts_with('-')) return false;
  std::optional<int64_t> v = ParseInt(s);
  if (!v) return false;
  *out = *v;
  return true;
}

const char kAppNameRule[] =
    "App name must begin with lowercase alphanumeric character, and may only contain lowercase "
    "alphanumerics, dots, and hyphens";

}  // namespace

std::string TrimBlanks(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

Status ValidateNewAppName(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("Please specify an app to run the command on");
  if (name.size() > 63 || !IsLowerAlnum(name[0])) return Status::InvalidArgument(kAppNameRule);
  for (char c : name) {
    if (!IsLowerAlnum(c) && c != '.' && c != '-') return Status::InvalidArgument(kAppNameRule);
  }
  // ".." would make a path component that climbs; Dokku's regex allows it, we do not.
  if (name.find("..") != std::string::npos) return Status::InvalidArgument(kAppNameRule);
  return Status::Ok();
}

Status ValidateAppName(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("Please specify an app to run the command on");
  bool ok = name.size() <= 63 && IsLowerAlnum(name[0]) && name.find("..") == std::string::npos;
  for (char c : name) ok = ok && (IsLowerAlnum(c) || c == '.' || c == '-' || c == '_');
  // Dokku answers an impossible name like a missing app.
  if (!ok) return Status::NotFound(fmt::format("App {} does not exist", name));
  return Status::Ok();
}

Status ValidateProcessType(const std::string& proctype) {
  bool ok = !proctype.empty() && proctype.size() <= 63 && IsAlnum(proctype[0]);
  for (char c : proctype) ok = ok && (IsAlnum(c) || c == '_' || c == '-');
  if (!ok)
    return Status::InvalidArgument(fmt::format("Invalid process type specified ({})", proctype));
  return Status::Ok();
}

Status ValidateTag(const std::string& tag) {
  bool ok = !tag.empty() && tag.size() <= 128 && (IsAlnum(tag[0]) || tag[0] == '_');
  for (char c : tag) ok = ok && (IsAlnum(c) || c == '_' || c == '.' || c == '-');
  if (!ok) {
    return Status::InvalidArgument(
        "Invalid tag: must be 1-128 characters of letters, digits, '_', '.' and '-', not starting "
        "with '.' or '-'");
  }
  return Status::Ok();
}

Status ValidateDomain(const std::string& domain) {
  Status bad = Status::InvalidArgument(fmt::format("Invalid domain: {}", domain));
  if (domain.empty() || domain.size() > 253) return bad;
  size_t start = 0;
  while (start <= domain.size()) {
    size_t dot = domain.find('.', start);
    if (dot == std::string::npos) dot = domain.size();
    std::string label = domain.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return bad;
    }
    for (char c : label) {
      if (!IsLowerAlnum(c) && c != '-') return bad;
    }
    start = dot + 1;
  }
  return Status::Ok();
}

std::vector<std::string> SplitCommaList(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    if (comma > start) out.push_back(s.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string JoinCommaList(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

Status ValidateRestartPolicy(const std::string& policy) {
  if (policy == "no" || policy == "always" || policy == "unless-stopped" ||
      policy == "on-failure") {
    return Status::Ok();
  }
  long long n = 0;
  if (policy.rfind("on-failure:", 0) == 0 && ParseUnsigned(policy.substr(11), &n) && n <= 1000) {
    return Status::Ok();
  }
  return Status::InvalidArgument("Invalid restart-policy specified");
}

Status ValidateSeconds(const std::string& value, int max) {
  long long n = 0;
  if (!ParseUnsigned(value, &n) || n > max) {
    return Status::InvalidArgument(
        fmt::format("Invalid value '{}': expected whole seconds between 0 and {}", value, max));
  }
  return Status::Ok();
}

Status ParseScaleArg(const std::string& arg, std::string* proctype, int* count) {
  size_t eq = arg.find('=');
  if (eq == std::string::npos) {
    return Status::InvalidArgument(
        fmt::format("Missing count for process type {}", TrimBlanks(arg)));
  }
  *proctype = TrimBlanks(arg.substr(0, eq));
  std::string value = TrimBlanks(arg.substr(eq + 1));
  DOKKU_RETURN_IF_ERROR(ValidateProcessType(*proctype));
  long long n = 0;
  if (!ParseUnsigned(value, &n) || n > 1000) {
    return Status::InvalidArgument(fmt::format("Invalid count for process type {}", *proctype));
  }
  *count = static_cast<int>(n);
  return Status::Ok();
}

Status ValidateConfigKey(const std::string& key) {
  bool ok = !key.empty() && !(key[0] >= '0' && key[0] <= '9');
  for (char c : key) ok = ok && (IsAlnum(c) || c == '_');
  if (!ok) return Status::InvalidArgument(fmt::format("Invalid key name: '{}'", key));
  return Status::Ok();
}

Status ValidateConfigValue(const std::string& key, const std::string& value) {
  if (value.size() > kMaxConfigValueSize) {
    return Status::InvalidArgument(fmt::format("Value of {} is larger than 1 MiB", key));
  }
  if (value.find('\0') != std::string::npos) {
    return Status::InvalidArgument(
        fmt::format("Value of {} contains a NUL byte, which no environment can hold", key));
  }
  for (size_t i = 0; i < value.size();) {
    const size_t len = Utf8SequenceLength(value, i);
    if (len == 0) {
      // Docker takes the environment as JSON strings, which carry only UTF-8.
      return Status::InvalidArgument(fmt::format("Value of {} is not valid UTF-8", key));
    }
    i += len;
  }
  return Status::Ok();
}

}  // namespace dokku
