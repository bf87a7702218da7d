import { PlutoError } from "../../core/errors.js";
import type { Scope } from "../../core/scope.js";
import type { SessionKey } from "../session/session-store.js";

/** The key prefix every Redis backend uses unless told otherwise. */
export const DEFAULT_REDIS_PREFIX = "pluto";

/** A prefix: 1-64 letters, digits, `.`, `_`, `-` or `:`, starting with a letter or digit. */
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/**
 * Checks a Redis key prefix (option `prefix` of every Redis backend).
 * @returns the prefix, or {@link DEFAULT_REDIS_PREFIX} when `prefix` is undefined.
 * @throws PlutoError `CONFIG_INVALID` when it does not match `[A-Za-z0-9][A-Za-z0-9._:-]{0,63}`.
 */
export function checkRedisPrefix(prefix: string | undefined): string {
  if (prefix === undefined) return DEFAULT_REDIS_PREFIX;
  if (typeof prefix !== "string" || !PREFIX.test(prefix)) {
    throw new PlutoError(
      "CONFIG_INVALID",
      `Invalid Redis key prefix ${JSON.stringify(String(prefix).slice(0, 80))}: use 1-64 letters, digits, '.', '_', '-' or ':', starting with a letter or digit.`,
      { details: { prefix: String(prefix).slice(0, 200) } },
    );
  }
  return prefix;
}

/**
 * `<prefix>:t:<tenant>:a:<agent>`: the root of every key of one scope. Tenant and agent are safe
 * names (no `:`), so the layout is unambiguous. Callers validate the names first.
 */
export function scopeKey(prefix: string, scope: Scope): string {
  return `${prefix}:t:${scope.tenant}:a:${scope.agent}`;
}

/** `<prefix>:t:<tenant>:a:<agent>:s:<session>`: the root of every key of one session. */
export function sessionRoot(prefix: string, key: SessionKey): string {
  return `${scopeKey(prefix, key)}:s:${key.session}`;
}

/** The keys the session store, the fan-out and the leases use for one session. */
export interface SessionRedisKeys {
  /** Stream of events, entry ids `<seq>-0`, one field `e` holding the event's JSON. */
  events: string;
  /** Hash: `id`, `agent`, `tenant`, `createdAt` (ISO-8601), `lastSeq`. */
  info: string;
  /** Sorted set of the scope's session ids, score = creation time in ms since the epoch. */
  sessions: string;
  /** Pub/sub channel of the session's fan-out. */
  channel: string;
  /** String holding the current lease owner's token, with a PX time-to-live. */
  lease: string;
}

/** Every key of one session (see {@link SessionRedisKeys} and docs/backends/redis.md). */
export function sessionRedisKeys(prefix: string, key: SessionKey): SessionRedisKeys {
  const root = sessionRoot(prefix, key);
  return {
    events: `${root}:events`,
    info: `${root}:info`,
    sessions: `${scopeKey(prefix, key)}:sessions`,
    channel: `${root}:fanout`,
    lease: `${root}:lease`,
  };
}
