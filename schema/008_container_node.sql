-- The swarm node a task runs on (its host name), for ps:report and ps on a swarm of several
-- nodes; '' for docker-local containers, which all run on this host.
ALTER TABLE containers ADD COLUMN node TEXT NOT NULL DEFAULT '';
