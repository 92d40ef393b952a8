// Store: observed state written by dokkud (containers, generation outcome, retirements), the
// event log, the change feed and the daemon heartbeat.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <algorithm>

#include "store/store.h"
#include "store/store_internal.h"

namespace dokku {

using internal::Guard;

Status Store::ReplaceContainers(const std::string& app, const std::vector<ObservedContainer>& cs) {
  return Guard([&]() -> Status {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement del(*db_, "DELETE FROM containers WHERE app = ?");
    del.bind(1, app);
    del.exec();
    SQLite::Statement ins(
        *db_,
        "INSERT OR REPLACE INTO containers (id, app, name, proctype, idx, "
        "release_id, state, role, ip, port, host_port, restart_count, "
        "started_at, image_id, updated_at, node) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    for (const ObservedContainer& c : cs) {
      ins.bind(1, c.id);
      ins.bind(2, app);
      ins.bind(3, c.name);
      ins.bind(4, c.proctype);
      ins.bind(5, c.index);
      internal::BindOptional(ins, 6, c.release_id);
      ins.bind(7, c.state);
      ins.bind(8, c.role);
      ins.bind(9, c.ip);
      ins.bind(10, c.port);
      ins.bind(11, c.host_port);
      ins.bind(12, c.restart_count);
      ins.bind(13, static_cast<int64_t>(c.started_at));
      ins.bind(14, c.image_id);
      ins.bind(15, static_cast<int64_t>(clock_->NowMs()));
      ins.bind(16, c.node);
      ins.exec();
      ins.reset();
    }
    tx.commit();
    return Status::Ok();
  });
}

StatusOr<std::vector<ObservedContainer>> Store::ListContainers(const std::string& app) {
  return Guard([&]() -> StatusOr<std::vector<ObservedContainer>> {
    SQLite::Statement q(*db_,
                        "SELECT id, app, name, proctype, idx, release_id, state, role, ip, port, "
                        "host_port, restart_count, started_at, image_id, updated_at, node "
                        "FROM containers WHERE app = ? ORDER BY proctype, idx, role");
    q.bind(1, app);
    std::vector<ObservedContainer> out;
    while (q.executeStep()) {
      ObservedContainer c;
      c.id = q.getColumn(0).getString();
      c.app = q.getColumn(1).getString();
      c.name = q.getColumn(2).getString();
      c.proctype = q.getColumn(3).getString();
      c.index = q.getColumn(4).getInt();
      c.release_id = internal::OptionalInt(q, 5);
      c.state = q.getColumn(6).getString();
      c.role = q.getColumn(7).getString();
      c.ip = q.getColumn(8).getString();
      c.port = q.getColumn(9).getInt();
      c.host_port = q.getColumn(10).getInt();
      c.restart_count = q.getColumn(11).getInt();
      c.started_at = q.getColumn(12).getInt64();
      c.image_id = q.getColumn(13).getString();
      c.updated_at = q.getColumn(14).getInt64();
      c.node = q.getColumn(15).getString();
      out.push_back(std::move(c));
    }
    return out;
  });
}

Status Store::SetObserved(const std::string& app, int64_t generation, const std::string& error) {
  return Guard([&]() -> Status {
    SQLite::Statement q(*db_,
                        // A later pass at the same generation (a self-heal, say) must not
                        // erase the failure the CLI is about to report.
                        "UPDATE apps SET last_error = CASE WHEN ?1 > observed_generation THEN ?2 "
                        "WHEN ?2 != '' THEN ?2 ELSE last_error END, observed_generation = ?1 "
                        "WHERE name = ?3 AND observed_generation <= ?1");
    q.bind(1, static_cast<int64_t>(generation));
    q.bind(2, error);
    q.bind(3, app);
    q.exec();
    return Status::Ok();
  });
}

Status Store::SetCurrentRelease(const std::string& app, std::optional<int64_t> release_id) {
  return Guard([&]() -> Status {
    SQLite::Statement q(*db_, "UPDATE apps SET current_release = ? WHERE name = ?");
    internal::BindOptional(q, 1, release_id);
    q.bind(2, app);
    q.exec();
    return Status::Ok();
  });
}

Status Store::SetDesiredRelease(const std::string& app, std::optional<int64_t> release_id) {
  return Guard([&]() -> Status {
    SQLite::Statement q(*db_, "UPDATE apps SET desired_release = ? WHERE name = ?");
    internal::BindOptional(q, 1, release_id);
    q.bind(2, app);
    q.exec();
    return Status::Ok();
  });
}

Status Store::MergeDeployFormation(
    const std::string& app, const std::optional<std::vector<std::string>>& proctypes,
    const std::optional<std::vector<std::pair<std::string, int>>>& dokku_scale,
    const std::vector<std::pair<std::string, int>>& listed) {
  return Guard([&]() -> Status {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    auto upsert = [&](const std::string& proc, int quantity, bool overwrite) {
      SQLite::Statement q(
          *db_, overwrite ? "INSERT INTO formation (app, proctype, quantity) VALUES (?, ?, ?) "
                            "ON CONFLICT DO UPDATE SET quantity = excluded.quantity, "
                            "held_quantity = NULL"
                          : "INSERT OR IGNORE INTO formation (app, proctype, quantity) "
                            "VALUES (?, ?, ?)");
      q.bind(1, app);
      q.bind(2, proc);
      q.bind(3, quantity);
      q.exec();
    };
    if (dokku_scale) {
      SQLite::Statement zero(
          *db_, "UPDATE formation SET quantity = 0, held_quantity = NULL WHERE app = ?");
      zero.bind(1, app);
      zero.exec();
      for (const auto& [proc, count] : *dokku_scale) upsert(proc, count, true);
    }
    if (proctypes) {
      for (const std::string& proc : *proctypes) upsert(proc, 0, false);
      SQLite::Statement rows(*db_, "SELECT proctype FROM formation WHERE app = ? AND quantity = 0");
      rows.bind(1, app);
      std::vector<std::string> zero_types;
      while (rows.executeStep()) zero_types.push_back(rows.getColumn(0).getString());
      for (const std::string& proc : zero_types) {
        if (std::find(proctypes->begin(), proctypes->end(), proc) != proctypes->end()) continue;
        SQLite::Statement del(*db_, "DELETE FROM formation WHERE app = ? AND proctype = ?");
        del.bind(1, app);
        del.bind(2, proc);
        del.exec();
      }
    }
    for (const auto& [proc, count] : listed) upsert(proc, count, true);
    tx.commit();
    return Status::Ok();
  });
}

Status Store::AddRetirement(const std::string& container_id, const std::string& app,
                            int64_t retire_at_ms) {
  return Guard([&]() -> Status {
    SQLite::Statement q(*db_,
                        "INSERT OR IGNORE INTO retirements (container_id, app, retire_at, "
                        "created_at) VALUES (?, ?, ?, ?)");
    q.bind(1, container_id);
    q.bind(2, app);
    q.bind(3, static_cast<int64_t>(retire_at_ms));
    q.bind(4, static_cast<int64_t>(clock_->NowMs()));
    q.exec();
    return Status::Ok();
  });
}

Status Store::RemoveRetirement(const std::string& container_id) {
  return Guard([&]() -> Status {
    SQLite::Statement q(*db_, "DELETE FROM retirements WHERE container_id = ?");
    q.bind(1, container_id);
    q.exec();
    return Status::Ok();
  });
}

StatusOr<std::vector<Retirement>> Store::ListRetirements() {
  return Guard([&]() -> StatusOr<std::vector<Retirement>> {
    SQLite::Statement q(*db_,
                        "SELECT container_id, app, retire_at, created_at FROM retirements "
                        "ORDER BY retire_at");
    std::vector<Retirement> out;
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                     q.getColumn(2).getInt64(), q.getColumn(3).getInt64()});
    }
    return out;
  });
}

Status Store::AppendEvent(const std::string& app, const std::string& level,
                          const std::string& text) {
  return Guard([&]() -> Status {
    SQLite::Statement q(*db_, "INSERT INTO events (app, time, level, text) VALUES (?, ?, ?, ?)");
    q.bind(1, app);
    q.bind(2, static_cast<int64_t>(clock_->NowMs()));
    q.bind(3, level);
    q.bind(4, text);
    q.exec();
    // Keep the log bounded: the CLI only ever tails recent events.
    int64_t id = db_->getLastInsertRowid();
    if (id % 500 == 0) {
      SQLite::Statement prune(*db_, "DELETE FROM events WHERE id < ?");
      prune.bind(1, static_cast<int64_t>(id - 50000));
      prune.exec();
    }
    return Status::Ok();
  });
}

StatusOr<std::vector<Event>> Store::EventsAfter(const std::string& app, int64_t after_id) {
  return Guard([&]() -> StatusOr<std::vector<Event>> {
    SQLite::Statement q(*db_,
                        "SELECT id, app, time, level, text FROM events WHERE app = ? AND id > ? "
                        "ORDER BY id");
    q.bind(1, app);
    q.bind(2, static_cast<int64_t>(after_id));
    std::vector<Event> out;
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(),
                     q.getColumn(2).getInt64(), q.getColumn(3).getString(),
                     q.getColumn(4).getString()});
    }
    return out;
  });
}

StatusOr<int64_t> Store::LastEventId() {
  return Guard([&]() -> StatusOr<int64_t> {
    return db_->execAndGet("SELECT COALESCE(MAX(id), 0) FROM events").getInt64();
  });
}

StatusOr<std::vector<std::pair<int64_t, std::string>>> Store::ChangesAfter(int64_t seq) {
  return Guard([&]() -> StatusOr<std::vector<std::pair<int64_t, std::string>>> {
    SQLite::Statement q(*db_, "SELECT seq, app FROM changes WHERE seq > ? ORDER BY seq");
    q.bind(1, static_cast<int64_t>(seq));
    std::vector<std::pair<int64_t, std::string>> out;
    while (q.executeStep()) out.emplace_back(q.getColumn(0).getInt64(), q.getColumn(1).getString());
    return out;
  });
}

StatusOr<int64_t> Store::LastChangeSeq() {
  return Guard([&]() -> StatusOr<int64_t> {
    return db_->execAndGet("SELECT COALESCE(MAX(seq), 0) FROM changes").getInt64();
  });
}

StatusOr<int64_t> Store::DataVersion() {
  return Guard(
      [&]() -> StatusOr<int64_t> { return db_->execAndGet("PRAGMA data_version").getInt64(); });
}

Status Store::Heartbeat(int pid, const std::string& version, int64_t started_at_ms) {
  return Guard([&]() -> Status {
    SQLite::Statement q(*db_,
                        "INSERT INTO daemon (id, pid, version, started_at, heartbeat) "
                        "VALUES (1, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET pid = excluded.pid, "
                        "version = excluded.version, started_at = excluded.started_at, "
                        "heartbeat = excluded.heartbeat");
    q.bind(1, pid);
    q.bind(2, version);
    q.bind(3, static_cast<int64_t>(started_at_ms));
    q.bind(4, static_cast<int64_t>(clock_->NowMs()));
    q.exec();
    return Status::Ok();
  });
}

StatusOr<std::optional<int64_t>> Store::HeartbeatAgeMs() {
  return Guard([&]() -> StatusOr<std::optional<int64_t>> {
    SQLite::Statement q(*db_, "SELECT heartbeat FROM daemon WHERE id = 1");
    if (!q.executeStep()) return std::optional<int64_t>();
    return std::optional<int64_t>(clock_->NowMs() - q.getColumn(0).getInt64());
  });
}

}  // namespace dokku
