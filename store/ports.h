// Port mappings as Dokku's ports plugin spells them, "scheme:host-port:container-port": parsing
// with Dokku's messages, the detected mapping of a release (the image's EXPOSE, else
// http:80:5000), and the container port web listens on. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "store/status.h"

namespace dokku {

struct PortMap {
  std::string scheme;
  int host_port = 0;
  int container_port = 0;
  std::string ToString() const;  // "http:80:5000"
  bool operator==(const PortMap&) const = default;
};

// One token. A bare integer is a host-port wildcard (scheme "__internal__", for ports:remove).
// Errors: Invalid port map <v> [len=<n>] | [err=...] | [hostPort=<n>] | [containerPort=<n>].
StatusOr<PortMap> ParsePortMap(const std::string& token);
// Space-separated tokens (each argument may hold several), wildcards refused unless allowed.
StatusOr<std::vector<PortMap>> ParsePortMaps(const std::vector<std::string>& args,
                                             bool allow_wildcards = false);
// InvalidArgument "The same scheme:host-port is being reused: <scheme>:<port>" on a repeat.
Status CheckUniqueHostPorts(const std::vector<PortMap>& maps);
// Sorted as strings and space-joined: how the ports map property is stored and reported.
std::string JoinPortMaps(std::vector<PortMap> maps);

// From a release's exposed ports ("443/tcp 8080/tcp 53/udp"): N/tcp -> http:N:N (https for
// 443), N/udp -> udp:N:N; none (or nullopt) -> http:80:5000.
std::vector<PortMap> DetectedPortMaps(const std::optional<std::string>& exposed_ports);
// The container port of the first non-udp mapping in string order; 5000 when there is none.
int WebContainerPort(std::vector<PortMap> maps);
// JSON array of {"container_port":N,"host_port":N,"scheme":"s"}; "null" for none.
std::string PortMapsJson(const std::vector<PortMap>& maps);

}  // namespace dokku
