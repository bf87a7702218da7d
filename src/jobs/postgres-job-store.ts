import type pg from "pg";
import { assertSafeName } from "../core/names.js";
import { postgresError, queryPostgres } from "../services/postgres/postgres-errors.js";
import { DEFAULT_POSTGRES_SCHEMA, quoteSchema } from "../services/postgres/postgres-schema.js";
import { withTransaction } from "../services/postgres/postgres-transaction.js";
import type { Job, JobStatus } from "./job.js";
import {
  checkClaim,
  checkJobList,
  checkWorker,
  emptyJobCounts,
  encodeJobCursor,
  finishEvent,
  isJobId,
  jobNotFound,
  newJob,
  nowOf,
} from "./job-input.js";
import { applyJobEvent, type JobEvent } from "./job-state.js";
import type {
  JobClaimOptions,
  JobCounts,
  JobCreateInput,
  JobCreateResult,
  JobLeaseOptions,
  JobListOptions,
  JobOutcome,
  JobPage,
  JobStore,
  JobWorkerOptions,
} from "./job-store.js";
import { COLUMNS, type JobRow, PLACEHOLDERS, rowValues, toJob } from "./postgres-job-row.js";

/** Options for {@link PostgresJobStore}. */
export interface PostgresJobStoreOptions {
  /** A shared pool (from `PostgresPools.get(url)`); the store never ends it. */
  pool: pg.Pool;
  /** Schema holding the tables of migration 0004 (`jobs`, `job_pauses`). @default "pluto" */
  schema?: string;
  /** Most lapsed leases one `reclaimExpired` call takes back. @default 100 */
  reclaimBatch?: number;
}

/**
 * A {@link JobStore} in PostgreSQL (tables `jobs` and `job_pauses`, migration 0004), shared by every
 * worker of complex mode.
 *
 * `claim` is ONE statement: `UPDATE … FROM (SELECT … WHERE status = 'queued' AND run_at <= now ORDER BY
 * run_at, created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)`, so concurrent workers never wait for each
 * other and never get the same job, and a paused tenant (a row in `job_pauses`) is skipped in the same
 * snapshot. The lease owner's `heartbeat`, `finish` and `acknowledgeAbort` are one guarded `UPDATE`
 * each (the hot path); every other transition, and every refusal, reads the row `FOR UPDATE` in a
 * transaction, applies the pure state machine of `job-state.ts` and writes the result. The contract
 * and property suites check both paths against that one definition; a lease owner's late `finish`
 * after a reclaim is refused. Every statement on a job names its tenant;
 * `claim` and `reclaimExpired` serve all tenants on purpose (workers are shared).
 * Unreachable server: PlutoError `BACKEND_UNAVAILABLE` (retryable).
 */
export class PostgresJobStore implements JobStore {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #jobs: string;
  readonly #pauses: string;
  readonly #reclaimBatch: number;

  /** @throws PlutoError `CONFIG_INVALID` for a bad schema name. */
  constructor(options: PostgresJobStoreOptions) {
    this.#pool = options.pool;
    this.#schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
    const schema = quoteSchema(this.#schema);
    this.#jobs = `${schema}.jobs`;
    this.#pauses = `${schema}.job_pauses`;
    this.#reclaimBatch = options.reclaimBatch ?? 100;
  }

  #query<R extends pg.QueryResultRow>(
    action: string,
    text: string,
    values: unknown[],
  ): Promise<pg.QueryResult<R>> {
    return queryPostgres<R>(this.#pool, this.#schema, action, text, values);
  }

  /** Runs `work` in a transaction, mapping driver errors like {@link queryPostgres}. */
  async #transaction<T>(action: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      return await withTransaction(this.#pool, work);
    } catch (error) {
      throw postgresError(error, action, this.#schema);
    }
  }

  /** Overwrites every mutable column of `job` (inside a transaction that holds its row lock). */
  async #write(client: pg.PoolClient, job: Job): Promise<void> {
    const values = rowValues(job);
    await client.query(
      `UPDATE ${this.#jobs} SET (${COLUMNS}) = (${PLACEHOLDERS}) WHERE tenant = $1 AND id = $2`,
      values,
    );
  }

  /** Locks the tenant's job, applies `event`, stores and returns the result. */
  #apply(tenant: string, id: string, event: JobEvent): Promise<Job> {
    assertSafeName("tenant", tenant);
    if (!isJobId(id)) return Promise.reject(jobNotFound(id));
    return this.#transaction(`updating job "${id}" (${event.type})`, async (client) => {
      const result = await client.query<JobRow>(
        `SELECT ${COLUMNS} FROM ${this.#jobs} WHERE tenant = $1 AND id = $2 FOR UPDATE`,
        [tenant, id],
      );
      const row = result.rows[0];
      if (row === undefined) throw jobNotFound(id);
      const job = toJob(row);
      const next = applyJobEvent(job, event);
      if (next !== job) await this.#write(client, next);
      return next;
    });
  }

  /** See {@link JobStore.create}. */
  async create(tenant: string, input: JobCreateInput, options?: { now?: number }): Promise<JobCreateResult> {
    const job = newJob(tenant, input, nowOf(options));
    const action = `creating a job for agent "${job.agent}"`;
    const conflict =
      job.idempotencyKey === undefined
        ? ""
        : "ON CONFLICT (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING";
    const inserted = await this.#query<JobRow>(
      action,
      `INSERT INTO ${this.#jobs} (${COLUMNS}) VALUES (${PLACEHOLDERS}) ${conflict} RETURNING ${COLUMNS}`,
      rowValues(job),
    );
    const row = inserted.rows[0];
    if (row !== undefined) return { job: toJob(row), created: true };
    const existing = await this.#query<JobRow>(
      action,
      `SELECT ${COLUMNS} FROM ${this.#jobs} WHERE tenant = $1 AND idempotency_key = $2`,
      [tenant, job.idempotencyKey],
    );
    const found = existing.rows[0];
    // A job deleted between the two statements is impossible (jobs are never deleted); be safe anyway.
    if (found === undefined) return this.create(tenant, input, options);
    return { job: toJob(found), created: false };
  }

  /** See {@link JobStore.get}. */
  async get(tenant: string, id: string): Promise<Job | undefined> {
    assertSafeName("tenant", tenant);
    if (!isJobId(id)) return undefined;
    const result = await this.#query<JobRow>(
      `reading job "${id}"`,
      `SELECT ${COLUMNS} FROM ${this.#jobs} WHERE tenant = $1 AND id = $2`,
      [tenant, id],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toJob(row);
  }

  /** See {@link JobStore.list}. One statement; fetches one row more than `limit` to know whether more follow. */
  async list(tenant: string, options?: JobListOptions): Promise<JobPage> {
    const { status, agent, cursor, limit } = checkJobList(tenant, options);
    const result = await this.#query<JobRow>(
      "listing jobs",
      `SELECT ${COLUMNS} FROM ${this.#jobs}
       WHERE tenant = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR agent = $3)
         AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::text COLLATE "C"))
       ORDER BY created_at DESC, id DESC
       LIMIT $6`,
      [tenant, status ?? null, agent ?? null, cursor?.createdAt ?? null, cursor?.id ?? null, limit + 1],
    );
    const jobs = result.rows.slice(0, limit).map(toJob);
    const last = jobs.at(-1);
    return result.rows.length > limit && last !== undefined
      ? { jobs, nextCursor: encodeJobCursor(last) }
      : { jobs };
  }

  /** See {@link JobStore.claim}. The same change as the `claim` event of `job-state.ts`, in one statement. */
  async claim(options: JobClaimOptions): Promise<Job | undefined> {
    const { worker, leaseMs, now } = checkClaim(options);
    const at = new Date(now).toISOString();
    const result = await this.#query<JobRow>(
      "claiming a job",
      `UPDATE ${this.#jobs} AS job
       SET status = 'running', attempts = job.attempts + 1, lease_owner = $1, lease_expires_at = $2,
           run_id = COALESCE($3, job.run_id), updated_at = $4
       FROM (
         SELECT candidate.tenant, candidate.id FROM ${this.#jobs} AS candidate
         WHERE candidate.status = 'queued' AND candidate.run_at <= $4
           AND NOT EXISTS (SELECT 1 FROM ${this.#pauses} AS paused WHERE paused.tenant = candidate.tenant)
         ORDER BY candidate.run_at, candidate.created_at, candidate.id
         LIMIT 1
         FOR UPDATE SKIP LOCKED
       ) AS due
       WHERE job.tenant = due.tenant AND job.id = due.id
       RETURNING ${COLUMNS.split(", ")
         .map((column) => `job.${column}`)
         .join(", ")}`,
      [worker, new Date(now + leaseMs).toISOString(), options.runId ?? null, at],
    );
    const row = result.rows[0];
    return row === undefined ? undefined : toJob(row);
  }

  /**
   * The lease owner's events in ONE statement, guarded exactly as `transitionJob` guards them (status,
   * owner, lease not lapsed at `now`): the hot path of every worker. When the guard matches no row the
   * event goes through {@link #apply}, which throws the state machine's refusal (or `JOB_NOT_FOUND`).
   */
  async #ownerEvent(tenant: string, id: string, event: JobEvent & { worker: string }): Promise<Job> {
    assertSafeName("tenant", tenant);
    if (!isJobId(id)) throw jobNotFound(id);
    const at = new Date(event.now).toISOString();
    const values: unknown[] = [tenant, id, event.worker, at];
    let change: string;
    let from: string;
    switch (event.type) {
      case "heartbeat":
        values.push(new Date(event.now + event.leaseMs).toISOString());
        change = "lease_expires_at = $5";
        from = "'running', 'aborting'";
        break;
      case "complete":
        values.push(JSON.stringify(event.output));
        change = "status = 'completed', output = $5, lease_owner = NULL, lease_expires_at = NULL";
        from = "'running'";
        break;
      case "fail":
        values.push(JSON.stringify(event.error));
        change = "status = 'failed', error = $5, lease_owner = NULL, lease_expires_at = NULL";
        from = "'running'";
        break;
      default:
        change = "status = 'aborted', lease_owner = NULL, lease_expires_at = NULL";
        from = "'aborting'";
    }
    const result = await this.#query<JobRow>(
      `updating job "${id}" (${event.type})`,
      `UPDATE ${this.#jobs} SET ${change}, updated_at = $4
       WHERE tenant = $1 AND id = $2 AND status IN (${from}) AND lease_owner = $3 AND lease_expires_at > $4
       RETURNING ${COLUMNS}`,
      values,
    );
    const row = result.rows[0];
    return row === undefined ? this.#apply(tenant, id, event) : toJob(row);
  }

  /** See {@link JobStore.heartbeat}. */
  async heartbeat(tenant: string, id: string, options: JobLeaseOptions): Promise<Job> {
    const { worker, leaseMs, now } = checkClaim(options);
    return this.#ownerEvent(tenant, id, { type: "heartbeat", worker, leaseMs, now });
  }

  /** See {@link JobStore.finish}. */
  async finish(tenant: string, id: string, outcome: JobOutcome, options: JobWorkerOptions): Promise<Job> {
    const worker = checkWorker(options);
    const now = nowOf(options);
    return this.#ownerEvent(tenant, id, finishEvent(outcome, worker, now));
  }

  /** See {@link JobStore.approve}. */
  async approve(tenant: string, id: string, options?: { now?: number }): Promise<Job> {
    return this.#apply(tenant, id, { type: "approve", now: nowOf(options) });
  }

  /** See {@link JobStore.requestAbort}. */
  async requestAbort(tenant: string, id: string, options?: { now?: number }): Promise<Job> {
    return this.#apply(tenant, id, { type: "abort", now: nowOf(options) });
  }

  /** See {@link JobStore.acknowledgeAbort}. */
  async acknowledgeAbort(tenant: string, id: string, options: JobWorkerOptions): Promise<Job> {
    const worker = checkWorker(options);
    return this.#ownerEvent(tenant, id, { type: "acknowledge-abort", worker, now: nowOf(options) });
  }

  /**
   * See {@link JobStore.reclaimExpired}. Takes at most `reclaimBatch` lapsed leases per call, skipping
   * rows another worker is changing (`SKIP LOCKED`), in one transaction.
   */
  async reclaimExpired(options?: { now?: number }): Promise<Job[]> {
    const now = nowOf(options);
    return this.#transaction("reclaiming lapsed job leases", async (client) => {
      const result = await client.query<JobRow>(
        `SELECT ${COLUMNS} FROM ${this.#jobs}
         WHERE status IN ('running', 'aborting') AND lease_expires_at <= $1
         ORDER BY lease_expires_at
         LIMIT $2
         FOR UPDATE SKIP LOCKED`,
        [new Date(now).toISOString(), this.#reclaimBatch],
      );
      const changed: Job[] = [];
      for (const row of result.rows) {
        const next = applyJobEvent(toJob(row), { type: "expire", now });
        await this.#write(client, next);
        changed.push(next);
      }
      return changed;
    });
  }

  /** See {@link JobStore.counts}. */
  async counts(tenant: string): Promise<JobCounts> {
    assertSafeName("tenant", tenant);
    const result = await this.#query<{ status: JobStatus; count: string }>(
      "counting jobs",
      `SELECT status, count(*) AS count FROM ${this.#jobs} WHERE tenant = $1 GROUP BY status`,
      [tenant],
    );
    const counts = emptyJobCounts();
    for (const row of result.rows) counts[row.status] = Number(row.count);
    return counts;
  }

  /** See {@link JobStore.setPaused}. */
  async setPaused(tenant: string, paused: boolean): Promise<void> {
    assertSafeName("tenant", tenant);
    await this.#query(
      paused ? "pausing jobs" : "resuming jobs",
      paused
        ? `INSERT INTO ${this.#pauses} (tenant, paused_at) VALUES ($1, now()) ON CONFLICT (tenant) DO NOTHING`
        : `DELETE FROM ${this.#pauses} WHERE tenant = $1`,
      [tenant],
    );
  }

  /** See {@link JobStore.isPaused}. */
  async isPaused(tenant: string): Promise<boolean> {
    assertSafeName("tenant", tenant);
    const result = await this.#query(
      "reading the pause flag",
      `SELECT 1 FROM ${this.#pauses} WHERE tenant = $1`,
      [tenant],
    );
    return result.rows.length > 0;
  }

  /** Nothing to release: the pool belongs to the caller (`PostgresPools.close()`). */
  async close(): Promise<void> {}
}
