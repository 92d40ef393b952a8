-- ssh-keys:add / ssh-keys:remove: the public keys allowed to run dokku over ssh. The CLI writes
-- $DOKKU_ROOT/.ssh/authorized_keys from this table after every change. One key per name, and a
-- key (by fingerprint) under one name only.
CREATE TABLE ssh_keys (
  name TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL UNIQUE,
  public_key TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
