// Store: storage mounts, resource values and docker-options (schema/003_host_config.sql).
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <algorithm>

#include "store/store.h"
#include "store/store_internal.h"
#include "store/validation.h"

namespace dokku {

using internal::Guard;

namespace {

std::string JoinOptions(const std::vector<std::string>& options) {
  std::string out;
  for (const std::string& o : options) out += (out.empty() ? "" : ",") + o;
  return out;
}

Status ValidateScope(const std::string& process_type) {
  if (process_type == kDefaultProcessType) return Status::Ok();
  return ValidateProcessType(process_type);
}

Status ValidateKind(const std::string& kind) {
  if (kind == "limit" || kind == "reserve") return Status::Ok();
  return Status::InvalidArgument(fmt::format("Invalid resource kind {}", kind));
}

// `settings` after SetResources(process_type, kind, values) would apply.
std::vector<ResourceSetting> WithValues(
    std::vector<ResourceSetting> settings, const std::string& process_type, const std::string& kind,
    const std::vector<std::pair<std::string, std::string>>& values) {
  for (const auto& [key, value] : values) {
    std::erase_if(settings, [&](const ResourceSetting& s) {
      return s.process_type == process_type && s.kind == kind && s.key == key;
    });
    if (value != "clear") settings.push_back({process_type, kind, key, value});
  }
  return settings;
}

}  // namespace

StatusOr<int64_t> Store::AddStorageMount(const std::string& app, const StorageMount& mount,
                                         bool force) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  StatusOr<StorageMount> parsed = ParseMountSpec(mount.Spec());
  if (!parsed.ok()) return parsed.status();
  DOKKU_RETURN_IF_ERROR(ValidateScope(mount.process_type));
  if (mount.phases != "deploy,run") {
    return Status::InvalidArgument("Only the deploy,run phases are supported");
  }
  if (!force) DOKKU_RETURN_IF_ERROR(CheckHostPathAllowed(mount.host_path, DefaultStateDir()));
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement ins(*db_,
                          "INSERT INTO storage_mounts (app, host_path, container_path, options, "
                          "phases, process_type, created_seq) SELECT ?1, ?2, ?3, ?4, ?5, ?6, "
                          "COALESCE(MAX(created_seq), 0) + 1 FROM storage_mounts WHERE app = ?1 "
                          "ON CONFLICT DO NOTHING");
    ins.bind(1, app);
    ins.bind(2, mount.host_path);
    ins.bind(3, mount.container_path);
    ins.bind(4, JoinOptions(mount.options));
    ins.bind(5, mount.phases);
    ins.bind(6, mount.process_type);
    if (ins.exec() == 0) return Status::AlreadyExists("Mount path already exists.");
    int64_t gen = BumpGeneration(app);
    tx.commit();
    return gen;
  });
}

StatusOr<int64_t> Store::RemoveStorageMount(const std::string& app, const StorageMount& mount) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement del(*db_,
                          "DELETE FROM storage_mounts WHERE app = ? AND host_path = ? AND "
                          "container_path = ? AND process_type = ?");
    del.bind(1, app);
    del.bind(2, mount.host_path);
    del.bind(3, mount.container_path);
    del.bind(4, mount.process_type);
    if (del.exec() == 0) return Status::NotFound("Mount path does not exist.");
    int64_t gen = BumpGeneration(app);
    tx.commit();
    return gen;
  });
}

StatusOr<std::vector<StorageMount>> Store::ListStorageMounts(const std::string& app) {
  return Guard([&]() -> StatusOr<std::vector<StorageMount>> {
    SQLite::Statement q(*db_,
                        "SELECT host_path, container_path, options, phases, process_type "
                        "FROM storage_mounts WHERE app = ? ORDER BY created_seq");
    q.bind(1, app);
    std::vector<StorageMount> out;
    while (q.executeStep()) {
      StorageMount m;
      m.host_path = q.getColumn(0).getString();
      m.container_path = q.getColumn(1).getString();
      std::string options = q.getColumn(2).getString();
      size_t start = 0;
      while (start < options.size()) {
        size_t comma = options.find(',', start);
        if (comma == std::string::npos) comma = options.size();
        m.options.push_back(options.substr(start, comma - start));
        start = comma + 1;
      }
      m.phases = q.getColumn(3).getString();
      m.process_type = q.getColumn(4).getString();
      out.push_back(std::move(m));
    }
    return out;
  });
}

StatusOr<int64_t> Store::SetResources(
    const std::string& app, const std::string& process_type, const std::string& kind,
    const std::vector<std::pair<std::string, std::string>>& values) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  DOKKU_RETURN_IF_ERROR(ValidateScope(process_type));
  DOKKU_RETURN_IF_ERROR(ValidateKind(kind));
  for (const auto& [key, value] : values) DOKKU_RETURN_IF_ERROR(ValidateResourceValue(key, value));
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    StatusOr<std::vector<ResourceSetting>> current = ListResources(app);
    if (!current.ok()) return current.status();
    DOKKU_RETURN_IF_ERROR(
        ValidateEffectiveResources(WithValues(*current, process_type, kind, values)));
    for (const auto& [key, value] : values) {
      SQLite::Statement q(*db_, value == "clear"
                                    ? "DELETE FROM resources WHERE app = ?1 AND "
                                      "process_type = ?2 AND kind = ?3 AND key = ?4"
                                    : "INSERT INTO resources (app, process_type, kind, key, value) "
                                      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE SET "
                                      "value = excluded.value");
      q.bind(1, app);
      q.bind(2, process_type);
      q.bind(3, kind);
      q.bind(4, key);
      if (value != "clear") q.bind(5, value);
      q.exec();
    }
    int64_t gen = BumpGeneration(app);
    tx.commit();
    return gen;
  });
}

StatusOr<int64_t> Store::ClearResources(const std::string& app, const std::string& process_type,
                                        const std::string& kind) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  if (!process_type.empty()) DOKKU_RETURN_IF_ERROR(ValidateScope(process_type));
  DOKKU_RETURN_IF_ERROR(ValidateKind(kind));
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement del(*db_,
                          "DELETE FROM resources WHERE app = ?1 AND "
                          "(?2 = '' OR (process_type = ?2 AND kind = ?3))");
    del.bind(1, app);
    del.bind(2, process_type);
    del.bind(3, kind);
    del.exec();
    int64_t gen = BumpGeneration(app);
    tx.commit();
    return gen;
  });
}

StatusOr<std::vector<ResourceSetting>> Store::ListResources(const std::string& app) {
  return Guard([&]() -> StatusOr<std::vector<ResourceSetting>> {
    SQLite::Statement q(*db_,
                        "SELECT process_type, kind, key, value FROM resources WHERE app = ? "
                        "ORDER BY process_type, kind, key");
    q.bind(1, app);
    std::vector<ResourceSetting> out;
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                     q.getColumn(2).getString(), q.getColumn(3).getString()});
    }
    return out;
  });
}

}  // namespace dokku

namespace dokku {

namespace {

Status ValidateOptionScope(const std::vector<std::string>& phases,
                           const std::string& process_type) {
  for (const std::string& phase : phases) {
    const auto& all = DockerOptionPhases();
    if (std::find(all.begin(), all.end(), phase) == all.end()) {
      return Status::InvalidArgument("Phase(s) must be one of [build deploy run]");
    }
    if (process_type != kDefaultProcessType && phase != "deploy") {
      return Status::InvalidArgument(
          fmt::format("--process is only supported for the deploy phase, got \"{}\"", phase));
    }
  }
  return process_type == kDefaultProcessType ? Status::Ok() : ValidateProcessType(process_type);
}

// The words of a stored option, for Dokku's word-by-word comparison.
std::vector<std::string> Words(const std::string& option) {
  StatusOr<std::vector<std::string>> w = TokenizeShellWords(option);
  return w.ok() ? *w : std::vector<std::string>{option};
}

}  // namespace

StatusOr<int64_t> Store::AddDockerOptions(const std::string& app,
                                          const std::vector<std::string>& phases,
                                          const std::string& process_type,
                                          const std::vector<std::string>& options) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  DOKKU_RETURN_IF_ERROR(ValidateOptionScope(phases, process_type));
  if (phases.empty() || options.empty()) {
    return Status::InvalidArgument("Please specify docker options to add to the phase");
  }
  for (const std::string& o : options) {
    DockerRunOptions scratch;
    DOKKU_RETURN_IF_ERROR(ApplyDockerOption(o, &scratch));
  }
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    for (const std::string& phase : phases) {
      for (const std::string& o : options) {
        SQLite::Statement ins(*db_,
                              "INSERT INTO docker_options (app, process_type, phase, option) "
                              "VALUES (?, ?, ?, ?)");
        ins.bind(1, app);
        ins.bind(2, process_type);
        ins.bind(3, phase);
        ins.bind(4, o);
        ins.exec();
      }
    }
    int64_t gen = BumpGeneration(app);
    tx.commit();
    return gen;
  });
}

StatusOr<int64_t> Store::RemoveDockerOptions(const std::string& app,
                                             const std::vector<std::string>& phases,
                                             const std::string& process_type,
                                             const std::vector<std::string>& options) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  DOKKU_RETURN_IF_ERROR(ValidateOptionScope(phases, process_type));
  StatusOr<std::vector<DockerOption>> stored = ListDockerOptions(app);
  if (!stored.ok()) return stored.status();
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    for (const std::string& phase : phases) {
      for (const std::string& o : options) {
        for (const DockerOption& s : *stored) {
          if (s.phase != phase || s.process_type != process_type) continue;
          if (Words(s.option) != Words(o)) continue;
          SQLite::Statement del(*db_,
                                "DELETE FROM docker_options WHERE app = ? AND phase = ? AND "
                                "process_type = ? AND option = ?");
          del.bind(1, app);
          del.bind(2, phase);
          del.bind(3, process_type);
          del.bind(4, s.option);
          del.exec();
        }
      }
    }
    int64_t gen = BumpGeneration(app);
    tx.commit();
    return gen;
  });
}

StatusOr<int64_t> Store::ClearDockerOptions(const std::string& app,
                                            const std::vector<std::string>& phases,
                                            const std::string& process_type) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  if (!process_type.empty()) DOKKU_RETURN_IF_ERROR(ValidateOptionScope(phases, process_type));
  const std::vector<std::string>& which = phases.empty() ? DockerOptionPhases() : phases;
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    for (const std::string& phase : which) {
      SQLite::Statement del(*db_,
                            "DELETE FROM docker_options WHERE app = ?1 AND phase = ?2 AND "
                            "(?3 = '' OR process_type = ?3)");
      del.bind(1, app);
      del.bind(2, phase);
      del.bind(3, process_type);
      del.exec();
    }
    int64_t gen = BumpGeneration(app);
    tx.commit();
    return gen;
  });
}

StatusOr<std::vector<DockerOption>> Store::ListDockerOptions(const std::string& app) {
  return Guard([&]() -> StatusOr<std::vector<DockerOption>> {
    SQLite::Statement q(*db_,
                        "SELECT process_type, phase, option FROM docker_options WHERE app = ? "
                        "ORDER BY phase, process_type, option, id");
    q.bind(1, app);
    std::vector<DockerOption> out;
    while (q.executeStep()) {
      out.push_back(
          {q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString()});
    }
    return out;
  });
}

}  // namespace dokku
