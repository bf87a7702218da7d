/**
 * The real servers the state benchmark (bench/state.js) measures against, each isolated and cleaned
 * up through a {@link import("./processes.js").Resources}:
 * - PostgreSQL: a fresh schema `pluto_bench_<hex>`, migrated with Pluto's migrations, dropped at the end;
 * - Redis: a key prefix `pluto_bench_<hex>`, its keys deleted at the end (SCAN, never KEYS);
 * - S3: s3rver in this process on an ephemeral port with a fresh bucket and temp dir, closed at the end.
 *
 * URLs come from `PLUTO_TEST_POSTGRES_URL` / `PLUTO_TEST_REDIS_URL` (the test defaults otherwise).
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { migratePostgres } from "../dist/services/postgres/migrate-postgres.js";
import { PostgresPools } from "../dist/services/postgres/postgres-pools.js";
import { createRedisClient, waitForRedis } from "../dist/services/redis/redis-client.js";
import { createS3Client } from "../dist/services/s3/create-s3-client.js";
import { cpuMsOf } from "./processes.js";

/** PostgreSQL of this machine and CI (trust auth, database `test`). */
export const POSTGRES_URL = process.env.PLUTO_TEST_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/test";
/** Redis of this machine and CI. */
export const REDIS_URL = process.env.PLUTO_TEST_REDIS_URL || "redis://127.0.0.1:6379";

/** `<label>_<12 hex>`: unique enough for schemas, prefixes and buckets of one run. */
export function uniqueName(label) {
  return `${label}_${randomBytes(6).toString("hex")}`;
}

/**
 * A migrated schema of its own and a bounded pool (max 10, like the runtime's default).
 * @param {import("./processes.js").Resources} resources
 * @returns {Promise<{ pool: import("pg").Pool; schema: string; version: string; settings: string }>}
 * @throws Error when PostgreSQL is unreachable (the benchmark needs it)
 */
export async function startPostgres(resources) {
  const schema = uniqueName("pluto_bench");
  const pools = new PostgresPools({ max: 10 });
  const pool = pools.get(POSTGRES_URL);
  resources.onCleanup(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await pools.close();
  });
  await migratePostgres({ pool, schema });
  const show = async (/** @type {string} */ name) =>
    String(Object.values((await pool.query(`SHOW ${name}`)).rows[0] ?? {})[0]);
  const version = String((await pool.query("SHOW server_version")).rows[0]?.server_version);
  const settings = `fsync ${await show("fsync")}, synchronous_commit ${await show("synchronous_commit")}, shared_buffers ${await show("shared_buffers")}, autovacuum ${await show("autovacuum")}`;
  return { pool, schema, version, settings };
}

/**
 * A ready Redis command connection (Pluto's fail-fast settings) and a unique key prefix.
 * @param {import("./processes.js").Resources} resources
 * @returns {Promise<{ redis: import("ioredis").Redis; prefix: string; version: string; settings: string }>}
 */
export async function startRedis(resources) {
  const prefix = uniqueName("pluto_bench");
  const redis = createRedisClient({
    url: REDIS_URL,
    connectionName: "pluto-bench",
    commandTimeoutMs: 30_000,
  });
  resources.onCleanup(async () => {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
    await redis.quit().catch(() => {});
  });
  await waitForRedis(redis);
  const info = await redis.info("server");
  const version = info.match(/redis_version:(\S+)/)?.[1] ?? "unknown";
  const config = async (/** @type {string} */ name) =>
    /** @type {string[]} */ (await redis.config("GET", name).catch(() => []))[1] ?? "?";
  const settings = `appendonly ${await config("appendonly")}, appendfsync ${await config("appendfsync")}, save "${await config("save")}"`;
  return { redis, prefix, version, settings };
}

/**
 * s3rver 3.x (the package ships no types) in this process, on 127.0.0.1 and an ephemeral port, with
 * one bucket; and an S3 client built by Pluto's own `createS3Client` (path style, checksums only
 * when required: the SDK's default `aws-chunked` bodies would be stored with their framing by s3rver).
 * s3rver's ListObjectsV2 fails on truncated listings under OpenSSL 3 (test/support/s3rver.ts has a
 * shim); the benchmark stays under 1,000 keys per listing, so it does not need it.
 * @param {import("./processes.js").Resources} resources
 * @returns {Promise<{ client: import("@aws-sdk/client-s3").S3Client; bucket: string; endpoint: string }>}
 */
export async function startS3rver(resources) {
  const S3rver = createRequire(import.meta.url)("s3rver");
  const directory = resources.tempDir("pluto-bench-s3rver-");
  const bucket = uniqueName("pluto-bench").replaceAll("_", "-");
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    resetOnClose: true,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = createS3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    checksums: "when_required",
  });
  resources.onCleanup(async () => {
    client.destroy();
    await server.close();
  });
  return { client, bucket, endpoint };
}

/**
 * CPU time used so far by every PostgreSQL and Redis server process of the machine (by `/proc/PID/comm`:
 * `postgres`, `redis-server`), so the report can tell the servers' share from unrelated load.
 * PostgreSQL backends that exit in between take their time with them: an approximation.
 * @returns {number} milliseconds
 */
export function serverCpuMs() {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, "utf8").trim();
      if (comm !== "postgres" && comm !== "redis-server") continue;
      total += cpuMsOf(Number(entry));
    } catch {
      // The process exited between readdir and read.
    }
  }
  return total;
}
