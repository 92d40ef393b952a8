#include "cli/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/format.h"
#include "store/types.h"

namespace dokku {
namespace {

struct ReportRequest {
  std::string app;  // "" = every app
  std::string format = "stdout";
  std::vector<std::string> info_flags;
};

ReportRequest ParseReportArgs(const std::vector<std::string>& args) {
  ReportRequest req;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    // Dokku: "--format=json" is not the format but an (invalid) info flag.
    if (a == "--format" && i + 1 < args.size()) {
      req.format = args[++i];
    } else if (a == kGlobal) {
      req.app = kGlobal;
    } else if (a.rfind("--", 0) == 0) {
      req.info_flags.push_back(a);
    } else if (req.app.empty()) {
      req.app = a;
    }
  }
  return req;
}

std::string JsonKey(std::string_view flag, std::string_view plugin) {
  flag.remove_prefix(2);
  std::string prefix = std::string(plugin) + "-";
  if (flag.rfind(prefix, 0) == 0) flag.remove_prefix(prefix.size());
  return std::string(flag);
}

int Render(Context& ctx, const std::string& title, const ReportFlags& flags,
           const ReportLists& lists, const ReportRequest& req, const ReportStyle& style) {
  if (!req.info_flags.empty()) {
    auto it = flags.find(req.info_flags.front());
    if (it == flags.end()) {
      std::vector<std::string> names;
      for (const auto& [flag, value] : flags) names.push_back(flag);
      return ctx.Fail(fmt::format("Invalid flag passed, valid flags: {}", fmt::join(names, ", ")));
    }
    ctx.Raw(it->second);
    return kExitOk;
  }
  if (req.format == "json") {
    nlohmann::json obj = nlohmann::json::object();
    for (const auto& [flag, value] : flags) {
      std::string key = JsonKey(flag, style.plugin);
      obj[key] = value;
      if (style.legacy_keys && key != flag.substr(2)) obj[flag.substr(2)] = value;
    }
    for (const auto& [key, values] : lists) obj[key] = values;
    ctx.Raw(obj.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return kExitOk;
  }
  size_t width = 31;
  for (const auto& [flag, value] : flags) width = std::max(width, flag.size());
  ctx.Info2Quiet(title);
  for (const auto& [flag, value] : flags)
    ctx.Verbose(RightPad(ReportLabel(flag, style.capitalize_labels) + ":", width) + value);
  return kExitOk;
}

}  // namespace

std::string ReportLabel(std::string_view flag, bool capitalize) {
  std::string label(flag.substr(flag.rfind("--", 0) == 0 ? 2 : 0));
  std::replace(label.begin(), label.end(), '-', ' ');
  std::replace(label.begin(), label.end(), '.', ' ');
  if (capitalize && !label.empty() && label[0] >= 'a' && label[0] <= 'z')
    label[0] = label[0] - 'a' + 'A';
  return label;
}

int RunReport(Context& ctx, const std::vector<std::string>& args, const ReportStyle& style,
              const ReportBuilder& build) {
  ReportRequest req = ParseReportArgs(args);
  if (req.format != "stdout" && req.format != "json") {
    return ctx.Fail(fmt::format("Format must be \"stdout\" or \"json\": \"{}\"", req.format));
  }
  // Dokku's parser rejects a second info flag and the error is swallowed: nothing, exit 0.
  if (req.info_flags.size() > 1) {
    return style.multi_flag_error.empty() ? kExitOk : ctx.Fail(style.multi_flag_error);
  }
  if (req.format == "json" && !req.info_flags.empty()) {
    return ctx.Fail("--format flag cannot be specified when specifying an info flag");
  }
  if (!ctx.OpenStore()) return kExitError;
  std::vector<std::string> apps;
  if (req.app.empty()) {
    StatusOr<std::vector<App>> all = ctx.store().ListApps();
    if (!all.ok()) return ctx.FailStatus(all.status());
    if (all->empty()) {
      ctx.Warn("You haven't deployed any applications yet");
      return kExitOk;
    }
    for (const App& a : *all) apps.push_back(a.name);
  } else if (req.app != kGlobal) {
    if (int rc = VerifyApp(ctx, req.app)) return rc;
    apps.push_back(req.app);
  } else {
    apps.push_back(kGlobal);
  }
  for (const std::string& app : apps) {
    StatusOr<ReportFlags> flags = build(app);
    if (!flags.ok()) return ctx.FailStatus(flags.status());
    std::string title = app == kGlobal && !style.global_title.empty()
                            ? std::string(style.global_title)
                            : fmt::format("{} {} information", app, style.plugin);
    ReportLists lists;
    if (style.json_lists && req.format == "json") {
      StatusOr<ReportLists> got = style.json_lists(app);
      if (!got.ok()) return ctx.FailStatus(got.status());
      lists = *got;
    }
    if (int rc = Render(ctx, title, *flags, lists, req, style)) return rc;
  }
  return kExitOk;
}

}  // namespace dokku
