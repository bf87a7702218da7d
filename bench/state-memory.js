/**
 * MemoryStore search benchmark for bench/state.js: 100, 1,000 and 3,650 generated day files (10-20
 * bullets each) per store, searched with the queries of `state-data.js` QUERIES.
 *
 * Filesystem (the derived MiniSearch index): the first search of a fresh store (index built from the
 * Markdown), the first search of a store that finds a saved `.index.json` (warm start), warm searches
 * with the default `index.checkIntervalMs` (a stat pass over the folder at most once a second rides on
 * the search that triggers it) and warm searches with no stat pass due. PostgreSQL (full-text search
 * over `memory_lines`): the first search and warm searches right after writing, then warm searches
 * after `ANALYZE` (what autovacuum does some time after a bulk write when it is on). In-memory (a scan of every line per search): warm
 * searches, as the baseline of not having an index at all.
 */
import { performance } from "node:perf_hooks";
import { FsMemoryStore } from "../dist/services/memory/fs-memory-store.js";
import { InMemoryMemoryStore } from "../dist/services/memory/in-memory-memory-store.js";
import { PostgresMemoryStore } from "../dist/services/postgres/postgres-memory-store.js";
import { dayNote, daysEndingYesterday, LONG_TERM_MARKDOWN, QUERIES, Random } from "./state-data.js";
import { summarize } from "./stats.js";

/**
 * @typedef {import("../dist/services/memory/memory-store.js").MemoryStore} MemoryStore
 * @typedef {import("./stats.js").Summary} Summary
 * @typedef {object} WarmResult
 * @property {Summary} all ms per search over every query
 * @property {Record<string, number>} p50ByKind median ms per query kind
 * @property {Record<string, number>} hitsByKind hits of each query kind (limit 10)
 * @property {number} rounds how many times the whole query set ran
 * @typedef {object} MemorySizeResult
 * @property {number} days day files
 * @property {number} lines non-blank lines (indexed entries) in all documents
 * @property {number} bytes Markdown bytes of all documents
 * @property {{ coldMs: number[]; warmStartMs: number; warm: WarmResult; warmNoStat: WarmResult }} fs
 * @property {{ firstMs: number; beforeAnalyze: WarmResult; warm: WarmResult; writeSeconds: number }} postgres
 *   `beforeAnalyze`: warm searches right after the writes, when the planner's statistics of
 *   `memory_lines` are missing (first size) or stale (later sizes); `warm`: after `ANALYZE`
 * @property {{ warm: WarmResult }} inMemory
 */

/**
 * Runs the query set round after round (after one unmeasured round) until `maxRounds` rounds, or
 * `maxSeconds` once `minRounds` are done.
 * @param {MemoryStore} store @param {{ tenant: string; agent: string }} scope
 * @param {{ minRounds: number; maxRounds: number; maxSeconds: number }} plan
 * @returns {Promise<WarmResult>}
 */
async function warmSearches(store, scope, plan) {
  /** @type {Record<string, number>} */
  const hitsByKind = {};
  for (const { kind, query } of QUERIES) hitsByKind[kind] = (await store.search(scope, query)).length;
  /** @type {Record<string, number[]>} */
  const byKind = {};
  const all = [];
  const deadline = performance.now() + plan.maxSeconds * 1000;
  let rounds = 0;
  while (rounds < plan.maxRounds && (rounds < plan.minRounds || performance.now() < deadline)) {
    for (const { kind, query } of QUERIES) {
      const start = performance.now();
      await store.search(scope, query);
      const ms = performance.now() - start;
      all.push(ms);
      const list = byKind[kind] ?? [];
      list.push(ms);
      byKind[kind] = list;
    }
    rounds += 1;
  }
  const p50ByKind = Object.fromEntries(
    Object.entries(byKind).map(([kind, list]) => [kind, summarize(list).p50]),
  );
  return { all: summarize(all), p50ByKind, hitsByKind, rounds };
}

/** ms of one first search. @param {MemoryStore} store @param {{ tenant: string; agent: string }} scope */
async function firstSearch(store, scope) {
  const start = performance.now();
  await store.search(scope, /** @type {string} */ (QUERIES[1]?.query));
  return performance.now() - start;
}

/**
 * Writes `documents` with `write` (up to `concurrency` at once).
 * @param {MemoryStore} store @param {{ tenant: string; agent: string }} scope
 * @param {Array<[string, string]>} documents name → Markdown @param {number} concurrency
 */
async function writeAll(store, scope, documents, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < documents.length) {
      const [name, markdown] = /** @type {[string, string]} */ (documents[next++]);
      await store.write(scope, name, markdown);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/**
 * Measures every store at every size.
 * @param {{
 *   resources: import("./processes.js").Resources;
 *   postgres: { pool: import("pg").Pool; schema: string };
 *   sizes: number[];
 *   plan: { minRounds: number; maxRounds: number; maxSeconds: number };
 *   progress: (message: string) => void;
 * }} options
 * @returns {Promise<MemorySizeResult[]>}
 */
export async function measureMemory(options) {
  const { resources, postgres, sizes, plan, progress } = options;
  const pgStore = new PostgresMemoryStore({ pool: postgres.pool, schema: postgres.schema });
  /** @type {MemorySizeResult[]} */
  const results = [];
  for (const size of sizes) {
    const random = new Random(size);
    /** @type {Array<[string, string]>} */
    const documents = daysEndingYesterday(size).map((day) => [day, dayNote(random, day)]);
    documents.push(["MEMORY", LONG_TERM_MARKDOWN]);
    const scope = { tenant: "bench", agent: `memory-${size}` };
    let lines = 0;
    let bytes = 0;
    for (const [, markdown] of documents) {
      lines += markdown.split("\n").filter((line) => line.trim() !== "").length;
      bytes += Buffer.byteLength(markdown);
    }

    progress(`memory ${size} days: filesystem`);
    const dataDir = resources.tempDir("pluto-bench-memory-");
    const writer = new FsMemoryStore({ dataDir, fsync: "never", index: { persist: false } });
    await writeAll(writer, scope, documents, 8);
    await writer.close();
    const coldMs = [];
    const withStat = new FsMemoryStore({ dataDir, index: { persist: false } });
    coldMs.push(await firstSearch(withStat, scope));
    const warm = await warmSearches(withStat, scope, plan);
    await withStat.close();
    const noStat = new FsMemoryStore({ dataDir, index: { persist: false, checkIntervalMs: 3_600_000 } });
    coldMs.push(await firstSearch(noStat, scope));
    const warmNoStat = await warmSearches(noStat, scope, plan);
    await noStat.close();
    const saver = new FsMemoryStore({ dataDir, index: { persist: true } });
    await firstSearch(saver, scope);
    await saver.close();
    const loader = new FsMemoryStore({ dataDir, index: { persist: true } });
    const warmStartMs = await firstSearch(loader, scope);
    await loader.close();

    progress(`memory ${size} days: PostgreSQL`);
    const writeStart = performance.now();
    await writeAll(pgStore, scope, documents, 8);
    const writeSeconds = (performance.now() - writeStart) / 1000;
    const firstMs = await firstSearch(pgStore, scope);
    const beforeAnalyze = await warmSearches(pgStore, scope, { minRounds: 2, maxRounds: 2, maxSeconds: 0 });
    await postgres.pool.query(
      `ANALYZE "${postgres.schema}".memory_lines, "${postgres.schema}".memory_documents`,
    );
    const pgWarm = await warmSearches(pgStore, scope, plan);

    progress(`memory ${size} days: in-memory`);
    const inMemory = new InMemoryMemoryStore();
    await writeAll(inMemory, scope, documents, 1);
    const memoryWarm = await warmSearches(inMemory, scope, {
      ...plan,
      maxRounds: Math.min(plan.maxRounds, 10),
    });

    results.push({
      days: size,
      lines,
      bytes,
      fs: { coldMs, warmStartMs, warm, warmNoStat },
      postgres: { firstMs, beforeAnalyze, warm: pgWarm, writeSeconds },
      inMemory: { warm: memoryWarm },
    });
  }
  return results;
}
