import { Redis, type RedisOptions } from "ioredis";
import { PlutoError } from "../../core/errors.js";

/** Settings of a Pluto Redis connection; every field has a default chosen to fail fast. */
export interface RedisClientOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  url: string;
  /** Shown by `CLIENT LIST`. @default "pluto" */
  connectionName?: string;
  /** Give up a TCP connect (and the server's ready check) after this many ms. @default 2000 */
  connectTimeoutMs?: number;
  /**
   * Reject a command whose reply has not arrived after this many ms (a dead peer that keeps the
   * socket open). The command may still have run on the server. @default 5000
   */
  commandTimeoutMs?: number;
  /** Longest pause between reconnect attempts, in ms (backoff 50 ms × attempt, capped). @default 1000 */
  maxReconnectDelayMs?: number;
}

/**
 * The ioredis options Pluto's Redis backends rely on (docs/backends/redis.md, Connection settings):
 * - `enableOfflineQueue: false`: a command issued while disconnected rejects at once instead of waiting
 *   for a reconnect that may never come;
 * - `maxRetriesPerRequest: 0` and `autoResendUnfulfilledCommands: false`: a command in flight when the
 *   connection drops rejects at once and is never sent again (a resent append would come back as a
 *   false `SESSION_CONFLICT`);
 * - `connectTimeout` and `commandTimeout` bound every wait;
 * - `retryStrategy` keeps reconnecting forever with a capped backoff, so the client recovers by itself
 *   once the server is back; `autoResubscribe` (the default) restores fan-out subscriptions.
 */
export function redisClientOptions(options: Omit<RedisClientOptions, "url">): RedisOptions {
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  return {
    connectionName: options.connectionName ?? "pluto",
    connectTimeout: options.connectTimeoutMs ?? 2000,
    commandTimeout: options.commandTimeoutMs ?? 5000,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: (attempt) => Math.min(attempt * 50, maxDelay),
  };
}

/**
 * Opens a Redis connection with {@link redisClientOptions}. The connection starts at once; commands
 * issued before it is ready reject (no offline queue), so await {@link waitForRedis} first.
 * An `error` listener is attached (connection errors surface on the commands instead of crashing the
 * process as an unhandled `error` event).
 * @throws PlutoError `CONFIG_INVALID` when `url` is not a redis:// or rediss:// URL.
 */
export function createRedisClient(options: RedisClientOptions): Redis {
  let parsed: URL;
  try {
    parsed = new URL(options.url);
  } catch {
    parsed = new URL("invalid:");
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new PlutoError(
      "CONFIG_INVALID",
      "Redis URL must look like redis://host:6379 (or rediss:// for TLS); check services.*.url in pluto.yaml.",
    );
  }
  const client = new Redis(options.url, redisClientOptions(options));
  client.on("error", () => {});
  return client;
}

/**
 * Resolves once `redis` is ready for commands.
 * @throws PlutoError `INTERNAL` (retryable) when it is not ready within `timeoutMs` (default 5000).
 */
export async function waitForRedis(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(
        new PlutoError(
          "BACKEND_UNAVAILABLE",
          `Redis did not become ready within ${timeoutMs} ms (status ${redis.status}). Check that the server is running and the URL is right.`,
          { retryable: true, details: { backend: "redis", status: redis.status } },
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once("ready", onReady);
  });
}

/**
 * The shared, bounded set of Redis connections of one process (built once by the composition root):
 * one command connection per URL, shared by every store and lease manager (ioredis pipelines
 * concurrent commands on it), plus one dedicated subscriber connection per URL for fan-out (a
 * subscribed connection cannot run other commands). `close()` quits them all.
 */
export class RedisConnections {
  readonly #clients = new Map<string, Redis>();
  readonly #defaults: Omit<RedisClientOptions, "url">;

  /** @param defaults settings applied to every connection (see {@link RedisClientOptions}). */
  constructor(defaults: Omit<RedisClientOptions, "url"> = {}) {
    this.#defaults = defaults;
  }

  /** The command connection for `url` (created on first use). */
  client(url: string): Redis {
    return this.#get(`command ${url}`, url, "pluto");
  }

  /** The subscriber connection for `url` (created on first use); give it to one RedisEventFanout only. */
  subscriber(url: string): Redis {
    return this.#get(`subscriber ${url}`, url, "pluto-subscriber");
  }

  #get(id: string, url: string, name: string): Redis {
    let client = this.#clients.get(id);
    if (client === undefined) {
      client = createRedisClient({ connectionName: name, ...this.#defaults, url });
      this.#clients.set(id, client);
    }
    return client;
  }

  /** Quits every connection (pending replies are awaited; a dead connection is dropped). */
  async close(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
  }
}
