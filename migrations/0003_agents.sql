-- Agent definitions (services.agents.backend: postgres), so every worker serves the same agents.
-- Runs with search_path set to the configured schema (default "pluto"), so names are unqualified.

-- Up Migration

-- Versions come from one sequence for the whole schema, so an agent deleted and created again never
-- gets a version a worker has already seen: a cached copy is stale whenever its version differs.
CREATE SEQUENCE agent_versions AS bigint;

-- One row per agent of a tenant. `files` maps relative paths to UTF-8 text; it is `json` (the exact
-- text), not `jsonb`: jsonb rejects the \u0000 escape JSON.stringify writes for NUL characters.
CREATE TABLE agents (
  tenant text NOT NULL,
  name text COLLATE "C" NOT NULL,
  files json NOT NULL,
  version bigint NOT NULL CHECK (version >= 1),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, name)
);

-- Down Migration

DROP TABLE agents;
DROP SEQUENCE agent_versions;
