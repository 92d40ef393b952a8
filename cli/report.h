// Dokku's `<plugin>:report [<app>|--global] [--format stdout|json] [<flag>]` rendering
// (ReportSingleApp): a header plus sorted, padded "Label: value" lines, one raw value for an
// info flag, or a JSON object of strings.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cli/context.h"
#include "store/status.h"

namespace dokku {

// Flag ("--ps-restart-policy") -> value.
using ReportFlags = std::map<std::string, std::string>;
// JSON key -> array of strings, for reports whose JSON has lists too (docker-options).
using ReportLists = std::map<std::string, std::vector<std::string>>;

struct ReportStyle {
  std::string_view plugin;   // "ps": JSON keys drop the "--ps-" prefix
  bool legacy_keys = false;  // ps also emits the prefixed keys ("ps-restart-policy")
  // Header for the global report; default "--global <plugin> information".
  std::string_view global_title;
  bool capitalize_labels = true;  // false for resource: "resource _default_ limit memory:"
  // Non-empty: two or more info flags fail with this message (instead of printing nothing).
  std::string_view multi_flag_error = {};
  // When set, its arrays join the JSON object under their own keys.
  std::function<StatusOr<ReportLists>(const std::string& app)> json_lists = nullptr;
};

using ReportBuilder = std::function<StatusOr<ReportFlags>(const std::string& app)>;

// Parses the arguments, resolves the app(s) (none given: every app), builds and prints each
// report. Returns the exit code.
int RunReport(Context& ctx, const std::vector<std::string>& args, const ReportStyle& style,
              const ReportBuilder& build);

// "--ps-computed-stop-timeout-seconds" -> "Ps computed stop timeout seconds" (with
// capitalize false: "ps computed stop timeout seconds").
std::string ReportLabel(std::string_view flag, bool capitalize = true);

}  // namespace dokku
