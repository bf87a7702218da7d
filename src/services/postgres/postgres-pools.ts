import pg from "pg";

/** Where pool diagnostics go (the runtime's log in production). */
export type PostgresLog = (level: "info" | "warn" | "error", message: string) => void;

/** Options for {@link PostgresPools}; the same limits apply to every URL's pool. */
export interface PostgresPoolsOptions {
  /** Most connections one pool (one URL) opens. @default 10 */
  max?: number;
  /** Close a connection idle this long, in milliseconds. @default 30000 */
  idleTimeoutMs?: number;
  /** PostgreSQL's `statement_timeout` for every connection, in milliseconds; 0 disables it. @default 30000 */
  statementTimeoutMs?: number;
  /**
   * Client-side bound on one query, in milliseconds (`pg`'s `query_timeout`): a server that stops
   * answering (a silent network, a stalled proxy) fails the query instead of holding it forever, and the
   * connection is dropped from the pool. 0 disables it. @default statementTimeoutMs + 2000 (so a live
   * server cancels first and keeps the connection), 32000
   */
  queryTimeoutMs?: number;
  /** Give up opening a connection (TCP connect and start-up) after this many milliseconds. @default 5000 */
  connectionTimeoutMs?: number;
  /** Idle time before the first TCP keepalive probe, in milliseconds; finds dead peers of idle connections. @default 10000 */
  keepAliveInitialDelayMs?: number;
  /** Receives connection errors of idle clients (which `pg` emits instead of throwing). @default no-op */
  log?: PostgresLog;
}

/** Hides the password of a connection URL for log lines. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparsable PostgreSQL URL>";
  }
}

/**
 * One bounded `pg.Pool` per connection URL, shared by every PostgreSQL store (and the migration
 * runner) of a process, so the connection count stays `max` per URL whatever the number of stores.
 * Build one in the composition root, pass `pools.get(url)` to stores, and `close()` it at shutdown.
 */
export class PostgresPools {
  readonly #options: Required<PostgresPoolsOptions>;
  readonly #pools = new Map<string, pg.Pool>();
  #closed = false;

  constructor(options: PostgresPoolsOptions = {}) {
    const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
    this.#options = {
      max: options.max ?? 10,
      idleTimeoutMs: options.idleTimeoutMs ?? 30_000,
      statementTimeoutMs,
      queryTimeoutMs: options.queryTimeoutMs ?? (statementTimeoutMs > 0 ? statementTimeoutMs + 2000 : 32_000),
      connectionTimeoutMs: options.connectionTimeoutMs ?? 5_000,
      keepAliveInitialDelayMs: options.keepAliveInitialDelayMs ?? 10_000,
      log: options.log ?? (() => {}),
    };
  }

  /**
   * The pool for `url` (a `postgres://user:password@host:port/database` connection string), created on
   * first use. Connections are opened lazily, so an unreachable server surfaces on the first query.
   * @throws Error when called after {@link close}.
   */
  get(url: string): pg.Pool {
    if (this.#closed) throw new Error("PostgresPools is closed; build a new one.");
    let pool = this.#pools.get(url);
    if (pool === undefined) {
      const { max, idleTimeoutMs, statementTimeoutMs, queryTimeoutMs, connectionTimeoutMs, log } =
        this.#options;
      pool = new pg.Pool({
        connectionString: url,
        max,
        idleTimeoutMillis: idleTimeoutMs,
        connectionTimeoutMillis: connectionTimeoutMs,
        ...(statementTimeoutMs > 0 ? { statement_timeout: statementTimeoutMs } : {}),
        ...(queryTimeoutMs > 0 ? { query_timeout: queryTimeoutMs } : {}),
        application_name: "pluto",
        keepAlive: true,
        keepAliveInitialDelayMillis: this.#options.keepAliveInitialDelayMs,
      });
      const where = redactUrl(url);
      // pg emits 'error' on idle clients whose connection dies; unhandled, that would crash the process.
      pool.on("error", (error) => {
        log(
          "warn",
          `PostgreSQL connection to ${where} failed while idle (${error.message}); it will be reopened on next use.`,
        );
      });
      this.#pools.set(url, pool);
    }
    return pool;
  }

  /** Ends every pool (waits for checked-out clients to be released). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.end().catch(() => {})));
  }
}
