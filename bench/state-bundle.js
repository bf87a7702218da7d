/**
 * Export and import throughput for bench/state.js, through the bundle API (src/services/bundle:
 * `exportAgent` / `importBundle`): an agent with about 50 MB of artifacts, sessions and a year of
 * memory is exported from filesystem stores, imported into filesystem stores and into PostgreSQL
 * (sessions, memory) + S3 (artifacts, s3rver), and exported again from PostgreSQL + S3.
 * MB/s counts the bundle's uncompressed entry bytes (1 MB = 10^6 bytes) over the call's wall time.
 */
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { FsArtifactStore } from "../dist/services/artifact/fs-artifact-store.js";
import { exportAgent } from "../dist/services/bundle/export-agent.js";
import { importBundle } from "../dist/services/bundle/import-bundle.js";
import { FsMemoryStore } from "../dist/services/memory/fs-memory-store.js";
import { PostgresMemoryStore } from "../dist/services/postgres/postgres-memory-store.js";
import { PostgresSessionStore } from "../dist/services/postgres/postgres-session-store.js";
import { S3ArtifactStore } from "../dist/services/s3/s3-artifact-store.js";
import { FsSessionStore } from "../dist/services/session/fs-session-store.js";
import { dayNote, daysEndingYesterday, Random, runEvents } from "./state-data.js";

/**
 * @typedef {object} BundleContents
 * @property {number} sessions @property {number} events @property {number} memoryDocuments
 * @property {number} artifacts @property {number} artifactBytes @property {string} artifactMix what the artifacts are
 * @typedef {object} TransferResult
 * @property {string} name e.g. "export from filesystem"
 * @property {number} seconds wall time of the call
 * @property {number} bytes uncompressed bytes of all entries
 * @property {number} fileBytes size of the `.tar.gz`
 * @property {Array<{ part: string; seconds: number }>} parts where the time went (from the progress reports)
 */

const SCOPE = { tenant: "bench", agent: "bundle" };
const MIB = 1024 * 1024;

/** The three filesystem stores over one data directory. @param {string} dataDir @param {"batch" | "never"} fsync */
function fsStores(dataDir, fsync) {
  return {
    sessions: new FsSessionStore({ dataDir, fsync }),
    memory: new FsMemoryStore({ dataDir, fsync, index: { persist: false } }),
    artifacts: new FsArtifactStore({ dataDir, fsync }),
  };
}

/**
 * Seeds the source agent: its folder, 20 sessions of 1,000 events, 365 day notes and MEMORY.md, and
 * artifacts: one 20 MiB and five 4 MiB random bodies (incompressible; the big one goes to S3 as a
 * multipart upload) and 100 Markdown reports of about 100 KB.
 * `small` (the --quick run) divides the artifact sizes by 16 and makes 10 reports.
 * @param {string} root @param {boolean} small
 * @returns {Promise<{ dataDir: string; agentDirectory: string; contents: BundleContents }>}
 */
async function seedSource(root, small) {
  const dataDir = join(root, "data");
  const agentDirectory = join(root, "agents", SCOPE.agent);
  mkdirSync(agentDirectory, { recursive: true });
  writeFileSync(
    join(agentDirectory, "agent.yaml"),
    `apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: ${SCOPE.agent}\nspec:\n  model: openai/gpt-5-mini\n`,
  );
  writeFileSync(join(agentDirectory, "SYSTEM_PROMPT.md"), "You keep the team's notes.\n");
  const random = new Random(42);
  const stores = fsStores(dataDir, "never");
  const unit = small ? MIB / 16 : MIB;
  const reports = small ? 10 : 100;
  const contents = {
    sessions: 20,
    events: 0,
    memoryDocuments: 0,
    artifacts: 0,
    artifactBytes: 0,
    artifactMix: `one ${20 * (unit / MIB)} MiB and five ${4 * (unit / MIB)} MiB random bodies, ${reports} Markdown reports of about 100 KB`,
  };
  for (let n = 0; n < contents.sessions; n++) {
    const events = runEvents(random, `run-${n}`, 1000);
    await stores.sessions.append({ ...SCOPE, session: `session-${n}` }, events, { expectedSeq: 0 });
    contents.events += events.length;
  }
  for (const day of daysEndingYesterday(365)) await stores.memory.write(SCOPE, day, dayNote(random, day));
  await stores.memory.write(SCOPE, "MEMORY", "# Memory\n\n- Bundle benchmark agent.\n");
  contents.memoryDocuments = 366;
  /** @type {Array<[string, Uint8Array | string, string]>} */
  const artifacts = [["data/big.bin", randomBytes(random, 20 * unit), "application/octet-stream"]];
  for (let n = 0; n < 5; n++)
    artifacts.push([`data/part-${n}.bin`, randomBytes(random, 4 * unit), "application/octet-stream"]);
  for (let n = 0; n < reports; n++) {
    let text = `# Report ${n}\n\n`;
    while (text.length < 100_000) text += `- ${dayNote(random, "2026-01-01").split("\n").at(-2)}\n`;
    artifacts.push([`reports/report-${String(n).padStart(3, "0")}.md`, text, "text/markdown"]);
  }
  for (const [name, body, mediaType] of artifacts) {
    await stores.artifacts.put(SCOPE, name, body, { mediaType, metadata: { runId: "run-0" } });
    contents.artifacts += 1;
    contents.artifactBytes += typeof body === "string" ? Buffer.byteLength(body) : body.length;
  }
  await stores.sessions.close();
  await stores.memory.close();
  return { dataDir, agentDirectory, contents };
}

/** Pseudo-random bytes from the seeded source (fast: 4 bytes per draw). @param {Random} random @param {number} size */
function randomBytes(random, size) {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  for (let at = 0; at + 4 <= size; at += 4) view.setUint32(at, random.next() * 4294967296);
  return bytes;
}

/**
 * Times one export or import and splits its time by the progress reports: each phase up to its last
 * report, and inside the `export`/`import` phase the kinds of entries in the order the bundle code
 * handles them (a kind ends at the first report whose `done` covers it); `finish` is what follows.
 * @param {string} name @param {Array<[string, number]>} kinds entry kind → entries of that kind, in order
 * @param {(onProgress: import("../dist/services/bundle/bundle-format.js").BundleProgressCallback) => Promise<{ bytes: number }>} run
 * @param {() => number} fileBytes
 * @returns {Promise<TransferResult>}
 */
async function timed(name, kinds, run, fileBytes) {
  /** @type {Map<string, number>} phase → time of its last report */
  const phases = new Map();
  /** @type {Array<{ at: number; done: number }>} */
  const steps = [];
  const began = performance.now();
  const result = await run((progress) => {
    const now = performance.now();
    phases.set(progress.phase, now);
    if (progress.phase === "export" || progress.phase === "import")
      steps.push({ at: now, done: progress.done });
  });
  const ended = performance.now();
  /** @type {Array<{ part: string; seconds: number }>} */
  const parts = [];
  let cursor = began;
  for (const [phase, last] of phases) {
    if (phase !== "export" && phase !== "import") {
      parts.push({ part: phase, seconds: (last - cursor) / 1000 });
      cursor = last;
      continue;
    }
    let threshold = 0;
    for (const [kind, count] of kinds) {
      threshold += count;
      const end = steps.find((step) => step.done >= threshold)?.at ?? ended;
      parts.push({ part: kind, seconds: (end - cursor) / 1000 });
      cursor = end;
    }
  }
  parts.push({ part: "finish", seconds: (ended - cursor) / 1000 });
  return { name, seconds: (ended - began) / 1000, bytes: result.bytes, fileBytes: fileBytes(), parts };
}

/**
 * Runs the exports and imports.
 * @param {{
 *   resources: import("./processes.js").Resources;
 *   postgres: { pool: import("pg").Pool; schema: string };
 *   s3: { client: import("@aws-sdk/client-s3").S3Client; bucket: string };
 *   progress: (message: string) => void;
 *   small: boolean;
 * }} options `small`: a bundle of about 3 MB of artifacts (--quick)
 * @returns {Promise<{ contents: BundleContents; transfers: TransferResult[] }>}
 */
export async function measureBundles(options) {
  const { resources, postgres, s3, progress, small } = options;
  const root = resources.tempDir("pluto-bench-bundle-");
  progress("bundle: seeding the source agent");
  const source = await seedSource(root, small);
  const { contents } = source;
  // Entries in the order exportAgent writes them and importBundle applies them (an artifact is its
  // body and its metadata: two entries, two progress steps).
  const exportKinds = /** @type {Array<[string, number]>} */ ([
    ["listing + agent files", 2],
    ["sessions", contents.sessions],
    ["memory", contents.memoryDocuments],
    ["artifacts", 2 * contents.artifacts],
  ]);
  const importKinds = /** @type {Array<[string, number]>} */ ([
    ["checks + agent files", 2],
    ["memory", contents.memoryDocuments],
    ["artifacts", 2 * contents.artifacts],
    ["sessions", contents.sessions],
  ]);
  const transfers = [];
  const bundleFile = join(root, "bundle.tar.gz");
  const fromFs = fsStores(source.dataDir, "batch");
  progress("bundle: export from filesystem");
  transfers.push(
    await timed(
      "export from filesystem",
      exportKinds,
      (onProgress) =>
        exportAgent({
          scope: SCOPE,
          agentDirectory: source.agentDirectory,
          ...fromFs,
          out: bundleFile,
          onProgress,
          tempDir: root,
        }),
      () => statSync(bundleFile).size,
    ),
  );

  progress("bundle: import into filesystem");
  const fsTarget = fsStores(join(root, "fs-target"), "batch");
  transfers.push(
    await timed(
      "import into filesystem (fsync batch)",
      importKinds,
      (onProgress) =>
        importBundle({
          file: bundleFile,
          agentsDir: join(root, "fs-target-agents"),
          ...fsTarget,
          onProgress,
          tempDir: root,
        }),
      () => statSync(bundleFile).size,
    ),
  );
  await fsTarget.sessions.close();
  await fsTarget.memory.close();

  progress("bundle: import into PostgreSQL + S3");
  const scaled = {
    sessions: new PostgresSessionStore({ pool: postgres.pool, schema: postgres.schema }),
    memory: new PostgresMemoryStore({ pool: postgres.pool, schema: postgres.schema }),
    artifacts: new S3ArtifactStore({ client: s3.client, bucket: s3.bucket, prefix: "bench" }),
  };
  transfers.push(
    await timed(
      "import into PostgreSQL + S3 (s3rver)",
      importKinds,
      (onProgress) =>
        importBundle({
          file: bundleFile,
          agentsDir: join(root, "scaled-agents"),
          ...scaled,
          onProgress,
          tempDir: root,
        }),
      () => statSync(bundleFile).size,
    ),
  );

  progress("bundle: export from PostgreSQL + S3");
  const backFile = join(root, "back.tar.gz");
  transfers.push(
    await timed(
      "export from PostgreSQL + S3 (s3rver)",
      exportKinds,
      (onProgress) =>
        exportAgent({
          scope: SCOPE,
          agentDirectory: join(root, "scaled-agents", SCOPE.agent),
          ...scaled,
          out: backFile,
          onProgress,
          tempDir: root,
        }),
      () => statSync(backFile).size,
    ),
  );
  await fromFs.sessions.close();
  await fromFs.memory.close();
  return { contents, transfers };
}
