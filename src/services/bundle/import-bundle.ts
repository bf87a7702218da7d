import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, lstat, mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import { PlutoError } from "../../core/errors.js";
import type { RunEvent } from "../../core/events.js";
import { isSafeName } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";
import type { ArtifactStore } from "../artifact/artifact-store.js";
import { resolveInside } from "../fs/scope-directory.js";
import type { MemoryStore } from "../memory/memory-store.js";
import type { SessionKey, SessionStore } from "../session/session-store.js";
import { type BundleLimits, type BundleProgressCallback, badBundle, resolveLimits } from "./bundle-format.js";
import { fileLines } from "./file-lines.js";
import { stageBundle } from "./stage-bundle.js";
import { type BundlePlan, verifyBundle } from "./verify-bundle.js";

/** Options of {@link importBundle}. Give exactly one of `file` and `stream`. */
export interface ImportBundleOptions {
  /** Path of a bundle written by `exportAgent` (`.tar.gz`; a plain `.tar` is accepted too). */
  file?: string;
  /** The bundle's bytes as a stream. */
  stream?: Readable;
  /** The tenant to import into. @default the bundle's source tenant */
  tenant?: string;
  /** The agents directory; the agent folder is written to `<agentsDir>/<agent>/`. */
  agentsDir: string;
  sessions: SessionStore;
  memory: MemoryStore;
  artifacts: ArtifactStore;
  /**
   * Replace what already exists: the agent folder as a whole, and each session, memory document and
   * artifact the bundle holds (others are kept). Without it an import that would replace anything is
   * refused before anything is written.
   * @default false
   */
  overwrite?: boolean;
  /** Progress reports: `read`, `verify`, then `import`. */
  onProgress?: BundleProgressCallback;
  /** Size limits checked while reading. */
  limits?: BundleLimits;
  /** Where the bundle is unpacked before it is checked. @default os.tmpdir() */
  tempDir?: string;
  /** Events appended per call. @default 1000 */
  sessionBatchSize?: number;
  /**
   * Where agent definitions live when they are not folders under `agentsDir` (`services.agents:
   * postgres`): the existence check and the write of the agent's files go here instead.
   */
  agentDefinitions?: {
    exists(tenant: string, name: string): Promise<boolean>;
    /** Stores the agent's files (relative path → UTF-8 text), replacing any earlier version. */
    write(tenant: string, name: string, files: Record<string, string>): Promise<void>;
  };
}

/** What {@link importBundle} imported. */
export interface ImportBundleResult {
  scope: Scope;
  /** The agent folder written. */
  agentDirectory: string;
  agentFiles: number;
  sessions: number;
  events: number;
  memoryDocuments: number;
  artifacts: number;
  /** Uncompressed bytes of all entries. */
  bytes: number;
}

/**
 * Imports a bundle written by {@link exportAgent} into any stores. Everything is checked before
 * anything is written: the bundle is unpacked to a temporary folder (size limits, regular files and
 * safe paths only), then the manifest, every checksum and every entry's content are verified
 * (`verify-bundle.ts`), then existing state is looked for. Sessions are re-created by appending
 * their events from `expectedSeq` 0, so `seq` numbers are kept, and every stored event is compared
 * with the bundle's. Session `createdAt` and artifact `createdAt` become the import time (the store
 * interfaces set them).
 * @throws PlutoError `BAD_REQUEST` with a message naming the problem for any invalid bundle, or when
 * state exists and `overwrite` is off; in both cases nothing has been written. `INTERNAL` when a store
 * returns an event that differs from the bundle's. Store errors pass through.
 */
export async function importBundle(options: ImportBundleOptions): Promise<ImportBundleResult> {
  if ((options.file === undefined) === (options.stream === undefined)) {
    throw new PlutoError("BAD_REQUEST", "importBundle needs exactly one of `file` and `stream`.");
  }
  const report = options.onProgress ?? (() => {});
  const source = options.file === undefined ? (options.stream as Readable) : createReadStream(options.file);
  const inputSize = options.file === undefined ? 0 : (await stat(options.file)).size;
  const staged = await stageBundle({
    source,
    inputSize,
    tempDir: options.tempDir ?? tmpdir(),
    limits: resolveLimits(options.limits),
    report,
  });
  try {
    const plan = await verifyBundle(staged, report);
    const tenant = options.tenant ?? plan.manifest.source.tenant;
    if (!isSafeName(tenant))
      throw badBundle(`target tenant ${JSON.stringify(tenant.slice(0, 80))} is not a safe name.`);
    const scope: Scope = { tenant, agent: plan.manifest.agent };
    const agentDirectory = resolveInside(options.agentsDir, plan.manifest.agent);
    await checkTargets(options, plan, scope, agentDirectory);
    return await writePlan(options, plan, scope, agentDirectory);
  } finally {
    await rm(staged.directory, { recursive: true, force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** Refuses, before writing, an import that would replace existing state without `overwrite`. */
async function checkTargets(
  options: ImportBundleOptions,
  plan: BundlePlan,
  scope: Scope,
  agentDirectory: string,
): Promise<void> {
  if (options.overwrite === true) return;
  const existing: string[] = [];
  const definitions = options.agentDefinitions;
  if (
    definitions !== undefined
      ? await definitions.exists(scope.tenant, scope.agent)
      : await exists(agentDirectory)
  ) {
    existing.push(definitions !== undefined ? `agent ${scope.agent}` : `agent folder ${agentDirectory}`);
  }
  for (const { session } of plan.sessions) {
    if ((await options.sessions.info({ ...scope, session })) !== undefined)
      existing.push(`session ${session}`);
  }
  const documents = new Set(await options.memory.list(scope));
  for (const { document } of plan.memory)
    if (documents.has(document)) existing.push(`memory document ${document}`);
  const artifacts = new Set((await options.artifacts.list(scope)).map((info) => info.name));
  for (const { name } of plan.artifacts) if (artifacts.has(name)) existing.push(`artifact ${name}`);
  if (existing.length > 0) {
    throw new PlutoError(
      "BAD_REQUEST",
      `Agent "${scope.agent}" of tenant "${scope.tenant}" already has ${existing.length} of the bundle's items (${existing.slice(0, 5).join(", ")}${existing.length > 5 ? ", …" : ""}); nothing was imported. Pass overwrite (\`pluto import --overwrite\`) to replace them, or remove them first.`,
      { details: { existing: existing.slice(0, 100) } },
    );
  }
}

async function writePlan(
  options: ImportBundleOptions,
  plan: BundlePlan,
  scope: Scope,
  agentDirectory: string,
): Promise<ImportBundleResult> {
  const report = options.onProgress ?? (() => {});
  const total =
    plan.agentFiles.length + plan.sessions.length + plan.memory.length + 2 * plan.artifacts.length;
  let done = 0;
  let bytes = 0;
  const step = (size: number, count = 1): void => {
    done += count;
    bytes += size;
    report({ phase: "import", done, total, bytes });
  };

  if (options.agentDefinitions !== undefined) {
    const files: Record<string, string> = {};
    for (const { file, entry } of plan.agentFiles) {
      files[file] = await readFile(entry.file, "utf8");
      step(entry.size);
    }
    await options.agentDefinitions.write(scope.tenant, scope.agent, files);
  } else {
    await writeAgentFolder(plan, agentDirectory, step);
  }

  for (const { document, entry } of plan.memory) {
    await options.memory.write(scope, document, await readFile(entry.file, "utf8"));
    step(entry.size);
  }
  for (const { name, entry, info } of plan.artifacts) {
    const stored = await options.artifacts.put(scope, name, await readFile(entry.file), {
      mediaType: info.mediaType,
      metadata: info.metadata,
    });
    if (stored.sha256 !== info.sha256) {
      throw new PlutoError(
        "INTERNAL",
        `Artifact "${name}" was stored with sha256 ${stored.sha256}, not ${info.sha256}.`,
      );
    }
    step(entry.size, 2);
  }
  let events = 0;
  for (const { session, entry } of plan.sessions) {
    const key: SessionKey = { ...scope, session };
    if (options.overwrite === true) await options.sessions.delete(key);
    events += await appendSession(options.sessions, key, entry.file, options.sessionBatchSize ?? 1000);
    step(entry.size);
  }
  return {
    scope,
    agentDirectory: resolve(agentDirectory),
    agentFiles: plan.agentFiles.length,
    sessions: plan.sessions.length,
    events,
    memoryDocuments: plan.memory.length,
    artifacts: plan.artifacts.length,
    bytes,
  };
}

/**
 * Streams a verified session log into `store` in batches, the first with `expectedSeq` 0, and checks
 * that every stored event equals the bundle's (same `seq`, same JSON).
 * @returns the number of events.
 */
async function appendSession(
  store: SessionStore,
  key: SessionKey,
  file: string,
  batchSize: number,
): Promise<number> {
  const lines = fileLines(file);
  let header = true;
  let lastSeq = 0;
  let batch: Record<string, unknown>[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const stored = await store.append(key, batch as unknown as RunEvent[], { expectedSeq: lastSeq });
    batch.forEach((event, index) => {
      const seq = lastSeq + index + 1;
      const expected = JSON.stringify(Object.assign({ seq }, event, { seq }));
      if (stored[index]?.seq !== seq || JSON.stringify(stored[index]) !== expected) {
        throw new PlutoError(
          "INTERNAL",
          `Session "${key.session}" event ${seq} was stored differently from the bundle's; the session store changed it.`,
          {
            details: { session: key.session, seq },
          },
        );
      }
    });
    lastSeq += batch.length;
    batch = [];
  };
  for await (const line of lines) {
    if (header) {
      header = false;
      continue;
    }
    batch.push(JSON.parse(line) as Record<string, unknown>);
    if (batch.length >= batchSize) await flush();
  }
  await flush();
  return lastSeq;
}

/** Writes the agent's files as a folder, replacing an existing one in one rename. */
async function writeAgentFolder(
  plan: BundlePlan,
  agentDirectory: string,
  step: (size: number, count?: number) => void,
): Promise<void> {
  const parent = dirname(agentDirectory);
  await mkdir(parent, { recursive: true });
  const staging = join(parent, `.${plan.manifest.agent}.import-${randomBytes(6).toString("hex")}`);
  try {
    for (const { file, entry } of plan.agentFiles) {
      const target = resolveInside(staging, file);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(entry.file, target);
      step(entry.size);
    }
    if (await exists(agentDirectory)) {
      const replaced = join(parent, `.${plan.manifest.agent}.replaced-${randomBytes(6).toString("hex")}`);
      await rename(agentDirectory, replaced);
      await rename(staging, agentDirectory);
      await rm(replaced, { recursive: true, force: true });
    } else {
      await rename(staging, agentDirectory);
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
