#include "controller/docker/json_read.h"

#include <climits>
#include <cmath>

#include "store/parse_int.h"

namespace dokku::jsonread {

const json& Get(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

const json& Path(const json& j, std::initializer_list<const char*> keys) {
  const json* at = &j;
  for (const char* key : keys) at = &Get(*at, key);
  return *at;
}

std::string Str(const json& j, const char* key) {
  const json& v = Get(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

int64_t AsInt(const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    const double d = v.get<double>();
    return std::isfinite(d) && std::fabs(d) < 9.2e18 ? static_cast<int64_t>(d) : 0;
  }
  // A number in a string (HostPort is one) counts only when the whole string is the number.
  if (v.is_string()) return ParseInt(v.get_ref<const std::string&>()).value_or(0);
  return 0;
}

int64_t Int(const json& j, const char* key) { return AsInt(Get(j, key)); }

int SmallInt(const json& j, const char* key) {
  const int64_t v = Int(j, key);
  return v < INT32_MIN || v > INT32_MAX ? 0 : static_cast<int>(v);
}

uint64_t Unsigned(const json& j, const char* key) {
  const json& v = Get(j, key);
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  const int64_t i = AsInt(v);
  return i < 0 ? 0 : static_cast<uint64_t>(i);
}

bool Bool(const json& j, const char* key) {
  const json& v = Get(j, key);
  return v.is_boolean() && v.get<bool>();
}

std::vector<std::string> StrList(const json& j, const char* key) {
  const json& v = Get(j, key);
  std::vector<std::string> out;
  if (v.is_string()) out.push_back(v.get<std::string>());
  if (!v.is_array()) return out;
  for (const json& item : v) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::map<std::string, std::string> StrMap(const json& j, const char* key) {
  const json& v = Get(j, key);
  std::map<std::string, std::string> out;
  if (!v.is_object()) return out;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

}  // namespace dokku::jsonread
