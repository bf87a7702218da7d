import type pg from "pg";
import { assertSafeName } from "../../core/names.js";
import {
  checkTaskId,
  checkTaskListOptions,
  checkTaskProtocol,
  checkTaskPut,
  taskConflict,
} from "../task/task-input.js";
import type { TaskInput, TaskPage, TaskProtocol, TaskRecord, TaskStore } from "../task/task-store.js";
import { queryPostgres } from "./postgres-errors.js";
import { DEFAULT_POSTGRES_SCHEMA, quoteSchema } from "./postgres-schema.js";

/** Options for {@link PostgresTaskStore}. */
export interface PostgresTaskStoreOptions {
  /** A shared pool (from `PostgresPools.get(url)`); the store never ends it. */
  pool: pg.Pool;
  /** Schema holding the tables created by `migratePostgres` (table `tasks`, migration 0002). @default "pluto" */
  schema?: string;
}

interface TaskRow {
  id: string;
  protocol: TaskProtocol;
  agent: string;
  session: string;
  created_at: string;
  updated_at: Date;
  version: string;
  /** Parsed by `pg` (column type `json`). */
  data: Record<string, unknown>;
}

const COLUMNS = "id, protocol, agent, session, created_at, updated_at, version, data";

function toRecord(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    protocol: row.protocol,
    agent: row.agent,
    session: row.session,
    createdAt: row.created_at,
    updatedAt: row.updated_at.toISOString(),
    version: Number(row.version),
    data: row.data,
  };
}

/**
 * A {@link TaskStore} in PostgreSQL (table `tasks`, migration 0002), so every worker sees every task.
 *
 * Each `put` is ONE SQL statement guarded by the version: `INSERT … ON CONFLICT DO NOTHING` for
 * `expectedVersion: 0`, `UPDATE … SET version = version + 1 WHERE … AND version = $expected` after that.
 * When the guard matches no row nothing is written and the caller gets `SESSION_CONFLICT` with the
 * version read right after. Concurrent writers serialise on the row lock and READ COMMITTED re-checks
 * the guard after the wait, so of many writers with the same expected version exactly one wins, across
 * processes and hosts.
 *
 * `createdAt` is stored as the caller's ISO-8601 text (collation "C") and returned unchanged; lists sort
 * on it, then on the id, by code point, like the other backends. `updatedAt` is the database clock
 * (`now()` at millisecond precision), one clock for every worker. `data` is kept as `json` text, so NUL
 * characters and key order survive. Every statement is scoped by tenant and protocol.
 */
export class PostgresTaskStore implements TaskStore {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #tasks: string;

  /** @throws PlutoError `CONFIG_INVALID` for a bad schema name. */
  constructor(options: PostgresTaskStoreOptions) {
    this.#pool = options.pool;
    this.#schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    this.#tasks = `${quoteSchema(this.#schema)}.tasks`;
  }

  #query<R extends pg.QueryResultRow>(
    action: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return queryPostgres<R>(this.#pool, this.#schema, action, text, values);
  }

  /**
   * See {@link TaskStore.put}. Also throws `BACKEND_UNAVAILABLE` (retryable) when PostgreSQL is
   * unreachable; a write whose acknowledgement was lost shows up as `SESSION_CONFLICT` when retried.
   */
  async put(tenant: string, task: TaskInput, options: { expectedVersion: number }): Promise<TaskRecord> {
    const checked = checkTaskPut(tenant, task, options);
    const { id, protocol, agent, session, createdAt } = checked.task;
    const action = `writing task "${id}" (${protocol})`;
    const now = "date_trunc('milliseconds', now())";
    const text =
      checked.expectedVersion === 0
        ? `INSERT INTO ${this.#tasks} (tenant, protocol, id, agent, session, created_at, updated_at, version, data)
           VALUES ($1, $2, $3, $4, $5, $6, ${now}, 1, $7::json)
           ON CONFLICT (tenant, protocol, id) DO NOTHING
           RETURNING updated_at, version`
        : `UPDATE ${this.#tasks}
           SET agent = $4, session = $5, created_at = $6, updated_at = ${now}, version = version + 1, data = $7::json
           WHERE tenant = $1 AND protocol = $2 AND id = $3 AND version = $8
           RETURNING updated_at, version`;
    const values = [checked.tenant, protocol, id, agent, session, createdAt, checked.dataJson];
    if (checked.expectedVersion !== 0) values.push(String(checked.expectedVersion));
    const result = await this.#query<{ updated_at: Date; version: string }>(action, text, values);
    const row = result.rows[0];
    if (row === undefined) {
      const current = await this.#query<{ version: string }>(
        action,
        `SELECT version FROM ${this.#tasks} WHERE tenant = $1 AND protocol = $2 AND id = $3`,
        [checked.tenant, protocol, id],
      );
      throw taskConflict(checked.task, checked.expectedVersion, Number(current.rows[0]?.version ?? 0));
    }
    return { ...checked.task, version: Number(row.version), updatedAt: row.updated_at.toISOString() };
  }

  /** See {@link TaskStore.get}. */
  async get(tenant: string, protocol: TaskProtocol, id: string): Promise<TaskRecord | undefined> {
    const checkedTenant = assertSafeName("tenant", tenant);
    const checkedProtocol = checkTaskProtocol(protocol);
    const checkedId = checkTaskId(id);
    const result = await this.#query<TaskRow>(
      `reading task "${checkedId}" (${checkedProtocol})`,
      `SELECT ${COLUMNS} FROM ${this.#tasks} WHERE tenant = $1 AND protocol = $2 AND id = $3`,
      [checkedTenant, checkedProtocol, checkedId],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toRecord(row);
  }

  /**
   * See {@link TaskStore.list}. Oldest `createdAt` first, ties by id. The total and the page come from
   * one statement, so they agree with each other.
   */
  async list(
    tenant: string,
    protocol: TaskProtocol,
    options?: { agent?: string; offset?: number; limit?: number },
  ): Promise<TaskPage> {
    const checkedTenant = assertSafeName("tenant", tenant);
    const checkedProtocol = checkTaskProtocol(protocol);
    const { agent, offset, limit } = checkTaskListOptions(options);
    const where = "tenant = $1 AND protocol = $2 AND ($3::text IS NULL OR agent = $3)";
    const result = await this.#query<{ total: string } & { [K in keyof TaskRow]: TaskRow[K] | null }>(
      `listing ${checkedProtocol} tasks`,
      `SELECT counted.total, page.*
       FROM (SELECT count(*) AS total FROM ${this.#tasks} WHERE ${where}) AS counted
       LEFT JOIN LATERAL (
         SELECT ${COLUMNS} FROM ${this.#tasks} WHERE ${where}
         ORDER BY created_at, id OFFSET $4 LIMIT $5
       ) AS page ON true`,
      [checkedTenant, checkedProtocol, agent ?? null, String(offset), String(limit)],
    );
    const total = Number(result.rows[0]?.total ?? 0);
    const tasks = result.rows
      .filter((row): row is { total: string } & TaskRow => row.id !== null)
      .map((row) => toRecord(row));
    return { tasks, total };
  }

  /** See {@link TaskStore.delete}. */
  async delete(tenant: string, protocol: TaskProtocol, id: string): Promise<void> {
    const checkedTenant = assertSafeName("tenant", tenant);
    const checkedProtocol = checkTaskProtocol(protocol);
    const checkedId = checkTaskId(id);
    await this.#query(
      `deleting task "${checkedId}" (${checkedProtocol})`,
      `DELETE FROM ${this.#tasks} WHERE tenant = $1 AND protocol = $2 AND id = $3`,
      [checkedTenant, checkedProtocol, checkedId],
    );
  }

  /** Nothing to release: the pool belongs to the caller (`PostgresPools.close()`). */
  async close(): Promise<void> {}
}
