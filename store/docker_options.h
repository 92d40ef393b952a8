// docker-options: the `docker run` flags dokkud accepts, parsed without a shell into the fields
// of the Engine API they map to. Pure: shared by the CLI (validation at add time), the store and
// dokkud (building container specs).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace dokku {

// The phases Dokku knows, in its order.
const std::vector<std::string>& DockerOptionPhases();
// "build,deploy" -> {"build", "deploy"}; InvalidArgument("Phase(s) must be one of [build deploy
// run]") for anything else or an empty item.
StatusOr<std::vector<std::string>> ParseDockerOptionPhases(std::string_view list);

// Splits like a POSIX shell without any expansion: blanks separate words, single and double
// quotes and backslashes quote; $(...), $VAR and backticks stay literal. An unbalanced quote is
// InvalidArgument("Unable to parse docker option: ...").
StatusOr<std::vector<std::string>> TokenizeShellWords(std::string_view text);

// One stored option per flag: "--memory 64m -v /a:/b" -> {"--memory 64m", "-v /a:/b"}. Words are
// re-joined with single quotes around those with shell metacharacters. Refuses every flag
// dokkud cannot map (see DockerRunOptions), naming the ones it accepts.
StatusOr<std::vector<std::string>> SplitDockerOptions(std::string_view text);

struct Ulimit {
  std::string name;
  int64_t soft = 0;
  int64_t hard = 0;
  bool operator==(const Ulimit&) const = default;
};

// What the accepted flags set (HostConfig unless noted).
struct DockerRunOptions {
  std::vector<std::string> binds;              // -v/--volume: Binds
  int64_t memory = 0;                          // --memory/-m: Memory
  int64_t nano_cpus = 0;                       // --cpus: NanoCpus
  std::map<std::string, std::string> labels;   // --label/-l: Config.Labels
  std::string network;                         // --network/--net: NetworkMode
  std::vector<std::string> extra_hosts;        // --add-host: ExtraHosts
  std::vector<Ulimit> ulimits;                 // --ulimit: Ulimits
  int64_t shm_size = 0;                        // --shm-size: ShmSize
  std::vector<std::string> cap_add, cap_drop;  // --cap-add / --cap-drop
  std::vector<std::string> env;                // --env/-e: Config.Env (KEY=VALUE)
  bool operator==(const DockerRunOptions&) const = default;
};

// One stored docker-options entry.
struct DockerOption {
  std::string process_type;  // "_default_" or a process type (deploy only)
  std::string phase;         // build | deploy | run
  std::string option;        // as SplitDockerOptions made it
};

// Applies one stored option (as SplitDockerOptions made it) to *out.
Status ApplyDockerOption(std::string_view option, DockerRunOptions* out);

}  // namespace dokku
