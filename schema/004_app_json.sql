-- The image's app.json as dokkud read it when it prepared the release (NULL: none, or not read
-- yet): health checks per process type, formation (max_parallel) and deployment tasks.
ALTER TABLE releases ADD COLUMN app_json TEXT;
-- The release's deployment tasks as they ran ("predeploy ok", "predeploy failed",
-- "predeploy ok, postdeploy failed"; '' = none ran).
ALTER TABLE releases ADD COLUMN tasks TEXT NOT NULL DEFAULT '';
