#include "store/docker_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>

#include "store/host_config.h"
#include "store/parse_int.h"

namespace dokku {
namespace {

using Apply = Status (*)(const std::string& value, DockerRunOptions* out);

struct FlagDef {
  const char* name;   // "--volume"
  const char* alias;  // "-v", or ""
  Apply apply;
};

Status Bad(const char* flag, const std::string& value, const char* why) {
  return Status::InvalidArgument(fmt::format("Invalid {} value '{}': {}", flag, value, why));
}

bool AllOf(const std::string& s, const char* extra) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr(extra, c) != nullptr;
  });
}

Status ApplyVolume(const std::string& v, DockerRunOptions* out) {
  StatusOr<StorageMount> m = ParseMountSpec(v);
  if (!m.ok()) return Bad("--volume", v, "use <host-dir or volume>:<container-dir>[:ro]");
  out->binds.push_back(m->Spec());
  return Status::Ok();
}

Status ApplyMemory(const std::string& v, DockerRunOptions* out) {
  StatusOr<int64_t> n = ParseByteSize(v, 1);
  if (!n.ok()) return Bad("--memory", v, "use a size such as 64m or 1g");
  out->memory = *n;
  return Status::Ok();
}

Status ApplyCpus(const std::string& v, DockerRunOptions* out) {
  StatusOr<int64_t> n = ParseNanoCpus(v);
  if (!n.ok()) return Bad("--cpus", v, "use a decimal such as 1.5");
  out->nano_cpus = *n;
  return Status::Ok();
}

// Our own labels tell dokkud which containers it owns; an option must not forge them.
Status ApplyLabel(const std::string& v, DockerRunOptions* out) {
  size_t eq = v.find('=');
  std::string key = v.substr(0, eq);
  if (key.empty()) return Bad("--label", v, "use key=value");
  if (key.rfind("com.dokku", 0) == 0 || key == "dokku") {
    return Bad("--label", v, "com.dokku* labels are dokkud's own");
  }
  out->labels[key] = eq == std::string::npos ? "" : v.substr(eq + 1);
  return Status::Ok();
}

Status ApplyNetwork(const std::string& v, DockerRunOptions* out) {
  if (!AllOf(v, "_.:-")) return Bad("--network", v, "use a network name");
  out->network = v;
  return Status::Ok();
}

Status ApplyAddHost(const std::string& v, DockerRunOptions* out) {
  size_t colon = v.find(':');
  if (colon == 0 || colon == std::string::npos || colon + 1 == v.size() ||
      !AllOf(v.substr(0, colon), "_.-") || !AllOf(v.substr(colon + 1), ".:")) {
    return Bad("--add-host", v, "use host:ip");
  }
  out->extra_hosts.push_back(v);
  return Status::Ok();
}

Status ApplyUlimit(const std::string& v, DockerRunOptions* out) {
  static const std::vector<std::string> kNames = {
      "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
      "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
  size_t eq = v.find('=');
  std::string name = v.substr(0, eq);
  std::string limits = eq == std::string::npos ? "" : v.substr(eq + 1);
  size_t colon = limits.find(':');
  std::optional<int64_t> soft = ParseInt(limits.substr(0, colon), -1, INT64_MAX);
  std::optional<int64_t> hard =
      colon == std::string::npos ? soft : ParseInt(limits.substr(colon + 1), -1, INT64_MAX);
  if (std::find(kNames.begin(), kNames.end(), name) == kNames.end() || !soft || !hard) {
    return Bad("--ulimit", v, "use <name>=<soft>[:<hard>], e.g. nofile=1024:2048");
  }
  out->ulimits.push_back({name, *soft, *hard});
  return Status::Ok();
}

Status ApplyShmSize(const std::string& v, DockerRunOptions* out) {
  StatusOr<int64_t> n = ParseByteSize(v, 1);
  if (!n.ok()) return Bad("--shm-size", v, "use a size such as 64m");
  out->shm_size = *n;
  return Status::Ok();
}

Status ApplyCapAdd(const std::string& v, DockerRunOptions* out) {
  if (!AllOf(v, "_")) return Bad("--cap-add", v, "use a capability such as NET_ADMIN");
  out->cap_add.push_back(v);
  return Status::Ok();
}

Status ApplyCapDrop(const std::string& v, DockerRunOptions* out) {
  if (!AllOf(v, "_")) return Bad("--cap-drop", v, "use a capability such as NET_RAW");
  out->cap_drop.push_back(v);
  return Status::Ok();
}

Status ApplyEnv(const std::string& v, DockerRunOptions* out) {
  size_t eq = v.find('=');
  if (eq == 0 || eq == std::string::npos) return Bad("--env", v, "use KEY=VALUE");
  out->env.push_back(v);
  return Status::Ok();
}

const FlagDef kFlags[] = {
    {"--volume", "-v", ApplyVolume},
    {"--memory", "-m", ApplyMemory},
    {"--cpus", "", ApplyCpus},
    {"--label", "-l", ApplyLabel},
    {"--network", "--net", ApplyNetwork},
    {"--add-host", "", ApplyAddHost},
    {"--ulimit", "", ApplyUlimit},
    {"--shm-size", "", ApplyShmSize},
    {"--cap-add", "", ApplyCapAdd},
    {"--cap-drop", "", ApplyCapDrop},
    {"--env", "-e", ApplyEnv},
};

Status Unsupported(const std::string& word) {
  return Status::InvalidArgument(fmt::format(
      "Unsupported docker option '{}': dokkud accepts -v/--volume, -m/--memory, --cpus, "
      "-l/--label, --network, --add-host, --ulimit, --shm-size, --cap-add, --cap-drop and "
      "-e/--env",
      word));
}

// The flag definition of `word` ("--memory", "--memory=64m", "-v"); *inline_value is set for
// the "=value" form.
const FlagDef* FindFlag(const std::string& word, std::optional<std::string>* inline_value) {
  size_t eq = word.find('=');
  std::string name = word.substr(0, eq);
  for (const FlagDef& f : kFlags) {
    if (name == f.name || (*f.alias && name == f.alias)) {
      if (eq != std::string::npos) *inline_value = word.substr(eq + 1);
      return &f;
    }
  }
  return nullptr;
}

std::string QuoteWord(const std::string& w) {
  const bool plain = !w.empty() && std::all_of(w.begin(), w.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("-_./:=,@%+", c);
  });
  if (plain) return w;
  std::string out = "'";
  for (char c : w) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

const std::vector<std::string>& DockerOptionPhases() {
  static const std::vector<std::string> kPhases = {"build", "deploy", "run"};
  return kPhases;
}

StatusOr<std::vector<std::string>> ParseDockerOptionPhases(std::string_view list) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t comma = list.find(',', start);
    std::string phase(list.substr(start, comma == list.npos ? list.npos : comma - start));
    const auto& all = DockerOptionPhases();
    if (std::find(all.begin(), all.end(), phase) == all.end()) {
      return Status::InvalidArgument("Phase(s) must be one of [build deploy run]");
    }
    if (std::find(out.begin(), out.end(), phase) == out.end()) out.push_back(phase);
    if (comma == list.npos) return out;
    start = comma + 1;
  }
}

StatusOr<std::vector<std::string>> TokenizeShellWords(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i == text.size())
        return Status::InvalidArgument("Unable to parse docker option: trailing backslash");
      word.push_back(text[i]);
    } else if (c == '\'' || c == '"') {
      size_t end = i + 1;
      for (; end < text.size() && text[end] != c; ++end) {
        if (c == '"' && text[end] == '\\' && end + 1 < text.size() &&
            std::strchr("\"\\$`", text[end + 1])) {
          ++end;
        }
        word.push_back(text[end]);
      }
      if (end == text.size()) {
        return Status::InvalidArgument("Unable to parse docker option: unterminated quote");
      }
      i = end;
    } else {
      word.push_back(c);
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

StatusOr<std::vector<std::string>> SplitDockerOptions(std::string_view text) {
  StatusOr<std::vector<std::string>> words = TokenizeShellWords(text);
  if (!words.ok()) return words.status();
  std::vector<std::string> out;
  for (size_t i = 0; i < words->size(); ++i) {
    const std::string& w = (*words)[i];
    std::optional<std::string> value;
    const FlagDef* flag = FindFlag(w, &value);
    if (flag == nullptr) return Unsupported(w);
    std::string entry = QuoteWord(w);
    if (!value) {
      if (i + 1 == words->size()) {
        return Status::InvalidArgument(fmt::format("flag needs an argument: {}", w));
      }
      value = (*words)[++i];
      entry += ' ';  // appended, not " " + ...: GCC 12 -O3 warns falsely on that (-Wrestrict)
      entry += QuoteWord(*value);
    }
    DockerRunOptions scratch;
    DOKKU_RETURN_IF_ERROR(flag->apply(*value, &scratch));
    out.push_back(std::move(entry));
  }
  return out;
}

Status ApplyDockerOption(std::string_view option, DockerRunOptions* out) {
  StatusOr<std::vector<std::string>> words = TokenizeShellWords(option);
  if (!words.ok()) return words.status();
  if (words->empty() || words->size() > 2) {
    return Status::InvalidArgument(fmt::format("Unable to parse docker option: {}", option));
  }
  std::optional<std::string> value;
  const FlagDef* flag = FindFlag(words->front(), &value);
  if (flag == nullptr) return Unsupported(words->front());
  if (value.has_value() == (words->size() == 2)) {
    return Status::InvalidArgument(fmt::format("Unable to parse docker option: {}", option));
  }
  return flag->apply(value ? *value : (*words)[1], out);
}

}  // namespace dokku
