// Store: formation (ps:scale) and properties (ps:set, checks:*, domains:*).
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <algorithm>
#include <regex>
#include <set>

#include "store/parse_int.h"
#include "store/schedulers.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "store/validation.h"

namespace dokku {

using internal::Guard;

namespace {

struct PropertyRule {
  const char* plugin;
  const char* key;
  bool app_scope;
  bool global_scope;
  Status (*validate)(const std::string&);
};

Status ValidateBool(const std::string& v) {
  if (v == "true" || v == "false") return Status::Ok();
  return Status::InvalidArgument(fmt::format("Invalid value '{}': expected true or false", v));
}

Status ValidateProcfilePath(const std::string& v) {
  bool ok = v.size() <= 255;
  for (char c : v) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
                c == '/');
  }
  std::string padded = "/" + v + "/";
  // Relative to the image's working directory only: an absolute path is refused rather than
  // quietly reinterpreted.
  if (!ok || v.front() == '/' || padded.find("/../") != std::string::npos ||
      padded.find("/./") != std::string::npos) {
    return Status::InvalidArgument(fmt::format(
        "Invalid procfile-path '{}': use a relative path of letters, digits, '.', '_', '-' and '/'",
        v));
  }
  return Status::Ok();
}

Status ValidateStopTimeout(const std::string& v) { return ValidateSeconds(v, 3600); }
Status ValidateWaitToRetire(const std::string& v) { return ValidateSeconds(v, 86400); }
Status ValidateDefaultWait(const std::string& v) { return ValidateSeconds(v, 3600); }
Status ValidateMaxParallel(const std::string& v) {
  if (ParseInt(v, 1, 1000)) return Status::Ok();
  return Status::InvalidArgument(
      "Invalid max-parallel value specified, must be an integer from 1 to 1000");
}
// scheduler:set constraints: Swarm placement constraints, comma-separated, each
// `<attribute> ==|!= <value>` over the node attributes Swarm knows.
Status ValidateConstraints(const std::string& v) {
  static const std::regex kConstraint(
      "(node\\.(id|hostname|role|platform\\.os|platform\\.arch)|(node|engine)\\.labels\\.[A-Za-z0-"
      "9_.-]+)"
      " *(==|!=) *[A-Za-z0-9_.:/-]+");
  size_t count = 0;
  for (const std::string& c : SplitCommaList(v)) {
    if (!std::regex_match(c, kConstraint)) {
      return Status::InvalidArgument(fmt::format(
          "Invalid constraint '{}': expected <attribute>==<value> or <attribute>!=<value> over "
          "node.id, node.hostname, node.role, node.platform.os, node.platform.arch, "
          "node.labels.<key> or engine.labels.<key>",
          c));
    }
    if (++count > 20) return Status::InvalidArgument("constraints takes at most 20 entries");
  }
  return Status::Ok();
}
Status ValidateMaxReplicasPerNode(const std::string& v) {
  if (ParseInt(v, 0, 1000)) return Status::Ok();
  return Status::InvalidArgument(
      "Invalid max-replicas-per-node value specified, must be an integer from 0 to 1000");
}
Status ValidateScheduler(const std::string& v) {
  if (IsKnownScheduler(v)) return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("Invalid scheduler '{}': valid schedulers are {}", v, SchedulerNameList()));
}

// Free text (a start command, a deploy source): one line of at most 4096 bytes.
Status ValidateLine(const std::string& v) {
  bool ok = v.size() <= 4096;
  for (char c : v) ok = ok && c != '\0' && c != '\n' && c != '\r';
  if (ok) return Status::Ok();
  return Status::InvalidArgument("Invalid value: expected one line of at most 4096 bytes");
}

// domains:add's list: comma-separated domains, each optionally "*."-prefixed.
Status ValidateDomainList(const std::string& v) {
  size_t start = 0, count = 0;
  while (start < v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    std::string d = v.substr(start, comma - start);
    if (d.rfind("*.", 0) == 0) d = d.substr(2);
    DOKKU_RETURN_IF_ERROR(ValidateDomain(d));
    if (++count > 100) return Status::InvalidArgument("An app takes at most 100 domains");
    start = comma + 1;
  }
  return Status::Ok();
}

// registry:set server: a registry host, optionally with a port and a path prefix; Docker Hub's
// names are accepted (they mean "no server prefix").
Status ValidateRegistryServer(const std::string& v) {
  static const std::regex kServer(
      "[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[a-z0-9._-]+)*/?");
  if (v.size() <= 255 && std::regex_match(v, kServer)) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "Invalid registry server '{}': expected host[:port][/path], e.g. registry.example.com:5000",
      v));
}

// registry:set image-repo: a repository path as Docker names them (lowercase components).
Status ValidateImageRepo(const std::string& v) {
  static const std::regex kRepo("[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*");
  if (v.size() <= 255 && std::regex_match(v, kRepo)) return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("Invalid image repo '{}': expected lowercase path components, e.g. team/app", v));
}

Status ValidateTagList(const std::string& v) {
  size_t count = 0;
  for (const std::string& tag : SplitCommaList(v)) {
    DOKKU_RETURN_IF_ERROR(ValidateTag(tag));
    if (++count > 20) return Status::InvalidArgument("push-extra-tags takes at most 20 tags");
  }
  return Status::Ok();
}

const PropertyRule kRules[] = {
    {"apps", "deploy-source", true, false, ValidateLine},
    {"apps", "deploy-source-metadata", true, false, ValidateLine},
    {"apps", "disable-autocreation", false, true, ValidateLine},
    {"ps", "dockerfile-start-cmd", true, false, ValidateLine},
    {"ps", "max-parallel", true, true, ValidateMaxParallel},
    {"ps", "procfile-path", true, true, ValidateProcfilePath},
    {"ps", "restart-policy", true, true, ValidateRestartPolicy},
    {"ps", "restore", true, false, ValidateBool},
    {"ps", "skip-deploy", true, true, ValidateBool},
    {"ps", "start-cmd", true, false, ValidateLine},
    {"ps", "stop-timeout-seconds", true, true, ValidateStopTimeout},
    {"checks", "wait-to-retire", true, true, ValidateWaitToRetire},
    {"checks", "default-wait", false, true, ValidateDefaultWait},
    {"domains", "vhost", false, true, ValidateDomain},
    {"domains", "vhosts", true, false, ValidateDomainList},
    {"scheduler", "selected", true, true, ValidateScheduler},
    {"scheduler", "constraints", true, true, ValidateConstraints},
    {"scheduler", "max-replicas-per-node", true, true, ValidateMaxReplicasPerNode},
    {"registry", "image-repo", true, false, ValidateImageRepo},
    {"registry", "push-extra-tags", true, true, ValidateTagList},
    {"registry", "push-on-release", true, true, ValidateBool},
    {"registry", "server", true, true, ValidateRegistryServer},
};

StatusOr<const PropertyRule*> FindRule(const std::string& plugin, const std::string& key) {
  std::vector<std::string> valid;
  for (const PropertyRule& r : kRules) {
    if (plugin != r.plugin) continue;
    if (key == r.key) return &r;
    valid.push_back(r.key);
  }
  if (valid.empty()) return Status::InvalidArgument(fmt::format("Unknown plugin {}", plugin));
  std::string list;
  for (const std::string& k : valid) list += (list.empty() ? "" : ", ") + k;
  return Status::InvalidArgument(
      fmt::format("Invalid property specified, valid properties include: {}", list));
}

}  // namespace

StatusOr<std::optional<Release>> Store::GoverningRelease(const App& app) {
  for (const auto& id : {app.desired_release, app.current_release}) {
    if (!id) continue;
    StatusOr<Release> r = GetRelease(*id);
    if (!r.ok()) return r.status();
    if (r->status != "pending") return std::optional<Release>(*r);
  }
  return std::optional<Release>();
}

StatusOr<int64_t> Store::SetScale(const std::string& app,
                                  const std::vector<std::pair<std::string, int>>& counts,
                                  bool skip_deploy) {
  StatusOr<App> a = GetApp(app);
  if (!a.ok()) return a.status();
  std::vector<std::pair<std::string, int>> unique;
  for (const auto& [proc, count] : counts) {
    DOKKU_RETURN_IF_ERROR(ValidateProcessType(proc));
    if (count < 0 || count > 1000) {
      return Status::InvalidArgument(fmt::format("Invalid count for process type {}", proc));
    }
    bool seen =
        std::any_of(unique.begin(), unique.end(), [&](const auto& u) { return u.first == proc; });
    if (!seen) unique.emplace_back(proc, count);  // Dokku: the first of duplicates wins
  }
  StatusOr<std::optional<Release>> governing_or = GoverningRelease(*a);
  if (!governing_or.ok()) return governing_or.status();
  const std::optional<Release>& governing = *governing_or;
  if (governing && governing->dokku_scale) {
    return Status::FailedPrecondition(
        fmt::format("App {} contains DOKKU_SCALE file and cannot be manually scaled", app));
  }
  if (governing && governing->proctypes) {
    const auto& types = *governing->proctypes;
    for (const auto& [proc, count] : unique) {
      if (count != 0 && std::find(types.begin(), types.end(), proc) == types.end()) {
        return Status::InvalidArgument(
            fmt::format("{} is not a valid process name to scale up", proc));
      }
    }
  }
  const bool deployed = a->current_release.has_value();
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    for (const auto& [proc, count] : unique) {
      // --skip-deploy on a deployed app: remember what runs now so dokkud leaves it alone.
      const char* sql =
          skip_deploy && deployed
              ? "INSERT INTO formation (app, proctype, quantity, held_quantity) VALUES (?1, ?2, "
                "?3, 0) "
                "ON CONFLICT DO UPDATE SET held_quantity = COALESCE(held_quantity, quantity), "
                "quantity = excluded.quantity"
              : "INSERT INTO formation (app, proctype, quantity) VALUES (?1, ?2, ?3) "
                "ON CONFLICT DO UPDATE SET quantity = excluded.quantity, held_quantity = NULL";
      SQLite::Statement up(*db_, sql);
      up.bind(1, app);
      up.bind(2, proc);
      up.bind(3, count);
      up.exec();
    }
    int64_t gen = BumpGeneration(app);
    tx.commit();
    return gen;
  });
}

StatusOr<int64_t> Store::SetProperty(const std::string& plugin, const std::string& app,
                                     const std::string& key, const std::string& value) {
  const bool global = app == kGlobal;
  if (!global) DOKKU_RETURN_IF_ERROR(RequireApp(app));
  if (key.empty()) return Status::InvalidArgument("No property specified");
  StatusOr<const PropertyRule*> rule = FindRule(plugin, key);
  if (!rule.ok()) return rule.status();
  if (global && !(*rule)->global_scope) {
    return Status::InvalidArgument("Property cannot be specified globally");
  }
  if (!global && !(*rule)->app_scope) {
    return Status::InvalidArgument("Property can only be specified globally");
  }
  if (!value.empty()) DOKKU_RETURN_IF_ERROR((*rule)->validate(value));
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    if (value.empty()) {
      SQLite::Statement del(*db_,
                            "DELETE FROM properties WHERE plugin = ? AND app = ? AND key = ?");
      del.bind(1, plugin);
      del.bind(2, app);
      del.bind(3, key);
      del.exec();
    } else {
      SQLite::Statement up(*db_,
                           "INSERT INTO properties (plugin, app, key, value) VALUES (?, ?, ?, ?) "
                           "ON CONFLICT DO UPDATE SET value = excluded.value");
      up.bind(1, plugin);
      up.bind(2, app);
      up.bind(3, key);
      up.bind(4, value);
      up.exec();
    }
    int64_t gen = 0;
    if (global) {
      // A global value can change every app (domains, defaults): let dokkud look at all of them.
      SQLite::Statement apps(*db_, "SELECT name FROM apps WHERE deleting = 0");
      std::vector<std::string> names;
      while (apps.executeStep()) names.push_back(apps.getColumn(0).getString());
      for (const std::string& n : names) BumpGeneration(n);
    } else {
      gen = BumpGeneration(app);
    }
    tx.commit();
    return gen;
  });
}

StatusOr<std::string> Store::GetProperty(const std::string& plugin, const std::string& app,
                                         const std::string& key) {
  return Guard([&]() -> StatusOr<std::string> {
    SQLite::Statement q(*db_,
                        "SELECT value FROM properties WHERE plugin = ? AND app = ? AND key = ?");
    q.bind(1, plugin);
    q.bind(2, app);
    q.bind(3, key);
    return q.executeStep() ? q.getColumn(0).getString() : std::string();
  });
}

StatusOr<std::string> Store::ComputedProperty(const std::string& plugin, const std::string& app,
                                              const std::string& key, const std::string& fallback) {
  StatusOr<std::string> v = GetProperty(plugin, app, key);
  if (!v.ok() || !v->empty()) return v;
  v = GetProperty(plugin, kGlobal, key);
  if (!v.ok() || !v->empty()) return v;
  return fallback;
}

StatusOr<RegistrySettings> Store::RegistrySettingsOf(const std::string& app) {
  StatusOr<std::map<std::string, std::string>> own = GetProperties("registry", app);
  if (!own.ok()) return own.status();
  StatusOr<std::map<std::string, std::string>> global = GetProperties("registry", kGlobal);
  if (!global.ok()) return global.status();
  StatusOr<std::string> scheduler =
      ComputedProperty("scheduler", app, "selected", std::string(kDefaultScheduler));
  if (!scheduler.ok()) return scheduler.status();
  auto at = [](const std::map<std::string, std::string>& m, const char* key) {
    auto it = m.find(key);
    return it == m.end() ? std::string() : it->second;
  };
  RegistrySettings s;
  s.app = app;
  s.scheduler = *scheduler;
  s.server = at(*own, "server");
  s.global_server = at(*global, "server");
  s.image_repo = at(*own, "image-repo");
  s.push_on_release = at(*own, "push-on-release");
  s.global_push_on_release = at(*global, "push-on-release");
  s.push_extra_tags = at(*own, "push-extra-tags");
  s.global_push_extra_tags = at(*global, "push-extra-tags");
  return s;
}

StatusOr<std::map<std::string, std::string>> Store::GetProperties(const std::string& plugin,
                                                                  const std::string& app) {
  return Guard([&]() -> StatusOr<std::map<std::string, std::string>> {
    SQLite::Statement q(*db_, "SELECT key, value FROM properties WHERE plugin = ? AND app = ?");
    q.bind(1, plugin);
    q.bind(2, app);
    std::map<std::string, std::string> out;
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
    return out;
  });
}

StatusOr<int64_t> Store::SetChecksMode(const std::string& app, const std::string& kind,
                                       const std::vector<std::string>& proctypes) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  if (kind != "disable" && kind != "enable" && kind != "skip") {
    return Status::InvalidArgument(fmt::format("Unknown checks mode {}", kind));
  }
  for (const std::string& p : proctypes) DOKKU_RETURN_IF_ERROR(ValidateProcessType(p));
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    auto load = [&](const char* key) {
      SQLite::Statement q(*db_,
                          "SELECT value FROM properties WHERE plugin = 'checks' AND app = ? AND "
                          "key = ?");
      q.bind(1, app);
      q.bind(2, key);
      return q.executeStep() ? SplitCommaList(q.getColumn(0).getString())
                             : std::vector<std::string>{};
    };
    auto save = [&](const char* key, const std::vector<std::string>& list) {
      SQLite::Statement del(
          *db_, "DELETE FROM properties WHERE plugin = 'checks' AND app = ? AND key = ?");
      del.bind(1, app);
      del.bind(2, key);
      del.exec();
      if (list.empty()) return;
      SQLite::Statement ins(*db_,
                            "INSERT INTO properties (plugin, app, key, value) "
                            "VALUES ('checks', ?, ?, ?)");
      ins.bind(1, app);
      ins.bind(2, key);
      ins.bind(3, JoinCommaList(list));
      ins.exec();
    };
    std::vector<std::string> disabled = load("disabled"), skipped = load("skipped");
    auto erase = [](std::vector<std::string>& v, const std::string& s) {
      v.erase(std::remove(v.begin(), v.end(), s), v.end());
    };
    if (proctypes.empty()) {
      disabled.clear();
      skipped.clear();
      if (kind == "disable") disabled = {"_all_"};
      if (kind == "skip") skipped = {"_all_"};
    } else {
      // Dokku appends a type only if absent, so the lists keep their insertion order.
      auto append = [](std::vector<std::string>& v, const std::string& s) {
        if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(s);
      };
      for (const std::string& p : proctypes) {
        if (kind == "disable") {
          append(disabled, p);
          erase(skipped, p);
        } else if (kind == "skip") {
          append(skipped, p);
          erase(disabled, p);
        } else {
          erase(disabled, p);
          erase(skipped, p);
        }
      }
      // Naming types replaces a blanket setting of the same kind, as Dokku does.
      if (kind == "disable") erase(disabled, "_all_");
      if (kind == "skip") erase(skipped, "_all_");
    }
    save("disabled", disabled);
    save("skipped", skipped);
    int64_t gen = BumpGeneration(app);
    tx.commit();
    return gen;
  });
}

}  // namespace dokku
