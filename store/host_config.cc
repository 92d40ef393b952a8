#include "store/host_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <map>

#include "store/parse_int.h"

namespace dokku {
namespace {

constexpr const char kTwoPaths[] = "Storage path must be two valid paths divided by colon.";
constexpr const char kDockerSocket[] = "/var/run/docker.sock";

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t at = s.find(sep, start);
    out.emplace_back(s.substr(start, at == std::string_view::npos ? s.npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

// The components of an absolute path ("//a/./b/" -> {a, b}); ".." is kept for the caller.
std::vector<std::string> Components(std::string_view path) {
  std::vector<std::string> out;
  for (std::string& c : Split(path, '/')) {
    if (!c.empty() && c != ".") out.push_back(std::move(c));
  }
  return out;
}

bool HasDotDot(std::string_view path) {
  std::vector<std::string> parts = Split(path, '/');
  return std::find(parts.begin(), parts.end(), "..") != parts.end();
}

bool ValidVolumeName(std::string_view name) {
  if (name.size() < 2 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

// Options the Engine API's Mounts can express: ro/rw, bind propagation, a volume's nocopy.
Status ValidateMountOptions(const StorageMount& m) {
  static const std::vector<std::string> kBind = {"ro",     "rw",      "private", "rprivate",
                                                 "shared", "rshared", "slave",   "rslave"};
  for (const std::string& o : m.options) {
    bool ok =
        o == "ro" || o == "rw" ||
        (m.IsVolume() ? o == "nocopy" : std::find(kBind.begin(), kBind.end(), o) != kBind.end());
    if (!ok) {
      return Status::InvalidArgument(fmt::format(
          "Unsupported mount option '{}': use ro, rw, {}", o,
          m.IsVolume() ? "nocopy" : "private, rprivate, shared, rshared, slave or rslave"));
    }
  }
  return Status::Ok();
}

// True when one path is the other or lies inside it (component-wise).
bool Overlaps(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  size_t n = std::min(a.size(), b.size());
  return std::equal(a.begin(), a.begin() + n, b.begin());
}

}  // namespace

bool StorageMount::ReadOnly() const {
  return std::find(options.begin(), options.end(), "ro") != options.end();
}

std::string StorageMount::VolumeOptions() const {
  std::string out;
  for (const std::string& o : options) {
    if (o != "ro") out += (out.empty() ? "" : ",") + o;
  }
  return out;
}

std::string StorageMount::Spec() const {
  std::string opts;
  if (ReadOnly()) opts = "ro";
  std::string rest = VolumeOptions();
  if (!rest.empty()) opts += (opts.empty() ? "" : ",") + rest;
  return fmt::format("{}:{}{}", host_path, container_path, opts.empty() ? "" : ":" + opts);
}

std::string StorageMount::EntryName() const {
  return fmt::format("legacy-{}",
                     Sha1Hex(IsVolume() ? "vol:" + host_path : host_path).substr(0, 10));
}

StatusOr<StorageMount> ParseMountSpec(std::string_view spec) {
  std::vector<std::string> f = Split(spec, ':');
  StorageMount m;
  m.host_path = f[0];
  if (f.size() < 2 || f.size() > 3 || f[1].empty() || f[1][0] != '/') {
    if (!m.host_path.empty() && m.host_path[0] == '/') return Status::InvalidArgument(kTwoPaths);
    return Status::InvalidArgument(fmt::format(
        "Volume name must be two characters or more. Volume name must not contain invalid "
        "characters. {}",
        kTwoPaths));
  }
  m.container_path = f[1];
  if (!m.IsVolume() && HasDotDot(m.host_path)) {
    return Status::InvalidArgument("Host path must be absolute and may not contain '..'");
  }
  if (m.IsVolume() && !ValidVolumeName(m.host_path)) {
    return Status::InvalidArgument(fmt::format(
        "Volume name must be two characters or more. Volume name must not contain invalid "
        "characters. {}",
        kTwoPaths));
  }
  if (HasDotDot(m.container_path) || Components(m.container_path).empty()) {
    return Status::InvalidArgument("Container path must be absolute, not '/', and without '..'");
  }
  if (f.size() == 3) {
    for (std::string& o : Split(f[2], ',')) {
      if (!o.empty()) m.options.push_back(std::move(o));
    }
  }
  DOKKU_RETURN_IF_ERROR(ValidateMountOptions(m));
  return m;
}

Status CheckHostPathAllowed(const std::string& host_path, const std::string& state_dir) {
  if (host_path.empty() || host_path[0] != '/') return Status::Ok();  // a docker volume
  std::vector<std::string> path = Components(host_path);
  if (path.empty()) {
    return Status::InvalidArgument(
        "Refusing to mount / (the whole host filesystem); use --force to mount it anyway");
  }
  // <state>/data/storage/<dir> is where storage:ensure-directory puts app data: mountable.
  std::vector<std::string> storage = Components(state_dir);
  storage.insert(storage.end(), {"data", "storage"});
  const bool app_data =
      path.size() > storage.size() && std::equal(storage.begin(), storage.end(), path.begin());
  if (!app_data && Overlaps(path, Components(state_dir))) {
    return Status::InvalidArgument(fmt::format(
        "Refusing to mount {}: it exposes dokku's state directory {}; use --force to mount it "
        "anyway",
        host_path, state_dir));
  }
  if (Overlaps(path, Components(kDockerSocket))) {
    return Status::InvalidArgument(fmt::format(
        "Refusing to mount {}: it exposes the Docker socket {} (root on the host); use --force "
        "to mount it anyway",
        host_path, kDockerSocket));
  }
  return Status::Ok();
}

StatusOr<std::optional<int>> ParseChownOption(std::string_view option) {
  static const std::map<std::string, int, std::less<>> kNamed = {
      {"herokuish", 32767}, {"heroku", 1000}, {"paketo", 2000}, {"packeto", 2000}, {"root", 0}};
  if (option == "false") return std::optional<int>();
  if (auto it = kNamed.find(option); it != kNamed.end()) return std::optional<int>(it->second);
  if (std::optional<int64_t> id = ParseInt(option, 0, 65535)) {
    return std::optional<int>(static_cast<int>(*id));
  }
  return Status::InvalidArgument("Unsupported chown permissions");
}

// ---- resource ----

const std::vector<std::string>& ResourceKeys() {
  static const std::vector<std::string> kKeys = {
      "cpu", "memory", "memory-swap", "network", "network-ingress", "network-egress", "nvidia-gpu"};
  return kKeys;
}

StatusOr<int64_t> ParseByteSize(std::string_view text, int64_t default_unit) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  std::optional<int64_t> number = ParseInt(text.substr(0, std::min<size_t>(digits, 15)));
  if (digits == 0 || digits > 15 || !number) {
    return Status::InvalidArgument(fmt::format("Invalid size '{}'", text));
  }
  std::string unit;
  for (char c : text.substr(digits)) unit.push_back(static_cast<char>(std::tolower(c)));
  if (unit.size() == 2 && unit[1] == 'b' && unit[0] != 'b') unit.pop_back();
  int64_t scale = default_unit;
  if (!unit.empty()) {
    static const std::map<std::string, int64_t> kUnits = {
        {"b", 1}, {"k", 1LL << 10}, {"m", 1LL << 20}, {"g", 1LL << 30}, {"t", 1LL << 40}};
    auto it = kUnits.find(unit);
    if (it == kUnits.end()) return Status::InvalidArgument(fmt::format("Invalid size '{}'", text));
    scale = it->second;
  }
  if (*number > std::numeric_limits<int64_t>::max() / scale) {
    return Status::InvalidArgument(fmt::format("Invalid size '{}'", text));
  }
  return *number * scale;
}

StatusOr<int64_t> ParseNanoCpus(std::string_view text) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == text.npos ? std::string_view() : text.substr(dot + 1);
  bool digits_only = std::all_of(
      frac.begin(), frac.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  std::optional<int64_t> w = ParseInt(whole, 0, 1'000'000);
  if (!w || whole.starts_with('-') || !digits_only || frac.size() > 9 ||
      (dot != text.npos && frac.empty())) {
    return Status::InvalidArgument(
        fmt::format("Invalid cpu value '{}': use a decimal such as 1.5", text));
  }
  std::string nanos(frac);
  nanos.resize(9, '0');
  int64_t total = *w * 1'000'000'000 + *ParseInt(nanos);
  if (total == 0) return Status::InvalidArgument("Invalid cpu value '0': must be more than 0");
  return total;
}

Status ValidateResourceValue(const std::string& key, const std::string& value) {
  const auto& keys = ResourceKeys();
  if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
    return Status::InvalidArgument(fmt::format("Invalid resource key {}", key));
  }
  if (value == "clear") return Status::Ok();
  if (value.empty()) return Status::InvalidArgument(fmt::format("Missing value for --{}", key));
  Status st;
  if (key == "cpu") {
    st = ParseNanoCpus(value).status();
  } else if (key == "memory") {
    st = ParseByteSize(value, 1LL << 20).status();
  } else if (key == "memory-swap") {
    st = value == "-1" ? Status::Ok() : ParseByteSize(value, 1).status();
  } else if (key == "nvidia-gpu") {
    st = value == "all" || ParseInt(value, 1, 1024) ? Status::Ok()
                                                    : Status::InvalidArgument("use all or a count");
  }
  if (st.ok()) return st;
  return Status::InvalidArgument(
      fmt::format("Invalid --{} value '{}': {}", key, value, st.message()));
}

ContainerResources EffectiveResources(const std::vector<ResourceSetting>& settings,
                                      const std::string& proctype) {
  std::map<std::string, std::string> values;  // "<kind>.<key>" -> value, the type's own last
  for (const char* scope : {kDefaultProcessType, proctype.c_str()}) {
    for (const ResourceSetting& s : settings) {
      if (s.process_type == scope) values[s.kind + "." + s.key] = s.value;
    }
  }
  auto bytes = [&](const char* k, int64_t unit) -> int64_t {
    auto it = values.find(k);
    if (it == values.end()) return 0;
    if (it->second == "-1") return -1;
    StatusOr<int64_t> v = ParseByteSize(it->second, unit);
    return v.ok() ? *v : 0;  // stored values were validated; an old bad one is ignored
  };
  ContainerResources r;
  r.memory = bytes("limit.memory", 1LL << 20);
  r.memory_swap = bytes("limit.memory-swap", 1);
  r.memory_reservation = bytes("reserve.memory", 1LL << 20);
  if (auto it = values.find("limit.cpu"); it != values.end()) {
    StatusOr<int64_t> v = ParseNanoCpus(it->second);
    r.nano_cpus = v.ok() ? *v : 0;
  }
  if (auto it = values.find("limit.nvidia-gpu"); it != values.end()) {
    r.gpus = it->second == "all" ? -1 : static_cast<int>(ParseInt(it->second, 1, 1024).value_or(0));
  }
  return r;
}

Status ValidateEffectiveResources(const std::vector<ResourceSetting>& settings) {
  std::vector<std::string> types = {kDefaultProcessType};
  for (const ResourceSetting& s : settings) types.push_back(s.process_type);
  for (const std::string& type : types) {
    const ContainerResources r = EffectiveResources(settings, type);
    const std::string who = type == kDefaultProcessType ? "the app" : "process type " + type;
    if (r.memory_swap != 0 && r.memory == 0) {
      return Status::InvalidArgument(
          fmt::format("--memory-swap needs a --memory limit too (for {})", who));
    }
    if (r.memory_swap > 0 && r.memory_swap < r.memory) {
      return Status::InvalidArgument(fmt::format(
          "--memory-swap must be at least --memory, or -1 for unlimited (for {})", who));
    }
    if (r.memory > 0 && r.memory_reservation > r.memory) {
      return Status::InvalidArgument(
          fmt::format("The memory reservation must not exceed the --memory limit (for {})", who));
    }
  }
  return Status::Ok();
}

}  // namespace dokku
