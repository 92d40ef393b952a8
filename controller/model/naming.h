// Container names and labels. Names follow Dokku: live `<app>.<proc>.<n>`, a new container under
// test `<app>.<proc>.<n>.upcoming-<suffix>`, an old one waiting for retirement
// `<app>.<proc>.<n>.<unix-ts>`. A container's role is read back from its name.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace dokku {

inline constexpr char kLabelApp[] = "com.dokku.app-name";
inline constexpr char kLabelProcType[] = "com.dokku.process-type";
inline constexpr char kLabelDyno[] = "com.dokku.dyno";
inline constexpr char kLabelContainerType[] = "com.dokku.container-type";
inline constexpr char kLabelRelease[] = "com.dokku.release";
inline constexpr char kLabelSpecHash[] = "com.dokku.spec-hash";
inline constexpr char kLabelRole[] = "com.dokku.role";  // "probe" for image-reading containers
// Which state database owns the container: dokkud never touches another store's containers.
inline constexpr char kLabelStore[] = "com.dokkud.store";
// The port a web container listens on (ports:set may change it between containers of one app).
inline constexpr char kLabelWebPort[] = "com.dokkud.web-port";
// A `dokku run` container's store (not com.dokkud.store: the schedulers must not list it).
inline constexpr char kLabelRunStore[] = "com.dokkud.run-store";
inline constexpr char kLabelDeadline[] = "com.dokku.active-deadline-seconds";

enum class ContainerRole { kLive, kUpcoming, kRetiring, kOther };

std::string LiveName(const std::string& app, const std::string& proctype, int index);
std::string UpcomingName(const std::string& app, const std::string& proctype, int index,
                         const std::string& suffix);
std::string RetiringName(const std::string& app, const std::string& proctype, int index,
                         int64_t unix_seconds);
ContainerRole RoleFromName(const std::string& name, const std::string& app,
                           const std::string& proctype, int index);
const char* RoleName(ContainerRole role);

// Parses the dyno label "<proc>.<n>"; false when malformed.
bool ParseDyno(const std::string& dyno, std::string* proctype, int* index);

// The web port label's value, else `fallback` (containers made before the label existed).
int WebPortLabel(const std::map<std::string, std::string>& labels, int fallback);

// FNV-1a 64-bit, hex: stable across runs and builds (it is stored in container labels).
std::string StableHash(const std::string& data);

}  // namespace dokku
