// Store: releases (tags:deploy, ps:rebuild, releases:rollback), tag operations and requests.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "store/store.h"
#include "store/store_internal.h"
#include "store/validation.h"

namespace dokku {

using internal::Guard;

namespace internal {

const char kReleaseColumns[] =
    "id, app, number, tag, image_ref, image_id, procfile, checks, dokku_scale, proctypes, status, "
    "error, trigger, rollback_of, created_at, updated_at, exposed_ports, app_json, tasks, "
    "registry_ref";

Release ReadRelease(SQLite::Statement& q) {
  Release r;
  r.id = q.getColumn(0).getInt64();
  r.app = q.getColumn(1).getString();
  r.number = q.getColumn(2).getInt64();
  r.tag = q.getColumn(3).getString();
  r.image_ref = q.getColumn(4).getString();
  r.image_id = q.getColumn(5).getString();
  r.procfile = OptionalText(q, 6);
  r.checks = OptionalText(q, 7);
  r.dokku_scale = OptionalText(q, 8);
  if (!q.isColumnNull(9)) {
    std::vector<std::string> types;
    std::string list = q.getColumn(9).getString();
    size_t start = 0;
    while (start < list.size()) {
      size_t comma = list.find(',', start);
      if (comma == std::string::npos) comma = list.size();
      if (comma > start) types.push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
    r.proctypes = types;
  }
  r.status = q.getColumn(10).getString();
  r.error = q.getColumn(11).getString();
  r.trigger = q.getColumn(12).getString();
  r.rollback_of = OptionalInt(q, 13);
  r.created_at = q.getColumn(14).getInt64();
  r.updated_at = q.getColumn(15).getInt64();
  r.exposed_ports = OptionalText(q, 16);
  r.app_json = OptionalText(q, 17);
  r.tasks = q.getColumn(18).getString();
  r.registry_ref = q.getColumn(19).getString();
  return r;
}

}  // namespace internal

namespace {

std::optional<std::string> JoinTypes(const std::optional<std::vector<std::string>>& types) {
  if (!types) return std::nullopt;
  std::string out;
  for (const std::string& t : *types) out += (out.empty() ? "" : ",") + t;
  return out;
}

}  // namespace

Release internal::InsertRelease(SQLite::Database& db, Release r, std::string_view actor) {
  if (!actor.empty()) r.trigger.append(" by ").append(actor);
  SQLite::Statement num(db, "SELECT COALESCE(MAX(number), 0) + 1 FROM releases WHERE app = ?");
  num.bind(1, r.app);
  num.executeStep();
  r.number = num.getColumn(0).getInt64();
  num.reset();
  SQLite::Statement ins(db,
                        "INSERT INTO releases (app, number, tag, image_ref, image_id, procfile, "
                        "checks, dokku_scale, proctypes, status, trigger, rollback_of, created_at, "
                        "updated_at, exposed_ports, app_json, registry_ref) VALUES "
                        "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  ins.bind(1, r.app);
  ins.bind(2, static_cast<int64_t>(r.number));
  ins.bind(3, r.tag);
  ins.bind(4, r.image_ref);
  ins.bind(5, r.image_id);
  internal::BindOptional(ins, 6, r.procfile);
  internal::BindOptional(ins, 7, r.checks);
  internal::BindOptional(ins, 8, r.dokku_scale);
  internal::BindOptional(ins, 9, JoinTypes(r.proctypes));
  ins.bind(10, r.status);
  ins.bind(11, r.trigger);
  internal::BindOptional(ins, 12, r.rollback_of);
  ins.bind(13, static_cast<int64_t>(r.created_at));
  ins.bind(14, static_cast<int64_t>(r.updated_at));
  internal::BindOptional(ins, 15, r.exposed_ports);
  internal::BindOptional(ins, 16, r.app_json);
  ins.bind(17, r.registry_ref);
  ins.exec();
  r.id = db.getLastInsertRowid();
  SQLite::Statement app(db, "UPDATE apps SET desired_release = ? WHERE name = ?");
  app.bind(1, static_cast<int64_t>(r.id));
  app.bind(2, r.app);
  app.exec();
  SQLite::Statement holds(db, "UPDATE formation SET held_quantity = NULL WHERE app = ?");
  holds.bind(1, r.app);
  holds.exec();
  return r;
}

StatusOr<Release> Store::CreateRelease(const std::string& app, const std::string& tag,
                                       const std::string& trigger) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  DOKKU_RETURN_IF_ERROR(ValidateTag(tag));
  return Guard([&]() -> StatusOr<Release> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    Release r;
    r.app = app;
    r.tag = tag;
    r.image_ref = fmt::format("dokku/{}:{}", app, tag);
    r.status = "pending";
    r.trigger = trigger;
    r.created_at = r.updated_at = clock_->NowSeconds();
    r = internal::InsertRelease(*db_, r, actor_);
    BumpGeneration(app);
    tx.commit();
    return r;
  });
}

StatusOr<Release> Store::Rebuild(const std::string& app) {
  StatusOr<App> a = GetApp(app);
  if (!a.ok()) return a.status();
  std::optional<int64_t> base = a->current_release ? a->current_release : a->desired_release;
  if (!base) return Status::NotFound(fmt::format("App {} has not been deployed", app));
  StatusOr<Release> current = GetRelease(*base);
  if (!current.ok()) return current.status();
  return CreateRelease(app, current->tag, "ps:rebuild");
}

StatusOr<Release> Store::CreateRollback(const std::string& app, int64_t number) {
  StatusOr<App> a = GetApp(app);
  if (!a.ok()) return a.status();
  return Guard([&]() -> StatusOr<Release> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    std::string sql =
        fmt::format("SELECT {} FROM releases WHERE app = ?1 AND ", internal::kReleaseColumns);
    sql += number > 0 ? "number = ?2"
                      : "status IN ('live', 'superseded') AND id != COALESCE(?3, -1) "
                        "ORDER BY number DESC LIMIT 1";
    SQLite::Statement q(*db_, sql);
    q.bind(1, app);
    if (number > 0) q.bind(2, static_cast<int64_t>(number));
    if (number <= 0) internal::BindOptional(q, 3, a->current_release);
    if (!q.executeStep()) {
      return number > 0 ? Status::NotFound(fmt::format("Release {} not found for {}", number, app))
                        : Status::NotFound(
                              fmt::format("No earlier live release of {} to roll back to", app));
    }
    Release target = internal::ReadRelease(q);
    q.reset();
    if (target.image_id.empty() || (target.status != "live" && target.status != "superseded")) {
      return Status::FailedPrecondition(
          fmt::format("Release {} of {} never went live ({}); refusing to roll back to it",
                      target.number, app, target.status));
    }
    Release r = target;
    r.status = "prepared";
    r.error.clear();
    r.trigger = fmt::format("releases:rollback {}", target.number);
    r.rollback_of = target.id;
    r.created_at = r.updated_at = clock_->NowSeconds();
    r = internal::InsertRelease(*db_, r, actor_);
    BumpGeneration(app);
    tx.commit();
    return r;
  });
}

StatusOr<Release> Store::GetRelease(int64_t id) {
  return Guard([&]() -> StatusOr<Release> {
    SQLite::Statement q(
        *db_, fmt::format("SELECT {} FROM releases WHERE id = ?", internal::kReleaseColumns));
    q.bind(1, static_cast<int64_t>(id));
    if (!q.executeStep()) return Status::NotFound(fmt::format("release {} not found", id));
    return internal::ReadRelease(q);
  });
}

StatusOr<std::vector<Release>> Store::ListReleases(const std::string& app) {
  return Guard([&]() -> StatusOr<std::vector<Release>> {
    SQLite::Statement q(*db_, fmt::format("SELECT {} FROM releases WHERE app = ? ORDER BY number",
                                          internal::kReleaseColumns));
    q.bind(1, app);
    std::vector<Release> out;
    while (q.executeStep()) out.push_back(internal::ReadRelease(q));
    return out;
  });
}

Status Store::UpdateRelease(const Release& r) {
  return Guard([&]() -> Status {
    SQLite::Statement q(
        *db_,
        "UPDATE releases SET image_id = ?, procfile = ?, checks = ?, "
        "dokku_scale = ?, proctypes = ?, status = ?, error = ?, updated_at = ?, "
        "exposed_ports = ?, app_json = ?, tasks = ?, registry_ref = ? WHERE id = ?");
    q.bind(1, r.image_id);
    internal::BindOptional(q, 2, r.procfile);
    internal::BindOptional(q, 3, r.checks);
    internal::BindOptional(q, 4, r.dokku_scale);
    internal::BindOptional(q, 5, JoinTypes(r.proctypes));
    q.bind(6, r.status);
    q.bind(7, r.error);
    q.bind(8, static_cast<int64_t>(clock_->NowSeconds()));
    internal::BindOptional(q, 9, r.exposed_ports);
    internal::BindOptional(q, 10, r.app_json);
    q.bind(11, r.tasks);
    q.bind(12, r.registry_ref);
    q.bind(13, static_cast<int64_t>(r.id));
    q.exec();
    return Status::Ok();
  });
}

// ---- tags ----

StatusOr<int64_t> Store::RequestTagOp(const std::string& app, const std::string& op,
                                      const std::string& tag) {
  StatusOr<App> a = GetApp(app);
  if (!a.ok()) return a.status();
  DOKKU_RETURN_IF_ERROR(ValidateTag(tag));
  if (op != "create" && op != "destroy") {
    return Status::InvalidArgument(fmt::format("Unknown tag operation {}", op));
  }
  if (op == "destroy" && tag == "latest") {
    return Status::InvalidArgument(
        fmt::format("You can't remove internal dokku tag (latest) for dokku/{}", app));
  }
  std::string image_id;
  if (op == "create") {
    if (!a->current_release) {
      return Status::FailedPrecondition(fmt::format("App {} has not been deployed", app));
    }
    StatusOr<Release> r = GetRelease(*a->current_release);
    if (!r.ok()) return r.status();
    image_id = r->image_id;
  }
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement ins(*db_,
                          "INSERT INTO tag_ops (app, op, tag, image_id, created_at) "
                          "VALUES (?, ?, ?, ?, ?)");
    ins.bind(1, app);
    ins.bind(2, op);
    ins.bind(3, tag);
    ins.bind(4, image_id);
    ins.bind(5, static_cast<int64_t>(clock_->NowSeconds()));
    ins.exec();
    int64_t id = db_->getLastInsertRowid();
    BumpGeneration(app);
    tx.commit();
    return id;
  });
}

static TagOp ReadTagOp(SQLite::Statement& q) {
  TagOp t;
  t.id = q.getColumn(0).getInt64();
  t.app = q.getColumn(1).getString();
  t.op = q.getColumn(2).getString();
  t.tag = q.getColumn(3).getString();
  t.image_id = q.getColumn(4).getString();
  t.status = q.getColumn(5).getString();
  t.error = q.getColumn(6).getString();
  t.created_at = q.getColumn(7).getInt64();
  return t;
}

static const char kTagOpColumns[] = "id, app, op, tag, image_id, status, error, created_at";

StatusOr<std::vector<TagOp>> Store::PendingTagOps(const std::string& app) {
  return Guard([&]() -> StatusOr<std::vector<TagOp>> {
    SQLite::Statement q(*db_, fmt::format("SELECT {} FROM tag_ops WHERE app = ? AND "
                                          "status = 'pending' ORDER BY id",
                                          kTagOpColumns));
    q.bind(1, app);
    std::vector<TagOp> out;
    while (q.executeStep()) out.push_back(ReadTagOp(q));
    return out;
  });
}

StatusOr<TagOp> Store::GetTagOp(int64_t id) {
  return Guard([&]() -> StatusOr<TagOp> {
    SQLite::Statement q(*db_, fmt::format("SELECT {} FROM tag_ops WHERE id = ?", kTagOpColumns));
    q.bind(1, static_cast<int64_t>(id));
    if (!q.executeStep()) return Status::NotFound(fmt::format("tag operation {} not found", id));
    return ReadTagOp(q);
  });
}

Status Store::FinishTagOp(int64_t id, bool ok, const std::string& error) {
  return Guard([&]() -> Status {
    SQLite::Statement q(*db_, "UPDATE tag_ops SET status = ?, error = ? WHERE id = ?");
    q.bind(1, ok ? "done" : "failed");
    q.bind(2, error);
    q.bind(3, static_cast<int64_t>(id));
    q.exec();
    return Status::Ok();
  });
}

StatusOr<std::vector<ImageTag>> Store::ListImages(const std::string& app) {
  return Guard([&]() -> StatusOr<std::vector<ImageTag>> {
    SQLite::Statement q(*db_,
                        "SELECT app, tag, image_id, created, size FROM images WHERE app = ? "
                        "ORDER BY created DESC, tag");
    q.bind(1, app);
    std::vector<ImageTag> out;
    while (q.executeStep()) {
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                     q.getColumn(2).getString(), q.getColumn(3).getInt64(),
                     q.getColumn(4).getInt64()});
    }
    return out;
  });
}

Status Store::ReplaceImages(const std::string& app, const std::vector<ImageTag>& tags) {
  return Guard([&]() -> Status {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement del(*db_, "DELETE FROM images WHERE app = ?");
    del.bind(1, app);
    del.exec();
    for (const ImageTag& t : tags) {
      SQLite::Statement ins(*db_,
                            "INSERT OR REPLACE INTO images (app, tag, image_id, created, size) "
                            "VALUES (?, ?, ?, ?, ?)");
      ins.bind(1, app);
      ins.bind(2, t.tag);
      ins.bind(3, t.image_id);
      ins.bind(4, static_cast<int64_t>(t.created));
      ins.bind(5, static_cast<int64_t>(t.size));
      ins.exec();
    }
    tx.commit();
    return Status::Ok();
  });
}

// ---- requests ----

StatusOr<int64_t> Store::CreateRequest(const std::string& app, const std::string& kind,
                                       const std::string& args) {
  DOKKU_RETURN_IF_ERROR(RequireApp(app));
  return Guard([&]() -> StatusOr<int64_t> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement ins(*db_,
                          "INSERT INTO requests (app, kind, args, created_at) VALUES (?, ?, ?, ?)");
    ins.bind(1, app);
    ins.bind(2, kind);
    ins.bind(3, args);
    ins.bind(4, static_cast<int64_t>(clock_->NowSeconds()));
    ins.exec();
    int64_t id = db_->getLastInsertRowid();
    BumpGeneration(app);
    tx.commit();
    return id;
  });
}

static Request ReadRequest(SQLite::Statement& q) {
  Request r;
  r.id = q.getColumn(0).getInt64();
  r.app = q.getColumn(1).getString();
  r.kind = q.getColumn(2).getString();
  r.args = q.getColumn(3).getString();
  r.status = q.getColumn(4).getString();
  r.result = q.getColumn(5).getString();
  r.created_at = q.getColumn(6).getInt64();
  return r;
}

StatusOr<std::vector<Request>> Store::PendingRequests(const std::string& app) {
  return Guard([&]() -> StatusOr<std::vector<Request>> {
    SQLite::Statement q(*db_,
                        "SELECT id, app, kind, args, status, result, created_at FROM requests "
                        "WHERE app = ? AND status = 'pending' ORDER BY id");
    q.bind(1, app);
    std::vector<Request> out;
    while (q.executeStep()) out.push_back(ReadRequest(q));
    return out;
  });
}

StatusOr<Request> Store::GetRequest(int64_t id) {
  return Guard([&]() -> StatusOr<Request> {
    SQLite::Statement q(*db_,
                        "SELECT id, app, kind, args, status, result, created_at FROM requests "
                        "WHERE id = ?");
    q.bind(1, static_cast<int64_t>(id));
    if (!q.executeStep()) return Status::NotFound(fmt::format("request {} not found", id));
    return ReadRequest(q);
  });
}

Status Store::FinishRequest(int64_t id, bool ok, const std::string& result) {
  return Guard([&]() -> Status {
    SQLite::Statement q(*db_, "UPDATE requests SET status = ?, result = ? WHERE id = ?");
    q.bind(1, ok ? "done" : "failed");
    q.bind(2, result);
    q.bind(3, static_cast<int64_t>(id));
    q.exec();
    return Status::Ok();
  });
}

}  // namespace dokku
