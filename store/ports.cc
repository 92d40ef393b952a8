#include "store/ports.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "store/parse_int.h"

namespace dokku {
namespace {

constexpr char kWildcard[] = "__internal__";

// Go's strconv.Atoi message for a token that is not a decimal int.
std::string AtoiError(const std::string& s) {
  return fmt::format("strconv.Atoi: parsing \"{}\": invalid syntax", s);
}

std::optional<int64_t> Atoi(const std::string& s) {
  std::string digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits = digits.substr(1);
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  std::optional<int64_t> v = ParseInt(digits);
  if (!v) return std::nullopt;
  return s[0] == '-' ? -*v : *v;
}

std::vector<std::string> SplitSpaces(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const std::string& a : args) {
    size_t start = 0;
    while (start < a.size()) {
      size_t end = a.find(' ', start);
      if (end == std::string::npos) end = a.size();
      if (end > start) out.push_back(a.substr(start, end - start));
      start = end + 1;
    }
  }
  return out;
}

}  // namespace

std::string PortMap::ToString() const {
  return fmt::format("{}:{}:{}", scheme, host_port, container_port);
}

StatusOr<PortMap> ParsePortMap(const std::string& token) {
  if (std::optional<int64_t> bare = Atoi(token)) {
    if (*bare <= 0 || *bare >= 65536)
      return Status::InvalidArgument(
          fmt::format("Invalid port map {} [hostPort={}]", token, *bare));
    return PortMap{kWildcard, static_cast<int>(*bare), 0};
  }
  std::vector<std::string> parts;
  size_t start = 0;
  for (int i = 0; i < 2 && start <= token.size(); ++i) {
    size_t colon = token.find(':', start);
    if (colon == std::string::npos) break;
    parts.push_back(token.substr(start, colon - start));
    start = colon + 1;
  }
  parts.push_back(token.substr(start));
  if (parts.size() != 3) {
    return Status::InvalidArgument(
        fmt::format("Invalid port map {} [len={}]", token, parts.size()));
  }
  int ports[2] = {0, 0};
  const char* names[2] = {"hostPort", "containerPort"};
  for (int i = 0; i < 2; ++i) {
    std::optional<int64_t> v = Atoi(parts[1 + i]);
    if (!v) {
      return Status::InvalidArgument(
          fmt::format("Invalid port map {} [err={}]", token, AtoiError(parts[1 + i])));
    }
    if (*v <= 0 || *v >= 65536) {
      return Status::InvalidArgument(
          fmt::format("Invalid port map {} [{}={}]", token, names[i], *v));
    }
    ports[i] = static_cast<int>(*v);
  }
  // The scheme ends up in nginx's configuration and the reports: letters, digits, '+', '-', '.'.
  bool ok = !parts[0].empty();
  for (char c : parts[0]) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
  if (!ok) return Status::InvalidArgument(fmt::format("Invalid port map {} [scheme]", token));
  return PortMap{parts[0], ports[0], ports[1]};
}

StatusOr<std::vector<PortMap>> ParsePortMaps(const std::vector<std::string>& args,
                                             bool allow_wildcards) {
  std::vector<PortMap> out;
  for (const std::string& token : SplitSpaces(args)) {
    StatusOr<PortMap> m = ParsePortMap(token);
    if (!m.ok()) return m.status();
    if (m->scheme == kWildcard && !allow_wildcards) continue;  // Dokku drops them on add/set
    out.push_back(*m);
  }
  return out;
}

Status CheckUniqueHostPorts(const std::vector<PortMap>& maps) {
  std::set<std::string> seen;
  for (const PortMap& m : maps) {
    const std::string key = fmt::format("{}:{}", m.scheme, m.host_port);
    if (!seen.insert(key).second) {
      return Status::InvalidArgument(
          fmt::format("The same scheme:host-port is being reused: {}", key));
    }
  }
  return Status::Ok();
}

std::string JoinPortMaps(std::vector<PortMap> maps) {
  std::vector<std::string> tokens;
  for (const PortMap& m : maps) tokens.push_back(m.ToString());
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  return fmt::format("{}", fmt::join(tokens, " "));
}

std::vector<PortMap> DetectedPortMaps(const std::optional<std::string>& exposed_ports) {
  std::vector<PortMap> out;
  for (const std::string& p : SplitSpaces({exposed_ports.value_or("")})) {
    const size_t slash = p.find('/');
    const std::string proto = slash == std::string::npos ? "tcp" : p.substr(slash + 1);
    std::optional<int64_t> n = Atoi(p.substr(0, slash));
    if (!n || *n <= 0 || *n >= 65536 || (proto != "tcp" && proto != "udp")) continue;
    const int port = static_cast<int>(*n);
    out.push_back({proto == "udp" ? "udp" : (port == 443 ? "https" : "http"), port, port});
  }
  if (out.empty()) out.push_back({"http", 80, 5000});
  return out;
}

int WebContainerPort(std::vector<PortMap> maps) {
  std::sort(maps.begin(), maps.end(),
            [](const PortMap& a, const PortMap& b) { return a.ToString() < b.ToString(); });
  for (const PortMap& m : maps) {
    if (m.scheme != "udp") return m.container_port;
  }
  return 5000;
}

std::string PortMapsJson(const std::vector<PortMap>& maps) {
  if (maps.empty()) return "null";
  std::vector<std::string> items;
  for (const PortMap& m : maps) {
    items.push_back(fmt::format("{{\"container_port\":{},\"host_port\":{},\"scheme\":\"{}\"}}",
                                m.container_port, m.host_port, m.scheme));
  }
  return fmt::format("[{}]", fmt::join(items, ","));
}

}  // namespace dokku
