#include "store/store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "store/migrations.h"
#include "store/store_internal.h"
#include "store/validation.h"

namespace dokku {

using internal::Guard;

namespace internal {

Status FromException(const std::exception& e) {
  if (auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
    int code = se->getErrorCode() & 0xff;
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
      return Status::Unavailable(std::string("state database busy: ") + e.what());
    }
  }
  return Status::Internal(std::string("state database: ") + e.what());
}

std::optional<int64_t> OptionalInt(SQLite::Statement& q, int col) {
  if (q.isColumnNull(col)) return std::nullopt;
  return q.getColumn(col).getInt64();
}

std::optional<std::string> OptionalText(SQLite::Statement& q, int col) {
  if (q.isColumnNull(col)) return std::nullopt;
  return q.getColumn(col).getString();
}

void BindOptional(SQLite::Statement& q, int index, const std::optional<int64_t>& v) {
  if (v) {
    q.bind(index, static_cast<int64_t>(*v));
  } else {
    q.bind(index);
  }
}

void BindOptional(SQLite::Statement& q, int index, const std::optional<std::string>& v) {
  if (v) {
    q.bind(index, *v);
  } else {
    q.bind(index);
  }
}

int BumpRestartGeneration(SQLite::Database& db, const std::string& app,
                          const std::string& proctype) {
  SQLite::Statement up(db,
                       "UPDATE formation SET restart_generation = restart_generation + 1, "
                       "held_quantity = NULL WHERE app = ?1 AND (?2 = '' OR proctype = ?2)");
  up.bind(1, app);
  up.bind(2, proctype);
  return up.exec();
}

}  // namespace internal

namespace {

const char kAppColumns[] =
    "name, created_at, desired_running, deleting, generation, observed_generation, "
    "rebuild_generation, desired_release, current_release, last_error, locked";

App ReadApp(SQLite::Statement& q) {
  App a;
  a.name = q.getColumn(0).getString();
  a.created_at = q.getColumn(1).getInt64();
  a.desired_running = q.getColumn(2).getInt() != 0;
  a.deleting = q.getColumn(3).getInt() != 0;
  a.generation = q.getColumn(4).getInt64();
  a.observed_generation = q.getColumn(5).getInt64();
  a.rebuild_generation = q.getColumn(6).getInt64();
  a.desired_release = internal::OptionalInt(q, 7);
  a.current_release = internal::OptionalInt(q, 8);
  a.last_error = q.getColumn(9).getString();
  a.locked = q.getColumn(10).getInt() != 0;
  return a;
}

// Creates the state directory (0700) if needed. Only the last component is created with 0700;
// parents get 0755 like mkdir -p.
Status MakeStateDir(std::string dir) {
  // "/var/lib/dokku/" must still give the last real component 0700.
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    mode_t mode = pos == dir.size() ? 0700 : 0755;
    if (mkdir(part.c_str(), mode) != 0 && errno != EEXIST) {
      return Status::Internal(fmt::format("cannot create {}: {}", part, std::strerror(errno)));
    }
  }
  return Status::Ok();
}

// The database files are private to the state dir's owner (0600), or shared with its group
// (0660) when dokkud has given the directory to the control group (02770). Only the owner
// changes a mode: a group member opening the database leaves it as it is. (Creating the file
// with open()+close() instead would drop this process's SQLite locks on it: POSIX locks die
// with any close of the file, and another process could then delete the live WAL.)
Status RestrictFiles(const std::string& path) {
  struct stat dir {};
  const std::string parent =
      path.substr(0, path.rfind('/') == std::string::npos ? 0 : path.rfind('/'));
  const bool shared =
      !parent.empty() && ::stat(parent.c_str(), &dir) == 0 && (dir.st_mode & 0070) != 0;
  const mode_t wanted = shared ? 0660 : 0600;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::string file = path + suffix;
    struct stat st {};
    if (::stat(file.c_str(), &st) != 0) continue;
    if (st.st_uid != ::geteuid() || (st.st_mode & 0777) == wanted) continue;
    if (::chmod(file.c_str(), wanted) != 0 && errno != ENOENT)
      return Status::Internal(fmt::format("cannot chmod {}: {}", file, std::strerror(errno)));
  }
  return Status::Ok();
}

}  // namespace

std::string DefaultStateDir() {
  const char* env = std::getenv("DOKKU_LIB_ROOT");
  return env && *env ? env : "/var/lib/dokku";
}

std::string DatabasePath(const std::string& state_dir) { return state_dir + "/dokku.db"; }

Store::Store(std::unique_ptr<SQLite::Database> db, const Clock* clock)
    : db_(std::move(db)), clock_(clock) {}

Store::~Store() = default;

StatusOr<std::unique_ptr<Store>> Store::OpenStateDir(const std::string& state_dir,
                                                     const Clock* clock) {
  DOKKU_RETURN_IF_ERROR(MakeStateDir(state_dir));
  return Open(DatabasePath(state_dir), clock);
}

StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& path, const Clock* clock) {
  StatusOr<std::unique_ptr<Store>> result = Guard([&]() -> StatusOr<std::unique_ptr<Store>> {
    auto db = std::make_unique<SQLite::Database>(
        path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOFOLLOW, 10000);
    if (path != ":memory:") {
      // Switching a new file to WAL needs a moment of exclusive access, and SQLite reports a
      // concurrent first open as busy without waiting for the busy timeout: retry briefly.
      for (int attempt = 0;; ++attempt) {
        try {
          db->exec("PRAGMA journal_mode=WAL");
          break;
        } catch (const SQLite::Exception& e) {
          int code = e.getErrorCode() & 0xff;
          if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) || attempt >= 200) throw;
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
      DOKKU_RETURN_IF_ERROR(RestrictFiles(path));
    }
    db->exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL");
    return std::unique_ptr<Store>(new Store(std::move(db), clock));
  });
  if (!result.ok()) return result;
  DOKKU_RETURN_IF_ERROR((*result)->Migrate());
  return result;
}

Status Store::Migrate() {
  return Guard([&]() -> Status {
    const auto& migrations = Migrations();
    const int latest = static_cast<int>(migrations.size());
    int version = db_->execAndGet("PRAGMA user_version").getInt();
    if (version > latest) {
      return Status::FailedPrecondition(fmt::format(
          "state database is at schema version {}, newer than this dokkud understands ({}); "
          "upgrade dokkud",
          version, latest));
    }
    while (version < latest) {
      SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
      // Another process may have migrated while we waited for the write lock.
      version = db_->execAndGet("PRAGMA user_version").getInt();
      if (version >= latest) break;
      db_->exec(migrations[version].sql);
      db_->exec(fmt::format("PRAGMA user_version={}", version + 1));
      tx.commit();
      ++version;
    }
    return Status::Ok();
  });
}

int Store::SchemaVersion() {
  StatusOr<int> v =
      Guard([&]() -> StatusOr<int> { return db_->execAndGet("PRAGMA user_version").getInt(); });
  return v.ok() ? *v : -1;
}

StatusOr<std::string> Store::StoreId() {
  return Guard([&]() -> StatusOr<std::string> {
    return db_->execAndGet("SELECT value FROM meta WHERE key = 'store_id'").getString();
  });
}

int64_t Store::BumpGeneration(const std::string& app) {
  SQLite::Statement up(*db_, "UPDATE apps SET generation = generation + 1 WHERE name = ?");
  up.bind(1, app);
  up.exec();
  SQLite::Statement ch(*db_, "INSERT INTO changes (app, time) VALUES (?, ?)");
  ch.bind(1, app);
  ch.bind(2, static_cast<int64_t>(clock_->NowMs()));
  ch.exec();
  // Keep the feed bounded; dokkud only needs the recent tail.
  int64_t seq = db_->getLastInsertRowid();
  if (seq % 1000 == 0) {
    SQLite::Statement prune(*db_, "DELETE FROM changes WHERE seq < ?");
    prune.bind(1, static_cast<int64_t>(seq - 10000));
    prune.exec();
  }
  SQLite::Statement get(*db_, "SELECT generation FROM apps WHERE name = ?");
  get.bind(1, app);
  return get.executeStep() ? get.getColumn(0).getInt64() : 0;
}

// ---- apps ----

Status Store::CreateApp(const std::string& app) {
  DOKKU_RETURN_IF_ERROR(ValidateNewAppName(app));
  return Guard([&]() -> Status {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    DOKKU_RETURN_IF_ERROR(InsertApp(app));
    tx.commit();
    return Status::Ok();
  });
}

Status Store::InsertApp(const std::string& app) {
  SQLite::Statement existing(*db_, "SELECT deleting, generation FROM apps WHERE name = ?");
  existing.bind(1, app);
  // The new row starts one past any earlier app of that name, so an observed_generation
  // written late by a pass over the old app can never claim the new app's changes as done.
  int64_t previous_generation = 0;
  if (existing.executeStep()) {
    if (existing.getColumn(0).getInt() == 0) {
      return Status::AlreadyExists("Name is already taken");
    }
    previous_generation = existing.getColumn(1).getInt64();
    // The old app is still being torn down by dokkud. Its containers carry release ids the
    // new app will never have, so the new app's first pass removes whatever is left.
    existing.reset();
    SQLite::Statement del(*db_, "DELETE FROM apps WHERE name = ?");
    del.bind(1, app);
    del.exec();
    for (const char* sql :
         {"DELETE FROM properties WHERE app = ?", "DELETE FROM config_vars WHERE app = ?"}) {
      SQLite::Statement q(*db_, sql);
      q.bind(1, app);
      q.exec();
    }
  }
  SQLite::Statement ins(*db_, "INSERT INTO apps (name, created_at, generation) VALUES (?, ?, ?)");
  ins.bind(1, app);
  ins.bind(2, static_cast<int64_t>(clock_->NowSeconds()));
  ins.bind(3, static_cast<int64_t>(previous_generation));  // BumpGeneration adds the 1
  ins.exec();
  SQLite::Statement web(*db_,
                        "INSERT INTO formation (app, proctype, quantity) VALUES (?, 'web', 1)");
  web.bind(1, app);
  web.exec();
  BumpGeneration(app);
  return Status::Ok();
}

StatusOr<int64_t> Store::DestroyApp(const std::string& app, bool* had_deployed) {
  DOKKU_RETURN_IF_ERROR(ValidateAppName(app));
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement up(*db_, "UPDATE apps SET deleting = 1 WHERE name = ? AND deleting = 0");
    up.bind(1, app);
    if (up.exec() == 0) return Status::NotFound(fmt::format("App {} does not exist", app));
    if (had_deployed != nullptr) {
      SQLite::Statement q(*db_,
                          "SELECT EXISTS (SELECT 1 FROM releases WHERE app = ?1) OR "
                          "EXISTS (SELECT 1 FROM containers WHERE app = ?1) OR "
                          "EXISTS (SELECT 1 FROM images WHERE app = ?1) OR "
                          "EXISTS (SELECT 1 FROM retirements WHERE app = ?1) OR "
                          "EXISTS (SELECT 1 FROM tag_ops WHERE app = ?1)");
      q.bind(1, app);
      *had_deployed = q.executeStep() && q.getColumn(0).getInt() != 0;
    }
    // Properties stay until PurgeApp: the teardown stops containers with the app's
    // stop-timeout-seconds.
    int64_t gen = BumpGeneration(app);
    tx.commit();
    return gen;
  });
}

StatusOr<App> Store::GetApp(const std::string& app) {
  DOKKU_RETURN_IF_ERROR(ValidateAppName(app));
  return Guard([&]() -> StatusOr<App> {
    SQLite::Statement q(
        *db_, fmt::format("SELECT {} FROM apps WHERE name = ? AND deleting = 0", kAppColumns));
    q.bind(1, app);
    if (!q.executeStep()) return Status::NotFound(fmt::format("App {} does not exist", app));
    return ReadApp(q);
  });
}

StatusOr<std::vector<App>> Store::ListApps(bool include_deleting) {
  return Guard([&]() -> StatusOr<std::vector<App>> {
    SQLite::Statement q(*db_, fmt::format("SELECT {} FROM apps {} ORDER BY name", kAppColumns,
                                          include_deleting ? "" : "WHERE deleting = 0"));
    std::vector<App> apps;
    while (q.executeStep()) apps.push_back(ReadApp(q));
    return apps;
  });
}

StatusOr<std::optional<App>> Store::FindApp(const std::string& app) {
  return Guard([&]() -> StatusOr<std::optional<App>> {
    SQLite::Statement q(*db_, fmt::format("SELECT {} FROM apps WHERE name = ?", kAppColumns));
    q.bind(1, app);
    if (!q.executeStep()) return std::optional<App>();
    return std::optional<App>(ReadApp(q));
  });
}

Status Store::RequireApp(const std::string& app) {
  StatusOr<App> a = GetApp(app);
  return a.ok() ? Status::Ok() : a.status();
}

Status Store::PurgeApp(const std::string& app) {
  return Guard([&]() -> Status {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement del(*db_, "DELETE FROM apps WHERE name = ? AND deleting = 1");
    del.bind(1, app);
    del.exec();
    // If the name was re-created (or never destroyed), the observed rows belong to a live app.
    SQLite::Statement live(*db_, "SELECT 1 FROM apps WHERE name = ?");
    live.bind(1, app);
    if (live.executeStep()) return Status::Ok();
    live.reset();
    for (const char* sql :
         {"DELETE FROM properties WHERE app = ?", "DELETE FROM config_vars WHERE app = ?",
          "DELETE FROM containers WHERE app = ?", "DELETE FROM images WHERE app = ?",
          "DELETE FROM events WHERE app = ?"}) {
      SQLite::Statement q(*db_, sql);
      q.bind(1, app);
      q.exec();
    }
    tx.commit();
    return Status::Ok();
  });
}

// ---- formation ----

StatusOr<std::vector<FormationEntry>> Store::GetFormation(const std::string& app) {
  return Guard([&]() -> StatusOr<std::vector<FormationEntry>> {
    SQLite::Statement q(*db_,
                        "SELECT proctype, quantity, restart_generation, held_quantity "
                        "FROM formation WHERE app = ? ORDER BY proctype");
    q.bind(1, app);
    std::vector<FormationEntry> out;
    while (q.executeStep()) {
      FormationEntry e;
      e.proctype = q.getColumn(0).getString();
      e.quantity = q.getColumn(1).getInt();
      e.restart_generation = q.getColumn(2).getInt64();
      if (!q.isColumnNull(3)) e.held_quantity = q.getColumn(3).getInt();
      out.push_back(e);
    }
    return out;
  });
}

StatusOr<int64_t> Store::Restart(const std::string& app, const std::string& proctype) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  if (!proctype.empty()) DOKKU_RETURN_IF_ERROR(ValidateProcessType(proctype));
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    if (internal::BumpRestartGeneration(*db_, app, proctype) == 0 && !proctype.empty()) {
      return Status::InvalidArgument(
          fmt::format("Invalid process type specified ({}.{})", app, proctype));
    }
    int64_t gen = BumpGeneration(app);
    tx.commit();
    return gen;
  });
}

StatusOr<int64_t> Store::SetRunning(const std::string& app, bool running) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement up(*db_, "UPDATE apps SET desired_running = ? WHERE name = ?");
    up.bind(1, running ? 1 : 0);
    up.bind(2, app);
    up.exec();
    SQLite::Statement prop(*db_,
                           "INSERT INTO properties (plugin, app, key, value) "
                           "VALUES ('ps', ?, 'restore', ?) ON CONFLICT DO UPDATE SET "
                           "value = excluded.value");
    prop.bind(1, app);
    prop.bind(2, running ? "true" : "false");
    prop.exec();
    int64_t gen = BumpGeneration(app);
    tx.commit();
    return gen;
  });
}

}  // namespace dokku
