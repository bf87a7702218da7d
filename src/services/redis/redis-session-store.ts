import type { Redis } from "ioredis";
import { PlutoError } from "../../core/errors.js";
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
import { toRedisError } from "./redis-errors.js";
import { checkRedisPrefix, scopeKey, sessionRedisKeys } from "./redis-keys.js";
import { defineScript, type RedisScript } from "./redis-script.js";

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /** A command connection (see `createRedisClient`); owned by the caller, never closed by the store. */
  redis: Redis;
  /** First segment of every key; lets several deployments share one server. @default "pluto" */
  prefix?: string;
}

/**
 * Append script. KEYS: events stream, info hash, scope sorted set. ARGV: expectedSeq, createdAt ISO,
 * createdAt ms, session id, agent, tenant, then one JSON line per event (already numbered from
 * expectedSeq + 1). Replies `{1, lastSeq}` on success, `{0, actualSeq}` on conflict, `{2, streamLast}`
 * when the stream has entries the header does not know of (checked before any write, because a
 * failing command in the middle of a script does not undo the writes before it).
 */
const APPEND_LUA = `
local last = tonumber(redis.call('HGET', KEYS[2], 'lastSeq') or '0')
local expected = tonumber(ARGV[1])
if last ~= expected then return {0, last} end
local count = #ARGV - 6
if count == 0 then return {1, last} end
local top = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if top ~= nil and top[1] ~= string.format('%d-0', last) then return {2, tonumber(string.match(top[1], '^(%d+)'))} end
if last == 0 then
  redis.call('HSET', KEYS[2], 'id', ARGV[4], 'agent', ARGV[5], 'tenant', ARGV[6], 'createdAt', ARGV[2])
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
end
for i = 1, count do
  redis.call('XADD', KEYS[1], string.format('%d-0', last + i), 'e', ARGV[6 + i])
end
redis.call('HSET', KEYS[2], 'lastSeq', last + count)
return {1, last + count}
`;

/** Delete script. KEYS: events stream, info hash, scope sorted set. ARGV: session id. */
const DELETE_LUA = `
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`;

/**
 * A {@link SessionStore} on Redis Streams (docs/backends/redis.md). Per session: a stream
 * `<prefix>:t:<tenant>:a:<agent>:s:<session>:events` whose entry ids are `<seq>-0` and whose one
 * field `e` holds the event's JSON, and a hash `…:info` with the header; per scope a sorted set
 * `<prefix>:t:<tenant>:a:<agent>:sessions` (score = creation time in ms) for {@link list}.
 *
 * An append is one Lua script (atomic on the server): it checks `lastSeq == expectedSeq`, adds every
 * event and moves `lastSeq`, or writes nothing. Durability is the server's: with the default
 * `appendonly no` an acknowledged append is lost if Redis crashes before its next snapshot.
 * Errors: `SESSION_CONFLICT`, `INVALID_NAME`, `BAD_REQUEST` as the contract says; `SESSION_CORRUPT`
 * when stored data is not what this store writes; `INTERNAL` (retryable) when Redis is unreachable.
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #append: RedisScript;
  readonly #delete: RedisScript;

  /** @throws PlutoError `CONFIG_INVALID` for a bad `prefix`. */
  constructor(options: RedisSessionStoreOptions) {
    this.#redis = options.redis;
    this.#prefix = checkRedisPrefix(options.prefix);
    this.#append = defineScript(this.#redis, "plutoSessionAppendV1", 3, APPEND_LUA);
    this.#delete = defineScript(this.#redis, "plutoSessionDeleteV1", 3, DELETE_LUA);
  }

  /**
   * See {@link SessionStore.append}. Resolves when Redis acknowledged the script (in memory; on disk
   * per the server's `appendfsync`). On a transport failure the outcome is unknown: the error says so.
   */
  async append(key: SessionKey, events: RunEvent[], options: AppendOptions): Promise<SessionEvent[]> {
    const checked = checkSessionKey(key);
    const expectedSeq = checkAppend(events, options);
    const encoded = events.map((event, index) => encodeEvent(event, expectedSeq + index + 1));
    const keys = sessionRedisKeys(this.#prefix, checked);
    const now = new Date();
    let reply: unknown;
    try {
      reply = await this.#append(
        [keys.events, keys.info, keys.sessions],
        [
          expectedSeq,
          now.toISOString(),
          now.getTime(),
          checked.session,
          checked.agent,
          checked.tenant,
          ...encoded.map(({ line }) => line),
        ],
      );
    } catch (error) {
      throw toRedisError(error, "session append", encoded.length > 0);
    }
    const [status, seq] = Array.isArray(reply) ? reply : [];
    if (status === 0 && typeof seq === "number") throw sessionConflict(checked, expectedSeq, seq);
    if (status === 2) {
      throw corrupt(
        checked,
        `its event stream ends at seq ${String(seq)} but its header says ${expectedSeq}`,
      );
    }
    if (status !== 1) throw corrupt(checked, `the append script answered ${JSON.stringify(reply)}`);
    return encoded.map(({ event }) => event);
  }

  /** See {@link SessionStore.read}. One `XRANGE <after+1>-0 + [COUNT limit]`. */
  async read(key: SessionKey, options?: ReadOptions): Promise<SessionEvent[]> {
    const checked = checkSessionKey(key);
    const { after, limit } = checkReadOptions(options);
    if (limit === 0) return [];
    const stream = sessionRedisKeys(this.#prefix, checked).events;
    let entries: [id: string, fields: string[]][];
    try {
      entries = Number.isFinite(limit)
        ? await this.#redis.xrange(stream, `${after + 1}-0`, "+", "COUNT", limit)
        : await this.#redis.xrange(stream, `${after + 1}-0`, "+");
    } catch (error) {
      throw toRedisError(error, "session read");
    }
    return entries.map(([id, fields]) => parseEntry(checked, id, fields));
  }

  /** See {@link SessionStore.info}. One `HGETALL`. */
  async info(key: SessionKey): Promise<SessionInfo | undefined> {
    const checked = checkSessionKey(key);
    let hash: Record<string, string>;
    try {
      hash = await this.#redis.hgetall(sessionRedisKeys(this.#prefix, checked).info);
    } catch (error) {
      throw toRedisError(error, "session info");
    }
    return toInfo(hash);
  }

  /**
   * See {@link SessionStore.list}. Newest `createdAt` first (sorted-set score, ms); sessions created
   * in the same millisecond come in reverse id order. Headers are fetched in one pipeline.
   */
  async list(scope: Scope): Promise<SessionInfo[]> {
    const checked = {
      tenant: assertSafeName("tenant", scope?.tenant),
      agent: assertSafeName("agent", scope?.agent),
    };
    try {
      const ids = await this.#redis.zrevrange(`${scopeKey(this.#prefix, checked)}:sessions`, 0, -1);
      if (ids.length === 0) return [];
      const pipeline = this.#redis.pipeline();
      for (const id of ids)
        pipeline.hgetall(sessionRedisKeys(this.#prefix, { ...checked, session: id }).info);
      const replies = (await pipeline.exec()) ?? [];
      const sessions: SessionInfo[] = [];
      for (const [error, hash] of replies) {
        if (error) throw error;
        const info = toInfo(hash as Record<string, string>);
        if (info !== undefined) sessions.push(info);
      }
      return sessions;
    } catch (error) {
      throw toRedisError(error, "session list");
    }
  }

  /** See {@link SessionStore.delete}. Removes the stream, the header and the index entry atomically. */
  async delete(key: SessionKey): Promise<void> {
    const checked = checkSessionKey(key);
    const keys = sessionRedisKeys(this.#prefix, checked);
    try {
      await this.#delete([keys.events, keys.info, keys.sessions], [checked.session]);
    } catch (error) {
      throw toRedisError(error, "session delete", true);
    }
  }
}

/** A header hash as {@link SessionInfo}; `undefined` for a missing (empty) hash. */
function toInfo(hash: Record<string, string>): SessionInfo | undefined {
  if (hash.id === undefined) return undefined;
  return {
    id: hash.id,
    agent: hash.agent ?? "",
    tenant: hash.tenant ?? "",
    createdAt: hash.createdAt ?? "",
    lastSeq: Number(hash.lastSeq ?? 0),
  };
}

/** One stream entry as a {@link SessionEvent}. @throws PlutoError `SESSION_CORRUPT`. */
function parseEntry(key: SessionKey, id: string, fields: string[]): SessionEvent {
  const line = fields[0] === "e" ? fields[1] : undefined;
  let event: SessionEvent | undefined;
  try {
    event = line === undefined ? undefined : (JSON.parse(line) as SessionEvent);
  } catch {
    event = undefined;
  }
  if (event === undefined || typeof event !== "object" || `${event.seq}-0` !== id) {
    throw corrupt(key, `stream entry ${id} is not an event this store wrote`);
  }
  return event;
}

function corrupt(key: SessionKey, what: string): PlutoError {
  return new PlutoError(
    "SESSION_CORRUPT",
    `Session "${key.session}" of agent "${key.agent}" in Redis is damaged: ${what}. Export what reads, then delete the session; check that the server runs with maxmemory-policy noeviction.`,
    { details: { session: key.session, agent: key.agent, tenant: key.tenant, backend: "redis" } },
  );
}
