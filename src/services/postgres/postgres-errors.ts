import type pg from "pg";
import { type ErrorCode, isPlutoError, PlutoError } from "../../core/errors.js";

/**
 * Turns what `pg` throws into a {@link PlutoError} that says how to fix it. Decides `retryable` where
 * the error is born: lost connections, refused connections and timeouts may succeed when repeated.
 */

/** Code for "the database cannot be reached or timed out" (HTTP 503). */
const UNAVAILABLE: ErrorCode = "BACKEND_UNAVAILABLE";

/** Node socket errors that mean the server is unreachable or went away. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/** What `pg` says when a socket closes or a connection attempt times out (it sets no code then). */
const NETWORK_MESSAGES =
  /Connection terminated|connection error|not queryable|timeout exceeded when trying to connect|Query read timeout|socket|ECONNRESET/i;

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function isUnavailable(error: unknown): boolean {
  const code = sqlState(error);
  if (code !== undefined) {
    // Class 08 (connection exception), 57P01-57P03 (shutdown, cannot connect now), 53300 (too many connections).
    if (NETWORK_CODES.has(code) || code.startsWith("08") || /^57P0[1-3]$/.test(code) || code === "53300") {
      return true;
    }
  }
  return error instanceof Error && NETWORK_MESSAGES.test(error.message);
}

/**
 * Maps an error from a PostgreSQL call. A {@link PlutoError} passes through unchanged.
 * @param action what was being done, for the message (e.g. `appending to session "s1"`).
 * @param schema the configured schema, named when tables are missing.
 * @returns a PlutoError: `BACKEND_UNAVAILABLE` with `retryable: true`
 *   and details `{ backend: "postgres", reason: "unavailable" | "timeout", sqlState? }` when the server is
 *   unreachable, the connection dropped or a statement timed out; `INTERNAL` (reason `missing-tables`)
 *   naming `pluto migrate` when the tables are missing; `INTERNAL` (reason `query-failed`) otherwise.
 */
export function postgresError(error: unknown, action: string, schema: string): PlutoError {
  if (isPlutoError(error)) return error;
  const code = sqlState(error);
  const reason = error instanceof Error ? error.message : String(error);
  const details = (kind: string) => ({
    backend: "postgres",
    reason: kind,
    ...(code === undefined ? {} : { sqlState: code }),
  });
  if (isUnavailable(error)) {
    return new PlutoError(
      UNAVAILABLE,
      `PostgreSQL is unreachable or dropped the connection while ${action} (${reason}). Check that the server is running and the configured url is right; if this was a write, it may or may not have been stored: read before retrying.`,
      { details: details("unavailable"), cause: error, retryable: true },
    );
  }
  if (code === "57014") {
    return new PlutoError(
      UNAVAILABLE,
      `PostgreSQL cancelled a statement while ${action} (statement timeout). Raise statementTimeoutMs or check the server's load.`,
      { details: details("timeout"), cause: error, retryable: true },
    );
  }
  if (code === "42P01" || code === "3F000") {
    return new PlutoError(
      "INTERNAL",
      `Pluto's tables are missing in PostgreSQL schema "${schema}" while ${action}: run \`pluto migrate\` (or start the server with migrations enabled).`,
      { details: details("missing-tables"), cause: error },
    );
  }
  return new PlutoError("INTERNAL", `PostgreSQL failed while ${action}: ${reason}`, {
    details: details("query-failed"),
    cause: error,
  });
}

/**
 * Runs one statement on `pool`, mapping any failure with {@link postgresError} (the one query path of
 * every PostgreSQL store). @throws PlutoError as `postgresError` describes.
 */
export async function queryPostgres<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  schema: string,
  action: string,
  text: string,
  values: unknown[],
): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(text, values);
  } catch (error) {
    throw postgresError(error, action, schema);
  }
}
