#include "controller/model/app_json.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "controller/model/procfile.h"
#include "controller/model/text_file.h"
#include "store/text.h"

namespace dokku {
namespace {

using nlohmann::json;

constexpr int kMaxDepth = 64;
constexpr size_t kMaxNameSize = 256;
constexpr size_t kMaxSyntaxMessage = 160;

// ---- errors ----

Status FieldError(std::string_view where, std::string_view what) {
  return Status::InvalidArgument(fmt::format("app.json: {}: {}", where, what));
}

// Line and byte column (both 1-based) of text[offset]; offset may be text.size().
Status PositionError(std::string_view text, size_t offset, std::string_view what) {
  offset = std::min(offset, text.size());
  const std::string_view before = text.substr(0, offset);
  const size_t line = 1 + std::count(before.begin(), before.end(), '\n');
  const size_t last_nl = before.rfind('\n');
  const size_t column = last_nl == std::string_view::npos ? offset + 1 : offset - last_nl;
  return Status::InvalidArgument(
      fmt::format("app.json: line {}, column {}: {}", line, column, what));
}

// Cut on a UTF-8 boundary, at most kMaxSyntaxMessage bytes.
std::string Shorten(std::string_view s) {
  if (s.size() <= kMaxSyntaxMessage) return std::string(s);
  size_t cut = kMaxSyntaxMessage;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return fmt::format("{}...", s.substr(0, cut));
}

// "[json.exception.parse_error.101] parse error at line 1, column 2: syntax error while parsing
// object - unexpected '}'; ..." -> "unexpected '}'; ...".
std::string TrimNlohmannMessage(std::string_view what) {
  if (what.starts_with("[json.exception.")) {
    const size_t end = what.find("] ");
    if (end != std::string_view::npos) what.remove_prefix(end + 2);
  }
  if (what.starts_with("parse error")) {
    const size_t colon = what.find(": ");
    if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
  }
  if (what.starts_with("syntax error while parsing ")) {
    const size_t dash = what.find(" - ");
    if (dash != std::string_view::npos) what.remove_prefix(dash + 3);
  }
  return Shorten(what);
}

// ---- JSONC -> JSON ----

Status CheckBytes(std::string_view text) {
  if (text.size() > kMaxAppJsonSize) return Status::InvalidArgument("app.json: larger than 1 MiB");
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\0') return PositionError(text, i, "contains a NUL byte (is it binary?)");
    const size_t len = Utf8SequenceLength(text, i);
    if (len == 0) return PositionError(text, i, "not valid UTF-8");
    i += len;
  }
  return Status::Ok();
}

// Index just past the comment starting at text[i] ("//" or "/*"): text.size() for a line comment
// at the end, npos for an unterminated block comment.
size_t SkipComment(std::string_view text, size_t i) {
  const bool line = text[i + 1] == '/';
  const size_t end = text.find(line ? "\n" : "*/", i + 2);
  if (end == std::string_view::npos) return line ? text.size() : end;
  return end + (line ? 1 : 2);
}

bool StartsComment(std::string_view text, size_t i) {
  return text[i] == '/' && i + 1 < text.size() && (text[i + 1] == '/' || text[i + 1] == '*');
}

// Index of the next character that is neither whitespace nor inside a comment (npos inside an
// unterminated block comment).
size_t SkipBlank(std::string_view text, size_t i) {
  while (i < text.size()) {
    if (StartsComment(text, i)) {
      i = SkipComment(text, i);
    } else if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
      ++i;
    } else {
      break;
    }
  }
  return i;
}

// Index just past the string literal whose opening quote is text[i].
size_t SkipString(std::string_view text, size_t i) {
  for (++i; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == '"') {
      return i + 1;
    }
  }
  return text.size();
}

// Replaces every comma that follows a value and precedes '}' or ']' with a space (so offsets,
// hence line and column, stay right) and limits nesting. Malformed text is left for the parser.
StatusOr<std::string> StripTrailingCommas(std::string_view text) {
  std::string out(text);
  int depth = 0;
  char prev = '\0';  // last significant character outside strings and comments
  for (size_t i = SkipBlank(text, 0); i < text.size(); i = SkipBlank(text, i)) {
    const char c = text[i];
    if (c == '"') {
      i = SkipString(text, i);
      prev = '"';
      continue;
    }
    if ((c == '{' || c == '[') && ++depth > kMaxDepth) {
      return PositionError(text, i, fmt::format("nested deeper than {} levels", kMaxDepth));
    }
    if (c == '}' || c == ']') --depth;
    const bool after_value = prev != '\0' && prev != '{' && prev != '[' && prev != ',';
    if (c == ',' && after_value) {
      const size_t next = SkipBlank(text, i + 1);
      if (next < text.size() && (text[next] == '}' || text[next] == ']')) out[i] = ' ';
    }
    prev = c;
    ++i;
  }
  return out;
}

StatusOr<json> ParseJsonc(std::string_view text) {
  DOKKU_RETURN_IF_ERROR(CheckBytes(text));
  if (SkipBlank(text, 0) == text.size()) return json::object();  // blank or only comments
  StatusOr<std::string> plain = StripTrailingCommas(text);
  if (!plain.ok()) return plain.status();
  try {
    return json::parse(*plain, nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const json::parse_error& e) {
    return PositionError(text, e.byte == 0 ? 0 : e.byte - 1, TrimNlohmannMessage(e.what()));
  } catch (const json::exception& e) {
    return Status::InvalidArgument(fmt::format("app.json: {}", TrimNlohmannMessage(e.what())));
  }
}

// ---- typed fields ----

// The value at obj[key], or nullptr when it is absent or null.
const json* Field(const json& obj, const char* key) {
  const auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string Join(std::string_view where, std::string_view key) {
  return fmt::format("{}.{}", where, key);
}

std::string Index(std::string_view where, size_t i) { return fmt::format("{}[{}]", where, i); }

bool HasByte(std::string_view s, std::string_view bytes) {
  return s.find_first_of(bytes) != std::string_view::npos;
}

bool HasControl(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return true;
  }
  return false;
}

// Absent: nullopt. Present: an integer in [min, max], else an error naming where.key.
StatusOr<std::optional<int>> IntField(const json& obj, const char* key, std::string_view where,
                                      int min, int max) {
  const json* v = Field(obj, key);
  if (v == nullptr) return std::optional<int>();
  bool in_range = false;
  int64_t n = 0;
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    in_range = u <= static_cast<uint64_t>(max);
    n = in_range ? static_cast<int64_t>(u) : 0;
  } else if (v->is_number_integer()) {
    n = v->get<int64_t>();
    in_range = n <= max;
  }
  if (!in_range || n < min) {
    return FieldError(Join(where, key), fmt::format("must be an integer from {} to {}", min, max));
  }
  return std::optional<int>(static_cast<int>(n));
}

Status ReadInt(const json& obj, const char* key, std::string_view where, int min, int max,
               int* out) {
  StatusOr<std::optional<int>> n = IntField(obj, key, where, min, max);
  if (!n.ok()) return n.status();
  if (n->has_value()) *out = **n;
  return Status::Ok();
}

Status ReadBool(const json& obj, const char* key, std::string_view where, bool* out) {
  const json* v = Field(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_boolean()) return FieldError(Join(where, key), "must be true or false");
  *out = v->get<bool>();
  return Status::Ok();
}

// Absent: *out unchanged. Present: a string without NUL bytes, else an error naming where.key.
Status ReadString(const json& obj, const char* key, std::string_view where, std::string* out) {
  const json* v = Field(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return FieldError(Join(where, key), "must be a string");
  const std::string& s = v->get_ref<const std::string&>();
  if (HasByte(s, std::string_view("\0", 1))) {
    return FieldError(Join(where, key), "must not contain NUL bytes");
  }
  *out = s;
  return Status::Ok();
}

Status ReadScript(const json& obj, const char* key, std::string_view where, std::string* out) {
  DOKKU_RETURN_IF_ERROR(ReadString(obj, key, where, out));
  if (out->size() > kMaxAppJsonScriptSize) {
    return FieldError(Join(where, key), "must be at most 64 KiB");
  }
  return Status::Ok();
}

// Absent: nullptr. Present and not an object: an error.
StatusOr<const json*> ObjectField(const json& obj, const char* key, std::string_view where) {
  const json* v = Field(obj, key);
  if (v != nullptr && !v->is_object()) return FieldError(where, "must be an object");
  return v;
}

Status CheckProcessType(std::string_view key, std::string_view where) {
  if (IsValidProcessType(key)) return Status::Ok();
  std::string shown(key);  // keys may hold escaped control characters: keep the message one line
  for (char& c : shown) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
  }
  return FieldError(where, fmt::format("{} is not a valid process type", QuoteForMessage(shown)));
}

// ---- healthchecks ----

bool IsHttpToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

StatusOr<HttpHeader> ParseHeader(const json& item, const std::string& where) {
  if (!item.is_object()) return FieldError(where, "must be an object with name and value");
  HttpHeader header;
  DOKKU_RETURN_IF_ERROR(ReadString(item, "name", where, &header.name));
  if (!IsHttpToken(header.name)) {
    return FieldError(Join(where, "name"), "must be a non-empty HTTP header name");
  }
  DOKKU_RETURN_IF_ERROR(ReadString(item, "value", where, &header.value));
  if (HasByte(header.value, "\r\n")) {
    return FieldError(Join(where, "value"), "must not contain CR or LF");
  }
  return header;
}

Status ReadHeaders(const json& entry, const std::string& where, std::vector<HttpHeader>* out) {
  const json* v = Field(entry, "httpHeaders");
  if (v == nullptr) return Status::Ok();
  const std::string field = Join(where, "httpHeaders");
  if (!v->is_array()) return FieldError(field, "must be an array of {name, value} objects");
  for (size_t i = 0; i < v->size(); ++i) {
    StatusOr<HttpHeader> header = ParseHeader((*v)[i], Index(field, i));
    if (!header.ok()) return header.status();
    out->push_back(std::move(*header));
  }
  return Status::Ok();
}

Status ReadCommand(const json& entry, const std::string& where, std::vector<std::string>* out) {
  const json* v = Field(entry, "command");
  if (v == nullptr) return Status::Ok();
  const std::string field = Join(where, "command");
  if (!v->is_array() || v->empty())
    return FieldError(field, "must be a non-empty array of strings");
  for (const json& arg : *v) {
    if (!arg.is_string() || HasByte(arg.get_ref<const std::string&>(), std::string_view("\0", 1))) {
      return FieldError(field, "must be a non-empty array of strings without NUL bytes");
    }
    out->push_back(arg.get<std::string>());
  }
  return Status::Ok();
}

// nullopt when the entry has no type (Dokku skips it).
StatusOr<std::optional<HealthCheckType>> ReadType(const json& entry, const std::string& where) {
  const json* v = Field(entry, "type");
  if (v == nullptr || (v->is_string() && v->get_ref<const std::string&>().empty())) {
    return std::optional<HealthCheckType>();
  }
  for (HealthCheckType t :
       {HealthCheckType::kStartup, HealthCheckType::kLiveness, HealthCheckType::kReadiness}) {
    if (v->is_string() && v->get_ref<const std::string&>() == HealthCheckTypeName(t))
      return std::optional<HealthCheckType>(t);
  }
  return FieldError(Join(where, "type"), "must be one of startup, liveness, readiness");
}

Status ReadName(const json& entry, const std::string& where, HealthCheck* check) {
  DOKKU_RETURN_IF_ERROR(ReadString(entry, "name", where, &check->name));
  if (check->name.size() > kMaxNameSize || HasControl(check->name)) {
    return FieldError(Join(where, "name"),
                      "must be at most 256 bytes and contain no control characters");
  }
  return Status::Ok();
}

// The kind from the one marker present; two markers are an error, named in this order.
Status ReadKind(const json& entry, const std::string& where, HealthCheck* check) {
  const json* listening = Field(entry, "listening");
  const json* uptime = Field(entry, "uptime");
  const struct {
    std::string_view word;
    bool present;
    HealthCheckKind kind;
  } markers[] = {
      {"path", Field(entry, "path") != nullptr, HealthCheckKind::kPath},
      {"command", Field(entry, "command") != nullptr, HealthCheckKind::kCommand},
      {"listening", listening != nullptr && listening->is_boolean() && listening->get<bool>(),
       HealthCheckKind::kListening},
      {"uptime", uptime != nullptr && uptime->is_number() && uptime->get<double>() > 0,
       HealthCheckKind::kUptime},
  };
  std::string_view first;
  for (const auto& m : markers) {
    if (!m.present) continue;
    if (!first.empty()) {
      return FieldError(where, fmt::format("healthcheck name='{}' cannot contain both {} and {}",
                                           check->name, first, m.word));
    }
    first = m.word;
    check->kind = m.kind;
  }
  return Status::Ok();
}

Status ReadPath(const json& entry, const std::string& where, HealthCheck* check) {
  DOKKU_RETURN_IF_ERROR(ReadString(entry, "path", where, &check->path));
  if (!check->path.starts_with('/') || HasByte(check->path, " ") || HasControl(check->path)) {
    return FieldError(Join(where, "path"),
                      "must start with '/' and contain no spaces or control characters");
  }
  DOKKU_RETURN_IF_ERROR(ReadString(entry, "content", where, &check->content));
  DOKKU_RETURN_IF_ERROR(ReadString(entry, "scheme", where, &check->scheme));
  if (check->scheme != "http" && check->scheme != "https") {
    return FieldError(Join(where, "scheme"),
                      "invalid scheme specified, must be either http or https");
  }
  return ReadHeaders(entry, where, &check->headers);
}

Status ReadSettings(const json& entry, const std::string& where, HealthCheck* check) {
  DOKKU_RETURN_IF_ERROR(ReadInt(entry, "uptime", where, 0, 86400, &check->uptime));
  DOKKU_RETURN_IF_ERROR(ReadInt(entry, "attempts", where, 1, 100, &check->attempts));
  DOKKU_RETURN_IF_ERROR(ReadInt(entry, "wait", where, 0, 3600, &check->wait));
  DOKKU_RETURN_IF_ERROR(ReadInt(entry, "timeout", where, 1, 3600, &check->timeout));
  DOKKU_RETURN_IF_ERROR(ReadInt(entry, "initialDelay", where, 0, 3600, &check->initial_delay));
  DOKKU_RETURN_IF_ERROR(ReadInt(entry, "port", where, 0, 65535, &check->port));
  bool listening = false;
  DOKKU_RETURN_IF_ERROR(ReadBool(entry, "listening", where, &listening));
  return ReadBool(entry, "warn", where, &check->warn);
}

// nullopt when the entry is skipped (no type).
StatusOr<std::optional<HealthCheck>> ParseCheck(const json& entry, const std::string& proctype,
                                                size_t index, const std::string& where) {
  if (!entry.is_object()) return FieldError(where, "must be an object");
  StatusOr<std::optional<HealthCheckType>> type = ReadType(entry, where);
  if (!type.ok()) return type.status();
  if (!type->has_value()) return std::optional<HealthCheck>();
  HealthCheck check;
  check.type = **type;
  check.name = fmt::format("{}-{}-{}", proctype, HealthCheckTypeName(check.type), index);
  DOKKU_RETURN_IF_ERROR(ReadName(entry, where, &check));
  DOKKU_RETURN_IF_ERROR(ReadKind(entry, where, &check));
  DOKKU_RETURN_IF_ERROR(ReadPath(entry, where, &check));
  DOKKU_RETURN_IF_ERROR(ReadCommand(entry, where, &check.command));
  DOKKU_RETURN_IF_ERROR(ReadSettings(entry, where, &check));
  return std::optional<HealthCheck>(std::move(check));
}

Status ParseProcessChecks(const std::string& proctype, const json& list, const std::string& where,
                          std::vector<HealthCheck>* out) {
  DOKKU_RETURN_IF_ERROR(CheckProcessType(proctype, "healthchecks"));
  if (!list.is_array()) return FieldError(where, "must be an array of healthchecks");
  for (size_t i = 0; i < list.size(); ++i) {
    StatusOr<std::optional<HealthCheck>> check = ParseCheck(list[i], proctype, i, Index(where, i));
    if (!check.ok()) return check.status();
    if (check->has_value()) out->push_back(std::move(**check));
  }
  return Status::Ok();
}

Status ParseHealthchecks(const json& root, AppJson* out) {
  StatusOr<const json*> checks = ObjectField(root, "healthchecks", "healthchecks");
  if (!checks.ok()) return checks.status();
  if (*checks == nullptr) return Status::Ok();
  for (const auto& [proctype, list] : (*checks)->items()) {
    DOKKU_RETURN_IF_ERROR(ParseProcessChecks(proctype, list, Join("healthchecks", proctype),
                                             &out->healthchecks[proctype]));
  }
  return Status::Ok();
}

// ---- formation and scripts ----

// Dokku ignores max_parallel <= 0: such values read as absent.
bool IsNonPositiveInteger(const json* v) {
  if (v == nullptr || !v->is_number_integer()) return false;
  return v->is_number_unsigned() ? v->get<uint64_t>() == 0 : v->get<int64_t>() <= 0;
}

StatusOr<Formation> ParseProcessFormation(const json& value, const std::string& where) {
  if (!value.is_object()) return FieldError(where, "must be an object");
  Formation formation;
  StatusOr<std::optional<int>> quantity = IntField(value, "quantity", where, 0, 10000);
  if (!quantity.ok()) return quantity.status();
  formation.quantity = *quantity;
  if (IsNonPositiveInteger(Field(value, "max_parallel"))) return formation;
  StatusOr<std::optional<int>> parallel = IntField(value, "max_parallel", where, 1, 10000);
  if (!parallel.ok()) return parallel.status();
  formation.max_parallel = *parallel;
  return formation;
}

Status ParseFormation(const json& root, AppJson* out) {
  StatusOr<const json*> formation = ObjectField(root, "formation", "formation");
  if (!formation.ok()) return formation.status();
  if (*formation == nullptr) return Status::Ok();
  for (const auto& [proctype, value] : (*formation)->items()) {
    DOKKU_RETURN_IF_ERROR(CheckProcessType(proctype, "formation"));
    StatusOr<Formation> parsed = ParseProcessFormation(value, Join("formation", proctype));
    if (!parsed.ok()) return parsed.status();
    out->formation[proctype] = *parsed;
  }
  return Status::Ok();
}

Status ParseScripts(const json& root, AppJson* out) {
  StatusOr<const json*> scripts = ObjectField(root, "scripts", "scripts");
  if (!scripts.ok()) return scripts.status();
  if (*scripts == nullptr) return Status::Ok();
  DOKKU_RETURN_IF_ERROR(ReadScript(**scripts, "postdeploy", "scripts", &out->heroku_postdeploy));
  StatusOr<const json*> dokku = ObjectField(**scripts, "dokku", "scripts.dokku");
  if (!dokku.ok()) return dokku.status();
  if (*dokku == nullptr) return Status::Ok();
  DOKKU_RETURN_IF_ERROR(ReadScript(**dokku, "predeploy", "scripts.dokku", &out->predeploy));
  return ReadScript(**dokku, "postdeploy", "scripts.dokku", &out->postdeploy);
}

}  // namespace

StatusOr<AppJson> ParseAppJson(std::string_view text) {
  StatusOr<json> root = ParseJsonc(text);
  if (!root.ok()) return root.status();
  if (!root->is_object()) return Status::InvalidArgument("app.json: must be a JSON object");
  AppJson app_json;
  DOKKU_RETURN_IF_ERROR(ParseHealthchecks(*root, &app_json));
  DOKKU_RETURN_IF_ERROR(ParseFormation(*root, &app_json));
  DOKKU_RETURN_IF_ERROR(ParseScripts(*root, &app_json));
  return app_json;
}

std::vector<HealthCheck> ChecksOf(const AppJson& app_json, const std::string& proctype,
                                  HealthCheckType type) {
  std::vector<HealthCheck> out;
  const auto it = app_json.healthchecks.find(proctype);
  if (it == app_json.healthchecks.end()) return out;
  for (const HealthCheck& check : it->second) {
    if (check.type == type) out.push_back(check);
  }
  return out;
}

std::string_view HealthCheckTypeName(HealthCheckType type) {
  switch (type) {
    case HealthCheckType::kStartup:
      return "startup";
    case HealthCheckType::kLiveness:
      return "liveness";
    case HealthCheckType::kReadiness:
      return "readiness";
  }
  return "startup";
}

std::string_view HealthCheckKindName(HealthCheckKind kind) {
  switch (kind) {
    case HealthCheckKind::kPath:
      return "path";
    case HealthCheckKind::kCommand:
      return "command";
    case HealthCheckKind::kListening:
      return "listening";
    case HealthCheckKind::kUptime:
      return "uptime";
  }
  return "uptime";
}

}  // namespace dokku
