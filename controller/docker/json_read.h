// Reading Docker's JSON without exceptions: absent, null or mistyped fields read as empty (Docker
// leaves many fields null: Entrypoint, Env, RepoTags of dangling images, Ports of a stopped
// container). Shared by the Engine and Swarm decoders.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dokku::jsonread {

using nlohmann::json;

const json& Get(const json& j, const char* key);
// Get along a chain of keys.
const json& Path(const json& j, std::initializer_list<const char*> keys);
std::string Str(const json& j, const char* key);
// Integers, floats (clamped: out-of-range conversion would be undefined) and numeric strings.
int64_t AsInt(const json& v);
int64_t Int(const json& j, const char* key);
int SmallInt(const json& j, const char* key);  // 0 when outside int's range
uint64_t Unsigned(const json& j, const char* key);
bool Bool(const json& j, const char* key);
// Arrays of strings; a lone string (an old-style Cmd/Entrypoint) is a one-element list.
std::vector<std::string> StrList(const json& j, const char* key);
std::map<std::string, std::string> StrMap(const json& j, const char* key);

}  // namespace dokku::jsonread
