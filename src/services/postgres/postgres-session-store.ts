import type pg from "pg";
import type { RunEvent, SessionEvent } from "../../core/events.js";
import { assertSafeName } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";
import {
  checkAppend,
  checkReadOptions,
  checkSessionKey,
  encodeEvent,
  sessionConflict,
} from "../session/session-input.js";
import type {
  AppendOptions,
  ReadOptions,
  SessionInfo,
  SessionKey,
  SessionStore,
} from "../session/session-store.js";
import { queryPostgres } from "./postgres-errors.js";
import { DEFAULT_POSTGRES_SCHEMA, quoteSchema } from "./postgres-schema.js";

/** Options for {@link PostgresSessionStore}. */
export interface PostgresSessionStoreOptions {
  /** A shared pool (from `PostgresPools.get(url)`); the store never ends it. */
  pool: pg.Pool;
  /** Schema holding the tables created by `migratePostgres`. @default "pluto" */
  schema?: string;
}

interface SessionRow {
  id: string;
  tenant: string;
  agent: string;
  created_at: Date;
  last_seq: string;
}

function toInfo(row: SessionRow): SessionInfo {
  return {
    id: row.id,
    agent: row.agent,
    tenant: row.tenant,
    createdAt: row.created_at.toISOString(),
    lastSeq: Number(row.last_seq),
  };
}

/**
 * A {@link SessionStore} in PostgreSQL (tables `sessions` and `session_events`, migration 0001).
 *
 * Each append is ONE SQL statement, so it is atomic whatever happens to the connection: a data-modifying
 * CTE moves `sessions.last_seq` from `expectedSeq` to `expectedSeq + n` (an upsert for the first append,
 * an `UPDATE … WHERE last_seq = $expected` after that) and inserts the `n` events numbered from the new
 * value. When the guard matches no row nothing is written and the caller gets `SESSION_CONFLICT`.
 * Concurrent writers serialise on the session row's lock; READ COMMITTED re-checks the guard after the
 * wait, so exactly one of two writers with the same `expectedSeq` wins. An append resolves once
 * PostgreSQL has committed it (durable per the server's `synchronous_commit`).
 *
 * Events are stored as `json` text exactly as `encodeEvent` wrote them, and read back parsed. Every
 * statement filters by tenant and agent.
 */
export class PostgresSessionStore implements SessionStore {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #sessions: string;
  readonly #events: string;

  /** @throws PlutoError `CONFIG_INVALID` for a bad schema name. */
  constructor(options: PostgresSessionStoreOptions) {
    this.#pool = options.pool;
    this.#schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    const schema = quoteSchema(this.#schema);
    this.#sessions = `${schema}.sessions`;
    this.#events = `${schema}.session_events`;
  }

  #query<R extends pg.QueryResultRow>(
    action: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return queryPostgres<R>(this.#pool, this.#schema, action, text, values);
  }

  async #lastSeq(key: SessionKey): Promise<number> {
    const result = await this.#query<{ last_seq: string }>(
      `reading session "${key.session}"`,
      `SELECT last_seq FROM ${this.#sessions} WHERE tenant = $1 AND agent = $2 AND id = $3`,
      [key.tenant, key.agent, key.session],
    );
    return Number(result.rows[0]?.last_seq ?? 0);
  }

  /** See {@link SessionStore.append}. Also throws `BACKEND_UNAVAILABLE` (retryable) when PostgreSQL is unreachable. */
  async append(key: SessionKey, events: RunEvent[], options: AppendOptions): Promise<SessionEvent[]> {
    const checked = checkSessionKey(key);
    const expectedSeq = checkAppend(events, options);
    if (events.length === 0) {
      const actualSeq = await this.#lastSeq(checked);
      if (actualSeq !== expectedSeq) throw sessionConflict(checked, expectedSeq, actualSeq);
      return [];
    }
    const encoded = events.map((event, index) => encodeEvent(event, expectedSeq + index + 1));
    const count = encoded.length;
    const guard =
      expectedSeq === 0
        ? `INSERT INTO ${this.#sessions} AS s (tenant, agent, id, last_seq) VALUES ($1, $2, $3, $4)
           ON CONFLICT (tenant, agent, id) DO UPDATE SET last_seq = s.last_seq + $4 WHERE s.last_seq = $5
           RETURNING last_seq`
        : `UPDATE ${this.#sessions} SET last_seq = last_seq + $4
           WHERE tenant = $1 AND agent = $2 AND id = $3 AND last_seq = $5 RETURNING last_seq`;
    const text = `WITH moved AS (${guard})
      INSERT INTO ${this.#events} (tenant, agent, session, seq, event)
      SELECT $1, $2, $3, moved.last_seq - $4 + e.ord, e.event
      FROM moved, unnest($6::json[]) WITH ORDINALITY AS e(event, ord)`;
    const result = await this.#query(`appending to session "${checked.session}"`, text, [
      checked.tenant,
      checked.agent,
      checked.session,
      count,
      expectedSeq,
      encoded.map((item) => item.line),
    ]);
    if (result.rowCount !== count) {
      throw sessionConflict(checked, expectedSeq, await this.#lastSeq(checked));
    }
    return encoded.map((item) => item.event);
  }

  /** See {@link SessionStore.read}. */
  async read(key: SessionKey, options?: ReadOptions): Promise<SessionEvent[]> {
    const checked = checkSessionKey(key);
    const { after, limit } = checkReadOptions(options);
    if (limit === 0) return [];
    const result = await this.#query<{ event: SessionEvent }>(
      `reading session "${checked.session}"`,
      `SELECT event FROM ${this.#events}
       WHERE tenant = $1 AND agent = $2 AND session = $3 AND seq > $4 ORDER BY seq LIMIT $5`,
      [checked.tenant, checked.agent, checked.session, after, Number.isFinite(limit) ? limit : null],
    );
    return result.rows.map((row) => row.event);
  }

  /** See {@link SessionStore.info}. */
  async info(key: SessionKey): Promise<SessionInfo | undefined> {
    const checked = checkSessionKey(key);
    const result = await this.#query<SessionRow>(
      `reading session "${checked.session}"`,
      `SELECT id, tenant, agent, created_at, last_seq FROM ${this.#sessions}
       WHERE tenant = $1 AND agent = $2 AND id = $3`,
      [checked.tenant, checked.agent, checked.session],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toInfo(row);
  }

  /** See {@link SessionStore.list}. */
  async list(scope: Scope): Promise<SessionInfo[]> {
    const tenant = assertSafeName("tenant", scope?.tenant);
    const agent = assertSafeName("agent", scope?.agent);
    const result = await this.#query<SessionRow>(
      `listing sessions of agent "${agent}"`,
      `SELECT id, tenant, agent, created_at, last_seq FROM ${this.#sessions}
       WHERE tenant = $1 AND agent = $2 ORDER BY created_at DESC, id DESC`,
      [tenant, agent],
    );
    return result.rows.map(toInfo);
  }

  /** See {@link SessionStore.delete}. Events go with the session row (`ON DELETE CASCADE`). */
  async delete(key: SessionKey): Promise<void> {
    const checked = checkSessionKey(key);
    await this.#query(
      `deleting session "${checked.session}"`,
      `DELETE FROM ${this.#sessions} WHERE tenant = $1 AND agent = $2 AND id = $3`,
      [checked.tenant, checked.agent, checked.session],
    );
  }

  /** Nothing to release: the pool belongs to the caller (`PostgresPools.close()`). */
  async close(): Promise<void> {}
}
