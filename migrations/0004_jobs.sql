-- Durable jobs (services.jobs.backend: postgres): runs executed by workers, claimed with heartbeat leases.
-- Runs with search_path set to the configured schema (default "pluto"), so names are unqualified.
-- Times are the workers' clocks (epoch ms as timestamptz), so leases compare against the `now` a
-- worker passes; keep worker clocks in sync (NTP) to well within a lease.

-- Up Migration

-- One row per job. The lifecycle (src/jobs/job-state.ts) is enforced by the store; the CHECKs keep
-- hand-written SQL from storing a status or lease that cannot exist. `input` and `output` are `json`
-- strings, not `text`: text rejects NUL characters, while the json escape \u0000 keeps them.
CREATE TABLE jobs (
  tenant text NOT NULL,
  id text COLLATE "C" NOT NULL,
  agent text NOT NULL,
  input json NOT NULL,
  session_id text,
  status text NOT NULL CHECK (
    status IN ('needs_approval', 'queued', 'running', 'aborting', 'completed', 'failed', 'aborted')
  ),
  requires_approval boolean NOT NULL,
  run_at timestamptz NOT NULL,
  attempts integer NOT NULL CHECK (attempts >= 0),
  max_attempts integer NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
  lease_owner text,
  lease_expires_at timestamptz,
  run_id text,
  output json,
  error json,
  idempotency_key text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant, id),
  CHECK ((status IN ('running', 'aborting')) = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL))
);

-- One job per idempotency key and tenant.
CREATE UNIQUE INDEX jobs_idempotency ON jobs (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- Claims: the due queued jobs, earliest run_at first (small: only queued rows are indexed).
CREATE INDEX jobs_due ON jobs (run_at, created_at, id) WHERE status = 'queued';
-- Reclaims: the leases that may have lapsed.
CREATE INDEX jobs_leases ON jobs (lease_expires_at) WHERE status IN ('running', 'aborting');
-- Lists: a tenant's jobs newest first, optionally by status.
CREATE INDEX jobs_newest ON jobs (tenant, created_at DESC, id DESC);
CREATE INDEX jobs_status_newest ON jobs (tenant, status, created_at DESC, id DESC);

-- The panic switch: a row per paused tenant; claims skip these tenants' jobs.
CREATE TABLE job_pauses (
  tenant text PRIMARY KEY,
  paused_at timestamptz NOT NULL
);

-- Down Migration

DROP TABLE job_pauses;
DROP TABLE jobs;
