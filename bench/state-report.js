/**
 * Renders the results of bench/state.js as the generated part of the "State backends" section of
 * docs/benchmarks.md.
 */
import { QUERIES } from "./state-data.js";
import { fixed } from "./stats.js";

/**
 * @typedef {import("./state-sessions.js").AppendResult} AppendResult
 * @typedef {import("./state-sessions.js").ReadResult} ReadResult
 * @typedef {import("./state-memory.js").MemorySizeResult} MemorySizeResult
 * @typedef {import("./state-memory.js").WarmResult} WarmResult
 * @typedef {import("./state-bundle.js").TransferResult} TransferResult
 * @typedef {import("./state-bundle.js").BundleContents} BundleContents
 * @typedef {object} StateResults
 * @property {{ date: string; revision: string; node: string; cpu: string; cores: number; fileSystem: string; quick: boolean; busyBefore: number; otherCpuPercent: number; serverCpuPercent: number; loadBefore: string; loadAfter: string; seconds: number; plan: Record<string, number | string> }} machine
 * @property {{ postgres: string; redis: string; s3: string }} servers one line of facts per server
 * @property {Array<{ backend: string; appends: AppendResult[]; read: ReadResult | undefined; freshRead: ReadResult | undefined }>} sessions
 * @property {MemorySizeResult[]} memory
 * @property {{ contents: BundleContents; transfers: TransferResult[] }} bundle
 * @property {import("./markdown-report.js").Budget[]} budgets
 */

const MODES = {
  single: "1 writer, 1 session",
  sessions8: "8 writers, 8 sessions",
  session1x8: "8 writers, 1 session",
};

/** @param {number} bytes */
const mb = (bytes) => fixed(bytes / 1e6, 1);

/** @param {number} value */
const thousands = (value) => Math.round(value).toLocaleString("en-US");

/** @param {string} store @param {string} first @param {WarmResult} warm */
const searchRow = (store, first, warm) =>
  `| ${store} | ${first} | ${fixed(warm.all.p50)} | ${fixed(warm.all.p90)} | ${fixed(warm.all.p99)} | ${fixed(warm.all.max)} | ${warm.all.count} |`;

/**
 * @param {StateResults} results
 * @returns {string} Markdown, starting with the machine facts
 */
export function renderStateReport(results) {
  const { machine, servers, sessions, memory, bundle, budgets } = results;
  const fullReads = sessions.find((entry) => entry.read !== undefined)?.read;
  const tailAfter = (fullReads?.events ?? 100) - 100;
  /** @type {string[]} */
  const lines = [];
  const push = (/** @type {string[]} */ ...more) => lines.push(...more);
  push(
    `Measured ${machine.date} on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, temp dirs on ${machine.fileSystem}, load average ${machine.loadBefore} before and ${machine.loadAfter} after` +
      `${machine.quick ? " (**--quick smoke run: few samples, not representative**)" : ""}; the whole run took ${fixed(machine.seconds, 0)} s.`,
    `Code: ${machine.revision} (dist/ built from the working tree).`,
    `CPU: ${fixed(machine.busyBefore, 0)}% of the machine busy just before the run; during it the PostgreSQL and Redis server processes used ${fixed(machine.serverCpuPercent, 0)}% of all cores and unrelated processes ${fixed(Math.max(0, machine.otherCpuPercent), 0)}%${machine.otherCpuPercent > 10 ? " (**the machine was shared; absolute numbers are pessimistic**)" : ""}.`,
    "",
    `- PostgreSQL: ${servers.postgres}`,
    `- Redis: ${servers.redis}`,
    `- S3: ${servers.s3}`,
    `- Plan: ${Object.entries(machine.plan)
      .map(([key, value]) => `${key} ${value}`)
      .join(", ")}.`,
    "",
    "#### Budget (issue 3)",
    "",
    "| budget | target | measured | met? | margin |",
    "|---|---|---|---|---|",
    ...budgets.map(
      (budget) =>
        `| ${budget.name} | ${budget.target} | ${budget.measured} | ${budget.met ? "yes" : "**no**"} | ${budget.note} |`,
    ),
    "",
    "#### Session appends (one event per append)",
    "",
    "| backend | writers | appends | seconds | appends/s | p50 ms | p90 ms | p99 ms | max ms | conflict retries | bench CPU ms/append | read back gap-free |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const { backend, appends } of sessions) {
    for (const result of appends) {
      push(
        `| ${backend} | ${MODES[result.mode]} | ${result.appends} | ${fixed(result.seconds)} | ${thousands(result.perSecond)} | ${fixed(result.latency.p50, 3)} | ${fixed(result.latency.p90, 3)} | ${fixed(result.latency.p99, 3)} | ${fixed(result.latency.max, 2)} | ${result.mode === "session1x8" ? `${result.retries} (${fixed(result.retries / Math.max(1, result.appends), 2)}/append)` : "-"} | ${fixed(result.cpuMsPerAppend, 3)} | ${result.verified ? "yes" : "**NO**"} |`,
      );
    }
  }
  push(
    "",
    "Latency is from an append's first attempt to its acknowledgement, conflict retries included. *bench CPU* is this process's CPU (the store's client code; for the filesystem and in-memory stores, all of the work) per acknowledged append.",
    "",
    `#### Reading a ${thousands(fullReads?.events ?? 0)}-event session`,
    "",
    `| backend | events | JSON MB | fill (500 events/append) s | full read p50 ms | full read p99 ms | events/s (p50) | \`after: ${tailAfter}\` p50 ms | \`after: ${tailAfter}\` p99 ms |`,
    "|---|---|---|---|---|---|---|---|---|",
  );
  const readRow = (/** @type {string} */ backend, /** @type {ReadResult} */ read) =>
    `| ${backend} | ${thousands(read.events)} | ${mb(read.jsonBytes)} | ${fixed(read.populateSeconds)} | ${fixed(read.full.p50)} | ${fixed(read.full.p99)} | ${thousands(read.events / (read.full.p50 / 1000))} | ${fixed(read.tail.p50, 3)} | ${fixed(read.tail.p99, 3)} |`;
  for (const { backend, read, freshRead } of sessions) {
    if (read !== undefined) push(readRow(backend, read));
    if (freshRead !== undefined) push(readRow(`${backend}, a new store for each read (no cache)`, freshRead));
  }
  push(
    "",
    `Full reads: ${fullReads?.full.count ?? 0} per backend; tail reads: ${fullReads?.tail.count ?? 0}; after one unmeasured read of each. The store that wrote the session serves the reads, except in the *new store* row.`,
    "",
    "#### Memory search",
    "",
    "| day files | indexed lines | Markdown MB | store | first search ms | warm p50 ms | warm p90 ms | warm p99 ms | warm max ms | warm searches |",
    "|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const size of memory) {
    const head = `| ${thousands(size.days)} | ${thousands(size.lines)} | ${mb(size.bytes)} `;
    const cold = size.fs.coldMs.map((ms) => fixed(ms, 0)).join(" / ");
    push(
      `${head}${searchRow("filesystem (default: stat pass at most 1/s)", `${cold} (built from Markdown)`, size.fs.warm)}`,
      `${head}${searchRow("filesystem (no stat pass due)", `${fixed(size.fs.warmStartMs, 0)} (loaded from .index.json)`, size.fs.warmNoStat)}`,
      `${head}${searchRow(`PostgreSQL right after writing ${thousands(size.days + 1)} documents (${fixed(size.postgres.writeSeconds, 1)} s), planner statistics ${size === memory[0] ? "missing" : "stale"}`, fixed(size.postgres.firstMs, 1), size.postgres.beforeAnalyze)}`,
      `${head}${searchRow("PostgreSQL after `ANALYZE`", "-", size.postgres.warm)}`,
      `${head}${searchRow("in-memory (no index: scans every line)", "-", size.inMemory.warm)}`,
    );
  }
  const largest = memory.at(-1);
  if (largest !== undefined) {
    push(
      "",
      `Warm median per query at ${thousands(largest.days)} day files (ms; hits returned, limit 10):`,
      "",
      "| kind | query | filesystem (no stat pass due) | PostgreSQL (after `ANALYZE`) | in-memory |",
      "|---|---|---|---|---|",
      ...QUERIES.map(
        ({ kind, query }) =>
          `| ${kind} | \`${query}\` | ${fixed(largest.fs.warmNoStat.p50ByKind[kind])} (${largest.fs.warmNoStat.hitsByKind[kind]}) | ${fixed(largest.postgres.warm.p50ByKind[kind])} (${largest.postgres.warm.hitsByKind[kind]}) | ${fixed(largest.inMemory.warm.p50ByKind[kind])} (${largest.inMemory.warm.hitsByKind[kind]}) |`,
      ),
    );
  }
  const { contents, transfers } = bundle;
  push(
    "",
    "#### Export and import",
    "",
    `The bundle: ${contents.sessions} sessions (${thousands(contents.events)} events), ${contents.memoryDocuments} memory documents, ${contents.artifacts} artifacts (${mb(contents.artifactBytes)} MB: ${contents.artifactMix}). MB = 10^6 bytes of uncompressed entries.`,
    "",
    "| transfer | uncompressed MB | .tar.gz MB | seconds | MB/s | where the time went (s) |",
    "|---|---|---|---|---|---|",
    ...transfers.map(
      (transfer) =>
        `| ${transfer.name} | ${mb(transfer.bytes)} | ${mb(transfer.fileBytes)} | ${fixed(transfer.seconds)} | ${fixed(transfer.bytes / 1e6 / transfer.seconds, 1)} | ${transfer.parts
          .filter((part) => part.seconds >= 0.005)
          .map((part) => `${part.part} ${fixed(part.seconds)}`)
          .join(", ")} |`,
    ),
    "",
  );
  return lines.join("\n");
}
