import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import pg from "pg";
import { it } from "vitest";

/**
 * Real servers for backend tests (PostgreSQL, Redis).
 *
 * Each helper reads its URL from the environment (with the local default), probes the server once and
 * returns the URL when it answers. When it does not:
 * - under `CI=true` it throws, so the test file fails (CI must never skip a backend silently);
 * - otherwise it registers a skipped test whose name gives the reason (visible in the vitest report),
 *   prints the reason on stderr, and returns `undefined`. Guard the suites with
 *   `describe.skipIf(url === undefined)`.
 *
 * Call them at the top level of a test file with `await` (vitest supports top-level await):
 * ```ts
 * const url = await postgresUrlOrSkip();
 * describe.skipIf(url === undefined)("PostgresSessionStore", () => { ... });
 * ```
 */

/** Default PostgreSQL URL of this machine and CI (trust auth, database `test`). */
export const DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";
/** Default Redis URL of this machine and CI (no persistence). */
export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

const PROBE_TIMEOUT_MS = 3000;

function unavailable(service: string, variable: string, url: string, reason: string): undefined {
  const message = `${service} unreachable at ${redact(url)} (${reason}); set ${variable} or start the server`;
  if (process.env.CI === "true") {
    throw new Error(`${message}. Backend tests never skip under CI=true.`);
  }
  process.stderr.write(`[skip] ${message}\n`);
  it.skip(`skipped: ${message}`, () => {});
  return undefined;
}

/** Hides a password in a URL for messages. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<invalid URL>";
  }
}

/**
 * PostgreSQL URL from `PLUTO_TEST_POSTGRES_URL` (default {@link DEFAULT_POSTGRES_URL}) after a
 * `SELECT 1` succeeds within 3 s; `undefined` (test skipped with a reason) when unreachable, an error
 * under `CI=true`.
 */
export async function postgresUrlOrSkip(): Promise<string | undefined> {
  const url = process.env.PLUTO_TEST_POSTGRES_URL || DEFAULT_POSTGRES_URL;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return url;
  } catch (error) {
    return unavailable("PostgreSQL", "PLUTO_TEST_POSTGRES_URL", url, errorText(error));
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Redis URL from `PLUTO_TEST_REDIS_URL` (default {@link DEFAULT_REDIS_URL}) after a `PING` answers
 * `+PONG` within 3 s; `undefined` (test skipped with a reason) when unreachable, an error under `CI=true`.
 * Only plain `redis://host:port` URLs are probed (no TLS, no AUTH).
 */
export async function redisUrlOrSkip(): Promise<string | undefined> {
  const url = process.env.PLUTO_TEST_REDIS_URL || DEFAULT_REDIS_URL;
  try {
    await pingRedis(url);
    return url;
  } catch (error) {
    return unavailable("Redis", "PLUTO_TEST_REDIS_URL", url, errorText(error));
  }
}

function pingRedis(url: string): Promise<void> {
  const parsed = new URL(url);
  const port = Number(parsed.port || 6379);
  const host = parsed.hostname || "127.0.0.1";
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`));
    }, PROBE_TIMEOUT_MS);
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n")) {
        clearTimeout(timer);
        socket.end();
        if (reply.startsWith("+PONG")) resolve();
        else reject(new Error(`unexpected reply ${JSON.stringify(reply.trim())}`));
      }
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error);
}

/**
 * A unique lowercase name with the given prefix (letters, digits, `_`), e.g. `pluto_test_1a2b3c4d5e6f`:
 * use it for a per-test-file PostgreSQL schema, tenant names or a Redis key prefix.
 */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}
