// Pure decisions behind `logs`, `enter` and `ps:inspect`: Dokku's log line prefix, ordering log
// lines from several containers by their timestamps, picking the container `enter` means, and
// the env masking of ps:inspect.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/status.h"

namespace dokku {

// Dokku's colours for the containers of one `logs` call, cycled by container position.
int LogColour(size_t container_index);

// One Docker log line "<RFC 3339 timestamp> <text>" as `dokku logs` prints it: quiet gives
// the text alone; otherwise "ESC[<colour>m<timestamp> app[<dyno>]:ESC[0m <text>". A line
// without a timestamp is printed as it is.
std::string FormatLogLine(std::string_view line, std::string_view dyno, int colour, bool quiet);

// A sort key for the line's timestamp (fraction padded to 9 digits); "" without one.
std::string TimestampKey(std::string_view line);

// Lines of several containers (each already in order), merged by timestamp; ties keep the
// containers' order. Each input line is (container position, line).
struct TaggedLine {
  size_t container = 0;
  std::string line;
};
std::vector<TaggedLine> MergeByTimestamp(
    const std::vector<std::vector<std::string>>& per_container);

// A running or stopped container `enter` may choose.
struct EnterCandidate {
  std::string id;
  std::string proctype;
  int index = 0;
  bool running = false;
};

// Dokku's choice of container: `target` is "", "<type>" or "<type>.<n>"; `container_id` a
// prefix of an id. Candidates are in (type, index) order. Errors carry Dokku's lines, joined by
// '\n', as an InvalidArgument.
StatusOr<EnterCandidate> PickEnterTarget(const std::vector<EnterCandidate>& candidates,
                                         const std::string& app, const std::string& target,
                                         const std::string& container_id);

// ps:inspect's masking: every Config.Env entry not starting with one of Dokku's kept prefixes
// (CACHE_PATH=, DOCKER_, DOKKU_, DYNO=, PATH=, PORT=, USER=) becomes KEY=XXXXXX. `containers`
// is a JSON array of inspect documents; the result is printed as Dokku's Python does (sorted
// keys, 4-space indent, non-ASCII escaped). InvalidArgument on input that is not such an array.
StatusOr<std::string> SanitizeInspect(const std::string& containers);

// Docker's COMMAND column: path and arguments joined by spaces, in double quotes with '"' and
// '\\' escaped.
std::string QuotedCommand(const std::string& path, const std::vector<std::string>& args);

}  // namespace dokku
