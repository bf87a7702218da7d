-- Pluto state tables: session logs and memory documents.
-- Runs with search_path set to the configured schema (default "pluto"), so names are unqualified.
-- Every table's key starts with (tenant, agent): every query is scoped by both.

-- Up Migration

CREATE TABLE sessions (
  tenant text NOT NULL,
  agent text NOT NULL,
  id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seq bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
  PRIMARY KEY (tenant, agent, id)
);

CREATE INDEX sessions_newest ON sessions (tenant, agent, created_at DESC, id DESC);

-- One row per event. The event is stored as `json` (its exact text, `seq` first), not `jsonb`:
-- jsonb rejects the \u0000 escape that JSON.stringify writes for NUL characters and reorders keys.
CREATE TABLE session_events (
  tenant text NOT NULL,
  agent text NOT NULL,
  session text NOT NULL,
  seq bigint NOT NULL CHECK (seq >= 1),
  event json NOT NULL,
  PRIMARY KEY (tenant, agent, session, seq),
  FOREIGN KEY (tenant, agent, session) REFERENCES sessions (tenant, agent, id) ON DELETE CASCADE
);

-- The Markdown of each memory document is the source of truth.
CREATE TABLE memory_documents (
  tenant text NOT NULL,
  agent text NOT NULL,
  document text NOT NULL,
  markdown text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant, agent, document)
);

-- Derived from memory_documents.markdown (non-blank lines, 1-based), rewritten in the same
-- transaction as the document (no foreign key: a 1 MB document has 65,536 lines and per-row checks
-- would dominate the rewrite). The 'simple' configuration lower-cases words without stemming or
-- stop words, so it works for notes in any language.
CREATE TABLE memory_lines (
  tenant text NOT NULL,
  agent text NOT NULL,
  document text NOT NULL,
  line integer NOT NULL CHECK (line >= 1),
  text text NOT NULL,
  tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, text)) STORED,
  PRIMARY KEY (tenant, agent, document, line)
);

CREATE INDEX memory_lines_tsv ON memory_lines USING gin (tsv);

-- Down Migration

DROP TABLE memory_lines;
DROP TABLE memory_documents;
DROP TABLE session_events;
DROP TABLE sessions;
