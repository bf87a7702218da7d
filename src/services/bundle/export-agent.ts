import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, open, readFile, rename, rm, stat, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { PlutoError } from "../../core/errors.js";
import type { Scope } from "../../core/scope.js";
import { checkScope } from "../artifact/artifact-input.js";
import type { ArtifactStore } from "../artifact/artifact-store.js";
import type { MemoryStore } from "../memory/memory-store.js";
import { encodeHeader } from "../session/session-log-format.js";
import type { SessionInfo, SessionStore } from "../session/session-store.js";
import { listAgentFiles } from "./agent-files.js";
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleManifest,
  type BundleProgressCallback,
  MANIFEST_PATH,
} from "./bundle-format.js";
import { BundleWriter } from "./bundle-writer.js";

/** Options of {@link exportAgent}. */
export interface ExportAgentOptions {
  /** Whose state to export (tenant and agent). */
  scope: Scope;
  /** The agent's folder (holding `agent.yaml`); its regular files go to `agent/`. */
  agentDirectory: string;
  sessions: SessionStore;
  memory: MemoryStore;
  artifacts: ArtifactStore;
  /**
   * Where the `.tar.gz` goes: a stream (ended when done, destroyed on failure), or a file path written
   * through a temporary file beside it and renamed into place only when complete.
   */
  out: Writable | string;
  /** Progress reports: phase `scan`, then `export` with one report per entry. */
  onProgress?: BundleProgressCallback;
  /** Where session logs are spooled while they are exported. @default os.tmpdir() */
  tempDir?: string;
  /** Events read from the session store per call. @default 1000 */
  sessionPageSize?: number;
}

/** What {@link exportAgent} wrote. */
export interface ExportAgentResult {
  manifest: BundleManifest;
  /** Uncompressed bytes of all entries. */
  bytes: number;
  /** Files of the agent folder left out (symbolic links, hidden files, unsafe names). */
  skipped: { path: string; reason: string }[];
}

/** Agent files are read whole; anything larger is not an agent definition. */
const MAX_AGENT_FILE_BYTES = 64 * 2 ** 20;

/**
 * Writes a portable bundle of one agent (format in `bundle-format.ts`, docs/export-import.md): its
 * folder, every session as JSON Lines (the header line, then each event as stored), every memory
 * document byte for byte, every artifact with its metadata, and `manifest.json` last with each
 * entry's size and sha256. Uses only the three store interfaces, so any backend combination works.
 * Streams: sessions are read in pages and spooled to a temporary file, artifacts are held one at a
 * time (the {@link ArtifactStore} interface returns whole bodies).
 * @returns the manifest written.
 * @throws PlutoError `INVALID_NAME` for a bad scope, `AGENT_NOT_FOUND`/`BAD_REQUEST` for a bad agent
 * folder, and whatever the stores or `out` throw; a file `out` is then left untouched.
 */
export async function exportAgent(options: ExportAgentOptions): Promise<ExportAgentResult> {
  const scope = checkScope(options.scope);
  const report = options.onProgress ?? (() => {});
  const pageSize = options.sessionPageSize ?? 1000;
  report({ phase: "scan", done: 0, total: 0, bytes: 0 });
  const agent = await listAgentFiles(options.agentDirectory);
  const sessions = await options.sessions.list(scope);
  const documents = await options.memory.list(scope);
  const artifacts = await options.artifacts.list(scope);
  const total = agent.files.length + sessions.length + documents.length + 2 * artifacts.length + 1;

  const created = new Date();
  const target = typeof options.out === "string" ? options.out : undefined;
  const temporary =
    target === undefined
      ? undefined
      : join(dirname(target), `.${basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  const out =
    temporary === undefined ? (options.out as Writable) : createWriteStream(temporary, { flags: "wx" });
  const spool = await mkdtemp(join(options.tempDir ?? tmpdir(), "pluto-export-"));
  const writer = new BundleWriter(out, created);
  const added = (): void =>
    report({ phase: "export", done: writer.entries.length, total, bytes: writer.bytes });
  try {
    for (const file of agent.files) {
      const path = join(agent.root, file);
      if ((await stat(path)).size > MAX_AGENT_FILE_BYTES) {
        throw new PlutoError(
          "BAD_REQUEST",
          `Agent file ${path} is larger than 64 MiB; agent folders hold definitions, keep data in artifacts.`,
        );
      }
      await writer.addBytes(`agent/${file}`, await readFile(path));
      added();
    }
    for (const info of sessions) {
      const file = join(spool, "session.jsonl");
      const size = await spoolSession(options.sessions, scope, info, file, pageSize);
      await writer.addFile(`sessions/${info.id}.jsonl`, file, size);
      await unlink(file);
      added();
    }
    for (const document of documents) {
      const markdown = await options.memory.read(scope, document);
      if (markdown === undefined) continue;
      await writer.addBytes(`memory/${document}.md`, Buffer.from(markdown, "utf8"));
      added();
    }
    for (const listed of artifacts) {
      const artifact = await options.artifacts.get(scope, listed.name);
      if (artifact === undefined) continue;
      await writer.addBytes(`artifacts/${listed.name}`, artifact.body);
      added();
      await writer.addBytes(
        `artifacts-meta/${listed.name}.json`,
        Buffer.from(`${JSON.stringify(artifact.info, null, 2)}\n`),
      );
      added();
    }
    const manifest: BundleManifest = {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      created: created.toISOString(),
      source: { tenant: scope.tenant, agent: scope.agent },
      agent: scope.agent,
      entries: [...writer.entries],
    };
    await writer.addBytes(MANIFEST_PATH, Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`));
    report({ phase: "export", done: total, total, bytes: writer.bytes });
    await writer.finish();
    if (temporary !== undefined && target !== undefined) {
      await syncFile(temporary);
      await rename(temporary, target);
    }
    return { manifest, bytes: writer.bytes, skipped: agent.skipped };
  } catch (error) {
    await writer.abort(error instanceof Error ? error : new Error(String(error)));
    if (temporary !== undefined) await rm(temporary, { force: true });
    throw error;
  } finally {
    await rm(spool, { recursive: true, force: true });
  }
}

/** Flushes a finished file to disk before it is renamed into place. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes a session as JSON Lines to `file`: the header (`session-log-format.ts`), then its events up
 * to `info.lastSeq`, read `pageSize` at a time, one JSON object per line with `seq` first.
 * @returns the file's size in bytes.
 */
async function spoolSession(
  store: SessionStore,
  scope: Scope,
  info: SessionInfo,
  file: string,
  pageSize: number,
): Promise<number> {
  const key = { ...scope, session: info.id };
  const stream = createWriteStream(file, { flags: "w" });
  let size = 0;
  const write = async (text: string): Promise<void> => {
    size += Buffer.byteLength(text);
    if (!stream.write(text)) await once(stream, "drain");
  };
  try {
    await write(
      encodeHeader({ id: info.id, agent: info.agent, tenant: info.tenant, createdAt: info.createdAt }),
    );
    for (let after = 0; after < info.lastSeq; ) {
      const events = await store.read(key, { after, limit: Math.min(pageSize, info.lastSeq - after) });
      if (events.length === 0) break;
      await write(`${events.map((event) => JSON.stringify(event)).join("\n")}\n`);
      after = events.at(-1)?.seq ?? info.lastSeq;
    }
  } finally {
    stream.end();
    await finished(stream);
  }
  return size;
}
