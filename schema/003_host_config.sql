-- Host configuration of an app's containers: storage bind mounts (storage:*), resource limits and
-- reservations (resource:*) and docker-options (docker-options:*). Desired state, written by
-- `dokku`; dokkud folds the effective values into each container's spec hash, so a change
-- replaces exactly the containers it affects. Rows go with the app row (apps:destroy, purge).
-- Numbered 003 next to a concurrent 002; migrations apply in file-name order.

-- storage:mount <app> <host>:<container>[:<options>]. host_path is an absolute host directory
-- or a docker volume name; options is the comma list after the second colon ("ro" included).
CREATE TABLE storage_mounts (
  app            TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
  host_path      TEXT NOT NULL,
  container_path TEXT NOT NULL,
  options        TEXT NOT NULL DEFAULT '',
  phases         TEXT NOT NULL DEFAULT 'deploy,run',  -- where Dokku applies it: deploy and/or run
  process_type   TEXT NOT NULL DEFAULT '_default_',
  created_seq    INTEGER NOT NULL,                    -- load order, for the report's numbering
  PRIMARY KEY (app, host_path, container_path, process_type)
);

-- resource:limit / resource:reserve. process_type '_default_' holds the app-wide values; a
-- process type's own value overrides it key by key. Values are stored as given (validated).
CREATE TABLE resources (
  app          TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
  process_type TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('limit', 'reserve')),
  key          TEXT NOT NULL,
  value        TEXT NOT NULL,
  PRIMARY KEY (app, process_type, kind, key)
);

-- docker-options:add. One row per stored flag (re-serialised, e.g. "--memory 64m");
-- duplicates allowed, listed sorted by option as Dokku keeps its property list.
CREATE TABLE docker_options (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  app          TEXT NOT NULL REFERENCES apps(name) ON DELETE CASCADE,
  process_type TEXT NOT NULL DEFAULT '_default_',
  phase        TEXT NOT NULL CHECK (phase IN ('build', 'deploy', 'run')),
  option       TEXT NOT NULL
);
CREATE INDEX docker_options_app ON docker_options (app, phase);
