-- Desired: config vars (config:set). app is '--global' for global vars. Values are stored as
-- BLOBs so every byte the CLI accepted comes back unchanged (no text affinity, no trimming).
CREATE TABLE config_vars (
  app   TEXT NOT NULL,
  key   TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (app, key)
);
