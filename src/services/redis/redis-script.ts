import type { Redis } from "ioredis";

/** Runs a defined Lua script with its keys and arguments; resolves with the script's raw reply. */
export type RedisScript = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

/**
 * Registers `lua` on `redis` under `name` with ioredis `defineCommand` (EVALSHA with a transparent
 * EVAL fallback when the server's script cache lacks it) and returns a typed caller. Defining the
 * same name twice on one client is a no-op, so several stores may share a client. Names carry a
 * version suffix: change the suffix whenever the script changes.
 */
export function defineScript(redis: Redis, name: string, numberOfKeys: number, lua: string): RedisScript {
  if (typeof Reflect.get(redis, name) !== "function") redis.defineCommand(name, { numberOfKeys, lua });
  const command = Reflect.get(redis, name) as (...args: (string | number)[]) => Promise<unknown>;
  return (keys, args) => command.call(redis, ...keys, ...args);
}
