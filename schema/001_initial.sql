-- dokkud state, version 1. Desired state is written by `dokku` (cli/), observed state by `dokkud`.
-- Every desired change bumps apps.generation and appends to changes in the same transaction.

-- Desired: one row per app. deleting=1 means apps:destroy was asked; dokkud removes the containers
-- and then the row (formation, releases, events... go with it by cascade).
CREATE TABLE apps (
  name                TEXT PRIMARY KEY,
  created_at          INTEGER NOT NULL,
  desired_running     INTEGER NOT NULL DEFAULT 1,
  deleting            INTEGER NOT NULL DEFAULT 0,
  generation          INTEGER NOT NULL DEFAULT 1,
  observed_generation INTEGER NOT NULL DEFAULT 0,
  rebuild_generation  INTEGER NOT NULL DEFAULT 0,
  desired_release     INTEGER,             -- releases.id the app should run
  current_release     INTEGER,             -- releases.id that is live now (written by dokkud)
  last_error          TEXT NOT NULL DEFAULT ''  -- outcome of observed_generation ('' = success)
);

-- Desired: (plugin, app, key) -> value. app is '--global' for global values.
CREATE TABLE properties (
  plugin TEXT NOT NULL,
  app    TEXT NOT NULL,
  key    TEXT NOT NULL,
  value  TEXT NOT NULL,
  PRIMARY KEY (plugin, app, key)
);

-- Desired: process formation. restart_generation is bumped by ps:restart; it is part of the
-- container spec hash, so a bump means "replace". held_quantity is set by ps:scale --skip-deploy
-- on a running type: dokkud keeps running held_quantity until the next deploy clears it.
CREATE TABLE formation (
  app                TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
  proctype           TEXT NOT NULL,
  quantity           INTEGER NOT NULL CHECK (quantity BETWEEN 0 AND 1000),
  restart_generation INTEGER NOT NULL DEFAULT 0,
  held_quantity      INTEGER,
  PRIMARY KEY (app, proctype)
);

-- Desired + observed: releases. The CLI creates them (pending, or prepared for a rollback that
-- reuses an earlier release's files); dokkud resolves image_id, reads Procfile/CHECKS/DOKKU_SCALE
-- from the image and drives status: pending -> prepared -> rolling -> live | failed | superseded.
CREATE TABLE releases (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  app         TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
  number      INTEGER NOT NULL,            -- per-app sequence shown by `dokku releases`
  tag         TEXT NOT NULL,
  image_ref   TEXT NOT NULL,               -- dokku/<app>:<tag>
  image_id    TEXT NOT NULL DEFAULT '',    -- sha256:..., fixed once resolved
  procfile    TEXT,                        -- NULL: the image has no Procfile
  checks      TEXT,                        -- NULL: no CHECKS file
  dokku_scale TEXT,                        -- NULL: no DOKKU_SCALE file
  proctypes   TEXT,                        -- Procfile types, comma-separated; NULL: no Procfile
  status      TEXT NOT NULL DEFAULT 'pending',
  error       TEXT NOT NULL DEFAULT '',
  trigger     TEXT NOT NULL DEFAULT '',    -- which command asked for it
  rollback_of INTEGER,                     -- the release whose image a rollback reuses
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  UNIQUE (app, number)
);

-- Desired: tags:create / tags:destroy until dokkud applied them.
CREATE TABLE tag_ops (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  app        TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
  op         TEXT NOT NULL CHECK (op IN ('create', 'destroy')),
  tag        TEXT NOT NULL,
  image_id   TEXT NOT NULL DEFAULT '',
  status     TEXT NOT NULL DEFAULT 'pending',  -- pending | done | failed
  error      TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);

-- Desired: one-shot requests to the daemon (checks:run), answered in status/result.
CREATE TABLE requests (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  app        TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
  kind       TEXT NOT NULL,
  args       TEXT NOT NULL DEFAULT '',
  status     TEXT NOT NULL DEFAULT 'pending',  -- pending | done | failed
  result     TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);

-- Observed: containers with our labels, as dokkud last saw them.
CREATE TABLE containers (
  id            TEXT PRIMARY KEY,
  app           TEXT NOT NULL,
  name          TEXT NOT NULL,
  proctype      TEXT NOT NULL,
  idx           INTEGER NOT NULL,
  release_id    INTEGER,
  state         TEXT NOT NULL,
  role          TEXT NOT NULL DEFAULT 'live',  -- live | upcoming | retiring
  ip            TEXT NOT NULL DEFAULT '',
  port          INTEGER NOT NULL DEFAULT 0,
  host_port     INTEGER NOT NULL DEFAULT 0,
  restart_count INTEGER NOT NULL DEFAULT 0,
  started_at    INTEGER NOT NULL DEFAULT 0,
  image_id      TEXT NOT NULL DEFAULT '',
  updated_at    INTEGER NOT NULL
);
CREATE INDEX containers_app ON containers (app);

-- Observed: tags of dokku/<app> images, for `dokku tags`.
CREATE TABLE images (
  app      TEXT NOT NULL,
  tag      TEXT NOT NULL,
  image_id TEXT NOT NULL,
  created  INTEGER NOT NULL DEFAULT 0,
  size     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (app, tag)
);

-- Old containers waiting for their shutdown; kept across daemon restarts. No foreign key: a
-- retirement outlives apps:destroy until the container is gone.
CREATE TABLE retirements (
  container_id TEXT PRIMARY KEY,
  app          TEXT NOT NULL,
  retire_at    INTEGER NOT NULL,           -- unix ms
  created_at   INTEGER NOT NULL
);

-- The deploy log: what `dokku` prints while it follows the daemon.
CREATE TABLE events (
  id    INTEGER PRIMARY KEY AUTOINCREMENT,
  app   TEXT NOT NULL,
  time  INTEGER NOT NULL,                  -- unix ms
  level TEXT NOT NULL,                     -- info1 | info2 | verbose | warn | error | output
  text  TEXT NOT NULL
);
CREATE INDEX events_app ON events (app, id);

-- Change feed: dokkud polls it to learn which apps to reconcile.
CREATE TABLE changes (
  seq  INTEGER PRIMARY KEY AUTOINCREMENT,
  app  TEXT NOT NULL,
  time INTEGER NOT NULL
);

-- Observed: the daemon's heartbeat (single row).
CREATE TABLE daemon (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  pid       INTEGER NOT NULL,
  version   TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat INTEGER NOT NULL                -- unix ms
);

-- Facts about this state database. store_id labels every container this store's dokkud creates,
-- so two dokkud instances on one Docker engine never touch each other's containers.
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(6))));
