// Store: the public keys of ssh-keys:add/list/remove.
#include <SQLiteCpp/SQLiteCpp.h>

#include "store/ssh_keys.h"
#include "store/store.h"
#include "store/store_internal.h"

namespace dokku {

using internal::Guard;

namespace {

std::vector<SshKey> ReadSshKeys(SQLite::Database& db) {
  SQLite::Statement q(db, "SELECT name, fingerprint, public_key FROM ssh_keys ORDER BY rowid");
  std::vector<SshKey> keys;
  while (q.executeStep()) {
    keys.push_back(
        {q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString()});
  }
  return keys;
}

bool Exists(SQLite::Database& db, const char* column, const std::string& value) {
  SQLite::Statement q(db, std::string("SELECT 1 FROM ssh_keys WHERE ") + column + " = ?");
  q.bind(1, value);
  return q.executeStep();
}

}  // namespace

Status Store::AddSshKey(const SshKey& key, const PublishSshKeys& publish) {
  DOKKU_RETURN_IF_ERROR(ValidateSshKeyName(key.name));
  StatusOr<SshPublicKey> parsed = ParseSshPublicKey(key.public_key);
  if (!parsed.ok()) return parsed.status();
  if (parsed->fingerprint != key.fingerprint || parsed->Line() != key.public_key) {
    return Status::InvalidArgument("Invalid ssh public key: the fingerprint does not match");
  }
  return Guard([&]() -> Status {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    if (Exists(*db_, "name", key.name)) return Status::AlreadyExists("Duplicate ssh key name");
    if (Exists(*db_, "fingerprint", key.fingerprint)) {
      return Status::AlreadyExists("Duplicate ssh public key specified");
    }
    SQLite::Statement ins(
        *db_,
        "INSERT INTO ssh_keys (name, fingerprint, public_key, created_at) VALUES (?, ?, ?, ?)");
    ins.bind(1, key.name);
    ins.bind(2, key.fingerprint);
    ins.bind(3, key.public_key);
    ins.bind(4, static_cast<int64_t>(clock_->NowSeconds()));
    ins.exec();
    DOKKU_RETURN_IF_ERROR(publish(ReadSshKeys(*db_)));
    tx.commit();
    return Status::Ok();
  });
}

StatusOr<std::vector<SshKey>> Store::ListSshKeys() {
  return Guard([&]() -> StatusOr<std::vector<SshKey>> { return ReadSshKeys(*db_); });
}

StatusOr<int> Store::RemoveSshKey(const std::string& value, bool by_fingerprint,
                                  const PublishSshKeys& publish) {
  return Guard([&]() -> StatusOr<int> {
    SQLite::Transaction tx(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement del(*db_, by_fingerprint ? "DELETE FROM ssh_keys WHERE fingerprint = ?"
                                               : "DELETE FROM ssh_keys WHERE name = ?");
    del.bind(1, value);
    const int removed = del.exec();
    DOKKU_RETURN_IF_ERROR(publish(ReadSshKeys(*db_)));
    tx.commit();
    return removed;
  });
}

}  // namespace dokku
