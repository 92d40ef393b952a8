// Host configuration of an app's containers (storage, resource, docker-options): the value types
// the store keeps, and the pure parsers and precedence rules the CLI, the store and dokkud share.
// Nothing here touches the filesystem, the database or Docker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace dokku {

inline constexpr const char* kDefaultProcessType = "_default_";

// ---- storage ----

// One storage:mount attachment. host_path is an absolute host directory or a docker volume name.
struct StorageMount {
  std::string host_path;
  std::string container_path;
  std::vector<std::string> options;  // after the second colon: "ro", "rshared", "nocopy"...
  std::string phases = "deploy,run";
  std::string process_type = kDefaultProcessType;

  bool IsVolume() const { return !host_path.empty() && host_path[0] != '/'; }
  bool ReadOnly() const;
  std::string VolumeOptions() const;  // the options other than "ro", comma-joined
  std::string Spec() const;           // host:container[:ro,opts], as storage:list prints it
  std::string EntryName() const;      // Dokku's legacy-<10 hex of sha1> entry name
};

// Parses "<host>:<container>[:<options>]" with Dokku's messages; also refuses what Docker would
// refuse at deploy (relative or ".." paths, a container path of "/", unknown options).
StatusOr<StorageMount> ParseMountSpec(std::string_view spec);

// The host paths a mount may not expose without --force: `/`, the state directory and the Docker
// socket, or any directory containing or inside them, except the app data directories
// <state_dir>/data/storage/<dir> (storage:ensure-directory). `state_dir` is DefaultStateDir().
Status CheckHostPathAllowed(const std::string& host_path, const std::string& state_dir);

// storage:ensure-directory --chown: herokuish 32767, heroku 1000, paketo/packeto 2000, root 0,
// an integer 0..65535; "false" gives nullopt (no chown). Anything else is InvalidArgument.
StatusOr<std::optional<int>> ParseChownOption(std::string_view option);

// Lower-case hex SHA-1 of `data` (Dokku names legacy storage entries with it).
std::string Sha1Hex(std::string_view data);

// ---- resource ----

// The resource keys, in the order Dokku shows them.
const std::vector<std::string>& ResourceKeys();

// One stored resource value: process type (or _default_), "limit" | "reserve", key, value.
struct ResourceSetting {
  std::string process_type;
  std::string kind;
  std::string key;
  std::string value;
};

// Validates `value` for `key` ("clear" is always valid) so it maps onto the Engine API.
Status ValidateResourceValue(const std::string& key, const std::string& value);

// Byte counts as Docker reads them: a decimal number with an optional unit b, k, m, g, t (any
// case, optionally followed by "b"). Without a unit the number counts `default_unit` bytes
// (Dokku: memory without a unit is megabytes; memory-swap, bytes).
StatusOr<int64_t> ParseByteSize(std::string_view text, int64_t default_unit);
// "1.5" -> 1500000000 nanoseconds of CPU per second (Docker's --cpus).
StatusOr<int64_t> ParseNanoCpus(std::string_view text);

// What a deploy container of one process type gets (0 = unset), after precedence.
struct ContainerResources {
  int64_t memory = 0;              // HostConfig.Memory
  int64_t memory_swap = 0;         // HostConfig.MemorySwap (-1 unlimited)
  int64_t memory_reservation = 0;  // HostConfig.MemoryReservation
  int64_t nano_cpus = 0;           // HostConfig.NanoCpus
  int gpus = 0;                    // DeviceRequests count; -1 = all
  bool operator==(const ContainerResources&) const = default;
};

// docker-local's mapping for `proctype`: _default_ values, then the type's own key by key; limit
// cpu/memory/memory-swap/nvidia-gpu and reserve memory; the rest is not applied by docker-local.
ContainerResources EffectiveResources(const std::vector<ResourceSetting>& settings,
                                      const std::string& proctype);

// Docker's cross-field rules, checked for _default_ and every process type the settings name:
// a memory-swap limit needs a memory limit and may not be below it (-1 = unlimited), and a
// memory reservation may not exceed the memory limit.
Status ValidateEffectiveResources(const std::vector<ResourceSetting>& settings);

}  // namespace dokku
