-- Protocol tasks (Agent Protocol, A2A) and tenant API keys, so any worker can answer in complex mode.
-- Runs with search_path set to the configured schema (default "pluto"), so names are unqualified.
-- Times the caller gives (created_at of a task, every time of a key) are kept as the exact ISO-8601
-- text it wrote, in the "C" collation, so they read back byte for byte and sort like the in-memory and
-- filesystem stores sort them (by code point).

-- Up Migration

-- One row per task; tasks are unique per tenant and protocol. `version` is the optimistic-concurrency
-- counter (1 after the first write). `data` is `json` (the exact text), not `jsonb`: jsonb rejects the
-- \u0000 escape that JSON.stringify writes for NUL characters and reorders keys.
CREATE TABLE tasks (
  tenant text NOT NULL,
  protocol text NOT NULL CHECK (protocol IN ('agent-protocol', 'a2a')),
  id text COLLATE "C" NOT NULL,
  agent text NOT NULL,
  session text NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  updated_at timestamptz NOT NULL,
  version bigint NOT NULL CHECK (version >= 1),
  data json NOT NULL,
  PRIMARY KEY (tenant, protocol, id)
);

CREATE INDEX tasks_oldest ON tasks (tenant, protocol, created_at, id);
CREATE INDEX tasks_agent_oldest ON tasks (tenant, protocol, agent, created_at, id);

-- One row per API key (or login-link / cookie token). The id is global: a token names its key's id,
-- and the row names the tenant. Only the SHA-256 of the token is stored. `inserted` orders keys
-- created at the same instant in insertion order.
CREATE TABLE api_keys (
  id text PRIMARY KEY,
  tenant text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'member')),
  name text NOT NULL,
  hash text NOT NULL,
  kind text CHECK (kind IN ('api', 'login', 'cookie')),
  created_at text COLLATE "C" NOT NULL,
  expires_at text,
  revoked_at text,
  inserted bigint GENERATED ALWAYS AS IDENTITY
);

CREATE INDEX api_keys_tenant_oldest ON api_keys (tenant, created_at, inserted);

-- Down Migration

DROP TABLE api_keys;
DROP TABLE tasks;
