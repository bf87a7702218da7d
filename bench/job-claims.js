#!/usr/bin/env node
/**
 * JobStore claim benchmark (docs/decisions/0004-job-queue.md). Run after `npm run build`:
 *
 *   node bench/job-claims.js [--jobs 2000] [--workers 1,3] [--backends postgres,filesystem]
 *
 * For each backend and worker count: fills the queue with `--jobs` queued jobs, then that many worker
 * loops (each with its own PostgreSQL pool of 2 connections, like separate processes) claim with a
 * 30 s lease and finish each job as `completed` until the queue is empty. Reports claim→complete
 * throughput (jobs/s over the drain) and the latency of `claim` (p50/p99, ms). The workers share this
 * one Node process, so on a 2-core machine they compete with PostgreSQL for the CPU.
 *
 * PostgreSQL is `PLUTO_TEST_POSTGRES_URL` (default postgres://postgres@127.0.0.1:5432/test), in a fresh
 * schema `pluto_bench_jobs_<hex>` dropped at the end; the filesystem store (fsync batch) uses a temp dir.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { FsJobStore } from "../dist/jobs/fs-job-store.js";
import { PostgresJobStore } from "../dist/jobs/postgres-job-store.js";
import { migratePostgres } from "../dist/services/postgres/migrate-postgres.js";
import { PostgresPools } from "../dist/services/postgres/postgres-pools.js";
import { summarize } from "./stats.js";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "2000" },
    workers: { type: "string", default: "1,3" },
    backends: { type: "string", default: "postgres,filesystem" },
  },
});
const jobCount = Number(values.jobs);
const workerCounts = values.workers.split(",").map(Number);
const backends = values.backends.split(",");
const url = process.env.PLUTO_TEST_POSTGRES_URL || "postgres://postgres@127.0.0.1:5432/test";

/**
 * Fills `stores[0]` with jobs, then drains them with one loop per store.
 * @returns {{ jobsPerSecond: number, claimMs: import("./stats.js").Summary }}
 */
async function drain(stores) {
  for (let index = 0; index < jobCount; index++) {
    await stores[0].create("default", { agent: "bench", input: `job ${index}` });
  }
  const claimMs = [];
  let done = 0;
  const started = performance.now();
  await Promise.all(
    stores.map(async (store, index) => {
      const worker = `bench-${index}`;
      for (;;) {
        const before = performance.now();
        const job = await store.claim({ worker, leaseMs: 30_000 });
        claimMs.push(performance.now() - before);
        if (job === undefined) return;
        await store.finish(job.tenant, job.id, { status: "completed", output: "ok" }, { worker });
        done += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  if (done !== jobCount) throw new Error(`drained ${done} of ${jobCount} jobs`);
  return { jobsPerSecond: done / seconds, claimMs: summarize(claimMs) };
}

async function postgresRun(workers) {
  const schema = `pluto_bench_jobs_${randomBytes(6).toString("hex")}`;
  const pools = Array.from({ length: workers }, () => new PostgresPools({ max: 2 }));
  try {
    await migratePostgres({ url, schema });
    return await drain(pools.map((pools) => new PostgresJobStore({ pool: pools.get(url), schema })));
  } finally {
    for (const pool of pools) await pool.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  }
}

async function filesystemRun(workers) {
  const dataDir = await mkdtemp(join(tmpdir(), "pluto-bench-jobs-"));
  try {
    // One store per data directory (files are single-process); the worker loops share it.
    const store = new FsJobStore({ dataDir, fsync: "batch" });
    return await drain(Array.from({ length: workers }, () => store));
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const rows = [];
for (const backend of backends) {
  for (const workers of workerCounts) {
    const result = backend === "postgres" ? await postgresRun(workers) : await filesystemRun(workers);
    rows.push({ backend, workers, ...result });
    process.stderr.write(`${backend} x${workers}: ${result.jobsPerSecond.toFixed(0)} jobs/s\n`);
  }
}
console.log(`Jobs: ${jobCount} per run; claim → finish(completed) loops; Node ${process.version}.\n`);
console.log("| backend | workers | jobs/s (claim→complete) | claim p50 ms | claim p99 ms |");
console.log("|---|---:|---:|---:|---:|");
for (const row of rows) {
  console.log(
    `| ${row.backend} | ${row.workers} | ${row.jobsPerSecond.toFixed(0)} | ${row.claimMs.p50.toFixed(2)} | ${row.claimMs.p99.toFixed(2)} |`,
  );
}
