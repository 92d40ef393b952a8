// Store: apps:lock / apps:unlock, apps:clone and apps:rename.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <span>

#include "store/store.h"
#include "store/store_internal.h"
#include "store/validation.h"

namespace dokku {

using internal::Guard;

namespace {

// The settings apps:clone copies, as INSERT ... SELECT from ?1 (old app) into ?2 (new app).
constexpr const char* kCloneStatements[] = {
    "DELETE FROM formation WHERE app = ?2",
    "INSERT INTO formation (app, proctype, quantity) "
    "SELECT ?2, proctype, quantity FROM formation WHERE app = ?1",
    "INSERT INTO properties (plugin, app, key, value) "
    "SELECT plugin, ?2, key, value FROM properties WHERE app = ?1",
    "INSERT INTO config_vars (app, key, value) SELECT ?2, key, value FROM config_vars "
    "WHERE app = ?1",
    "INSERT INTO storage_mounts (app, host_path, container_path, options, phases, process_type, "
    "created_seq) SELECT ?2, host_path, container_path, options, phases, process_type, "
    "created_seq FROM storage_mounts WHERE app = ?1",
    "INSERT INTO resources (app, process_type, kind, key, value) "
    "SELECT ?2, process_type, kind, key, value FROM resources WHERE app = ?1",
    "INSERT INTO docker_options (app, process_type, phase, option) "
    "SELECT ?2, process_type, phase, option FROM docker_options WHERE app = ?1 ORDER BY id",
};

// What apps:rename copies on top of kCloneStatements: the release history (image refs renamed,
// the live release kept for rollbacks as superseded, rollback_of pointing at the copies) and a
// create tag operation for every image tag of the old app, so dokkud tags dokku/<new>:<tag>.
constexpr const char* kRenameStatements[] = {
    "INSERT INTO releases (app, number, tag, image_ref, image_id, procfile, checks, dokku_scale, "
    "proctypes, status, error, trigger, rollback_of, created_at, updated_at, exposed_ports, "
    "app_json, tasks) SELECT ?2, number, tag, 'dokku/' || ?2 || ':' || tag, image_id, procfile, "
    "checks, dokku_scale, proctypes, CASE status WHEN 'live' THEN 'superseded' ELSE status END, "
    "error, trigger, rollback_of, created_at, updated_at, exposed_ports, app_json, tasks "
    "FROM releases WHERE app = ?1 ORDER BY number",
    "UPDATE releases SET rollback_of = (SELECT n.id FROM releases n JOIN releases o "
    "ON o.number = n.number WHERE o.id = releases.rollback_of AND o.app = ?1 AND n.app = ?2) "
    "WHERE app = ?2 AND rollback_of IS NOT NULL",
    "INSERT INTO tag_ops (app, op, tag, image_id, created_at) "
    "SELECT ?2, 'create', tag, image_id, strftime('%s', 'now') FROM images WHERE app = ?1 "
    "ORDER BY tag",
};

void RunCopy(SQLite::Database& db, std::span<const char* const> statements,
             const std::string& old_app, const std::string& new_app) {
  for (const char* sql : statements) {
    SQLite::Statement q(db, sql);
    q.bind(1, old_app);
    q.bind(2, new_app);
    q.exec();
  }
}

}  // namespace

StatusOr<bool> Store::SetAppLocked(const std::string& app, bool locked) {
  StatusOr<App> a = GetApp(app);
  if (!a.ok()) return a.status();
  return Guard([&]() -> StatusOr<bool> {
    SQLite::Statement up(*db_, "UPDATE apps SET locked = ? WHERE name = ? AND deleting = 0");
    up.bind(1, locked ? 1 : 0);
    up.bind(2, app);
    up.exec();
    return a->locked;
  });
}

StatusOr<std::optional<Release>> Store::CloneApp(const std::string& old_app,
                                                 const std::string& new_app, bool deploy) {
  return CopyApp(old_app, new_app, deploy, /*rename=*/false);
}

StatusOr<std::optional<Release>> Store::RenameCopy(const std::string& old_app,
                                                   const std::string& new_app, bool deploy) {
  return CopyApp(old_app, new_app, deploy, /*rename=*/true);
}

StatusOr<std::optional<Release>> Store::CopyApp(const std::string& old_app,
                                                const std::string& new_app, bool deploy,
                                                bool rename) {
  StatusOr<App> old = GetApp(old_app);
  if (!old.ok()) return old.status();
  DOKKU_RETURN_IF_ERROR(ValidateNewAppName(new_app));
  return Guard([&]() -> StatusOr<std::optional<Release>> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    DOKKU_RETURN_IF_ERROR(InsertApp(new_app));
    RunCopy(*db_, kCloneStatements, old_app, new_app);
    if (rename) RunCopy(*db_, kRenameStatements, old_app, new_app);
    std::optional<Release> release;
    if (deploy && old->current_release) {
      SQLite::Statement q(
          *db_, fmt::format("SELECT {} FROM releases WHERE id = ?", internal::kReleaseColumns));
      q.bind(1, *old->current_release);
      if (q.executeStep()) {
        Release r = internal::ReadRelease(q);
        r.app = new_app;
        if (rename) r.image_ref = fmt::format("dokku/{}:{}", new_app, r.tag);
        r.status = "prepared";  // pinned to the old release's image id and files
        r.error.clear();
        r.tasks.clear();
        r.trigger = fmt::format("{} {}", rename ? "apps:rename" : "apps:clone", old_app);
        r.rollback_of.reset();
        r.created_at = r.updated_at = clock_->NowSeconds();
        release = internal::InsertRelease(*db_, r, actor_);
      }
    }
    BumpGeneration(new_app);
    tx.commit();
    return release;
  });
}

}  // namespace dokku
