-- Desired: config vars (config:set). app is '--global' for global vars. Values are stored as
-- BLOBs so every byte the CLI accepted comes back unchanged (no text affinity, no trimming).
CREATE TABLE config_vars (
  app   TEXT NOT NULL,
  key   TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (app, key)
);

-- The image's Config.ExposedPorts as dokkud read them when it prepared the release
-- ("8080/tcp 53/udp", sorted; '' = none; NULL = not read): the ports plugin's detected mapping.
ALTER TABLE releases ADD COLUMN exposed_ports TEXT;
