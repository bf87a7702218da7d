import { errorMessage, isPlutoError, PlutoError } from "../../core/errors.js";

/** What the failed call was doing, for the error message and `details.operation`. */
export type RedisOperation =
  | "session append"
  | "session read"
  | "session info"
  | "session list"
  | "session delete"
  | "fan-out publish"
  | "fan-out subscribe"
  | "lease acquire"
  | "lease renew"
  | "lease release";

/** True for an error Redis itself answered (`-ERR …`, a Lua error), as opposed to a transport failure. */
export function isRedisReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError";
}

/**
 * Turns what an ioredis call rejected with into a {@link PlutoError}:
 * - a PlutoError passes through unchanged;
 * - a Redis reply error (the server refused the command) becomes `INTERNAL`, not retryable;
 * - anything else (connection refused or closed, offline, `Command timed out`, retries exhausted)
 *   becomes `INTERNAL` with `retryable: true` and a message that names the cause and the fix.
 * Writes whose reply was lost may or may not have been applied; `uncertainWrite` adds that to the
 * message so callers re-read before retrying.
 * @returns the error with `details: { backend: "redis", operation }` and the original as `cause`.
 */
export function toRedisError(error: unknown, operation: RedisOperation, uncertainWrite = false): PlutoError {
  if (isPlutoError(error)) return error;
  // With maxRetriesPerRequest 0 a command in flight when the connection drops fails with this error.
  const reason =
    error instanceof Error && error.name === "MaxRetriesPerRequestError"
      ? "the connection dropped before Redis answered"
      : errorMessage(error);
  const details = { backend: "redis", operation, reason };
  if (isRedisReplyError(error)) {
    return new PlutoError(
      "INTERNAL",
      `Redis refused the ${operation}: ${reason}. Check the server's configuration (maxmemory-policy noeviction, Redis >= 6.0) and its logs.`,
      { details, cause: error },
    );
  }
  const outcome = uncertainWrite
    ? " The write may or may not have been applied: read the session's info() before retrying."
    : "";
  return new PlutoError(
    "BACKEND_UNAVAILABLE",
    `Redis is unreachable during ${operation} (${reason}). Check that the Redis server is running and that the configured URL is right; the client reconnects by itself.${outcome}`,
    { details, cause: error, retryable: true },
  );
}
