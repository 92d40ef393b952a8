// Store: config vars (config:set, config:unset, config:clear and what containers get).
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "store/store.h"
#include "store/store_internal.h"
#include "store/validation.h"

namespace dokku {

using internal::Guard;

namespace {

using Vars = std::map<std::string, std::string>;

Vars ReadVars(SQLite::Database& db, const std::string& scope) {
  SQLite::Statement q(db, "SELECT key, value FROM config_vars WHERE app = ?");
  q.bind(1, scope);
  Vars vars;
  while (q.executeStep()) {
    // Values are BLOBs: read them by size, so every byte (newlines, quotes, UTF-8) survives.
    const SQLite::Column v = q.getColumn(1);
    const auto* bytes = static_cast<const char*>(v.getBlob());
    vars[q.getColumn(0).getString()] =
        bytes ? std::string(bytes, static_cast<size_t>(v.getBytes())) : std::string();
  }
  return vars;
}

}  // namespace

StatusOr<Vars> Store::GetConfig(const std::string& scope) {
  if (scope != kGlobal) DOKKU_RETURN_IF_ERROR(RequireApp(scope));
  return Guard([&]() -> StatusOr<Vars> { return ReadVars(*db_, scope); });
}

StatusOr<Vars> Store::GetMergedConfig(const std::string& app) {
  return Guard([&]() -> StatusOr<Vars> {
    SQLite::Transaction tx(*db_);  // one snapshot for both scopes
    Vars merged = ReadVars(*db_, kGlobal);
    for (auto& [k, v] : ReadVars(*db_, app)) merged[k] = std::move(v);
    return merged;
  });
}

StatusOr<Store::ConfigChange> Store::ChangeConfig(
    const std::string& scope, const std::map<std::string, std::optional<std::string>>& changes,
    bool clear, bool restart) {
  const bool global = scope == kGlobal;
  if (!global) DOKKU_RETURN_IF_ERROR(RequireApp(scope));
  for (const auto& [key, value] : changes) {
    DOKKU_RETURN_IF_ERROR(ValidateConfigKey(key));
    if (value) DOKKU_RETURN_IF_ERROR(ValidateConfigValue(key, *value));
  }
  return Guard([&]() -> StatusOr<ConfigChange> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    if (!global) {
      // Re-checked inside the transaction: apps:destroy may have run since RequireApp.
      SQLite::Statement live(*db_, "SELECT 1 FROM apps WHERE name = ? AND deleting = 0");
      live.bind(1, scope);
      if (!live.executeStep()) return Status::NotFound(fmt::format("App {} does not exist", scope));
    }
    const Vars before = ReadVars(*db_, scope);
    Vars after = clear ? Vars() : before;
    for (const auto& [key, value] : changes) {
      if (value) {
        after[key] = *value;
      } else {
        after.erase(key);
      }
    }
    if (after == before) {
      // Nothing to write, restart or reconcile: the database stays byte-identical.
      SQLite::Statement gen(*db_, "SELECT generation FROM apps WHERE name = ?");
      gen.bind(1, scope);
      return ConfigChange{gen.executeStep() ? gen.getColumn(0).getInt64() : 0, false};
    }
    if (clear) {
      SQLite::Statement del(*db_, "DELETE FROM config_vars WHERE app = ?");
      del.bind(1, scope);
      del.exec();
    }
    SQLite::Statement set(*db_,
                          "INSERT INTO config_vars (app, key, value) VALUES (?, ?, ?) "
                          "ON CONFLICT DO UPDATE SET value = excluded.value");
    SQLite::Statement unset(*db_, "DELETE FROM config_vars WHERE app = ? AND key = ?");
    for (const auto& [key, value] : changes) {
      SQLite::Statement& q = value ? set : unset;
      q.bind(1, scope);
      q.bind(2, key);
      if (value) q.bind(3, value->data(), static_cast<int>(value->size()));
      q.exec();
      q.reset();
    }
    ConfigChange out{0, true};
    if (!global) {
      if (restart) internal::BumpRestartGeneration(*db_, scope, "");
      out.generation = BumpGeneration(scope);
    }
    tx.commit();
    return out;
  });
}

}  // namespace dokku
