-- Registry pushes: the reference a release was pushed as, pinned by digest
-- (`<server>/<repo>@sha256:...`). Set once the push succeeded; docker-swarm services run it so
-- every node resolves the same bits, and a rollback copies it from the release it returns to.
ALTER TABLE releases ADD COLUMN registry_ref TEXT NOT NULL DEFAULT '';
