import { createHash, randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { createGzip } from "node:zlib";
import { type Header, pack } from "tar-stream";
import type { RunEvent } from "../../../src/core/events.js";
import type { Scope } from "../../../src/core/scope.js";
import { FsArtifactStore } from "../../../src/services/artifact/fs-artifact-store.js";
import { FsMemoryStore } from "../../../src/services/memory/fs-memory-store.js";
import { FsSessionStore } from "../../../src/services/session/fs-session-store.js";

/** A temporary folder `pluto-<label>-XXXXXX` with `dataDir` and `agents` inside, and its removal. */
export async function tempRoot(label: string): Promise<{ root: string; cleanup(): Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), `pluto-${label}-`));
  return { root, cleanup: () => rm(root, { recursive: true, force: true }) };
}

/** The three filesystem stores over one data directory. */
export function fsStores(dataDir: string) {
  return {
    sessions: new FsSessionStore({ dataDir, fsync: "never" }),
    memory: new FsMemoryStore({ dataDir, fsync: "never", index: { persist: false } }),
    artifacts: new FsArtifactStore({ dataDir, fsync: "never" }),
  };
}

/** `count` events of a run, of several types, with unicode text. */
export function runEvents(runId: string, count: number): RunEvent[] {
  const time = "2026-11-22T10:00:00.000Z";
  const events: RunEvent[] = [
    {
      type: "run-start",
      runId,
      time,
      agent: "assistant",
      input: "Hallo 😀 שלום\u2028",
      model: "fake/model",
    } as RunEvent,
  ];
  for (let n = 1; n < count; n++) {
    events.push({
      type: "text-delta",
      runId,
      time,
      step: 1,
      text: `chunk ${n} «ünïcødé» \n`,
    } as unknown as RunEvent);
  }
  return events;
}

/** Seeds an agent folder and state for `scope`: sessions, memory and artifacts (one of `bigArtifactBytes`). */
export async function seedAgent(options: {
  root: string;
  dataDir: string;
  agentDirectory: string;
  scope: Scope;
  bigArtifactBytes?: number;
}): Promise<void> {
  const { agentDirectory, scope } = options;
  await mkdir(join(agentDirectory, "skills/search-notes"), { recursive: true });
  await mkdir(join(agentDirectory, ".git"), { recursive: true });
  await writeFile(
    join(agentDirectory, "agent.yaml"),
    `apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: ${scope.agent}\n`,
  );
  await writeFile(join(agentDirectory, "SYSTEM_PROMPT.md"), "You are helpful.\n");
  await writeFile(
    join(agentDirectory, "skills/search-notes/SKILL.md"),
    "---\nname: search-notes\ndescription: d\n---\nBody\n",
  );
  await writeFile(join(agentDirectory, ".git/config"), "[core]\n");
  await writeFile(join(options.root, "outside-secret.txt"), "do not export me");
  await symlink(join(options.root, "outside-secret.txt"), join(agentDirectory, "linked-secret.txt"));
  await symlink(options.root, join(agentDirectory, "linked-folder"));

  const { sessions, memory, artifacts } = fsStores(options.dataDir);
  await sessions.append({ ...scope, session: "s-1" }, runEvents("r1", 5), { expectedSeq: 0 });
  await sessions.append({ ...scope, session: "s-1" }, runEvents("r2", 3), { expectedSeq: 5 });
  await sessions.append({ ...scope, session: "big.session" }, runEvents("r3", 2500), { expectedSeq: 0 });
  await memory.add(scope, { day: "2026-11-21", section: "Facts Stored", text: "Office is in Oslo" });
  await memory.add(scope, { day: "2026-11-22", section: "Decisions Made", text: "Use PostgreSQL ✓" });
  await memory.write(scope, "MEMORY", "# Memory\r\n\r\n- CRLF kept\r\n- no final newline");
  await artifacts.put(scope, "reports/q1.md", "# Q1\n", {
    mediaType: "text/markdown",
    metadata: { runId: "r1" },
  });
  await artifacts.put(scope, "binary.bin", new Uint8Array([0, 255, 1, 254, 0x1f, 0x8b]));
  const big = randomBytes(options.bigArtifactBytes ?? 3 * 1024 * 1024);
  await artifacts.put(scope, `deep/${"n".repeat(120)}/${"x".repeat(100)}.dat`, big);
  await sessions.close();
  await memory.close();
}

/** Every regular file under `directory` as relative path → bytes (symbolic links not followed). */
export async function readTree(directory: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) files.set(relative(directory, path), await readFile(path));
    }
  };
  await walk(directory);
  return files;
}

/** One entry of a hand-made tar: a header (defaults: regular file) and its body. */
export interface CraftedEntry {
  name: string;
  body?: string | Buffer;
  header?: Partial<Header>;
}

/** Hex SHA-256. */
export function sha256(body: string | Buffer): string {
  return createHash("sha256").update(body).digest("hex");
}

/** A manifest listing `entries` correctly (override any field after). */
export function manifestFor(entries: CraftedEntry[], agent = "assistant"): Record<string, unknown> {
  return {
    format: "pluto-bundle",
    version: 1,
    created: "2026-11-22T10:00:00.000Z",
    source: { tenant: "default", agent },
    agent,
    entries: entries
      .map(({ name, body = "" }) => ({ name, body }))
      .map(({ name, body }) => ({
        path: name,
        size: Buffer.byteLength(body),
        sha256: sha256(body),
      })),
  };
}

/** A valid minimal bundle's entries (agent.yaml, one session, one memory document). */
export function minimalEntries(agent = "assistant"): CraftedEntry[] {
  return [
    { name: "agent/agent.yaml", body: `apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: ${agent}\n` },
    {
      name: "sessions/s-1.jsonl",
      body: `{"type":"session","version":1,"id":"s-1","agent":"${agent}","tenant":"default","createdAt":"2026-11-22T10:00:00.000Z"}\n{"seq":1,"type":"run-start","runId":"r","time":"t","agent":"${agent}","input":"hi","model":"m"}\n`,
    },
    { name: "memory/MEMORY.md", body: "# Memory\n" },
  ];
}

/** Builds a `.tar.gz` (or plain tar) from entries, then `manifest` as `manifest.json` unless it is `null`. */
export async function craftBundle(
  entries: CraftedEntry[],
  manifest: Record<string, unknown> | string | null = manifestFor(entries),
  options: { gzip?: boolean } = {},
): Promise<Buffer> {
  const tar = pack();
  const all =
    manifest === null
      ? entries
      : [
          ...entries,
          { name: "manifest.json", body: typeof manifest === "string" ? manifest : JSON.stringify(manifest) },
        ];
  for (const { name, body = "", header } of all) {
    const type = header?.type ?? "file";
    if (type === "file") tar.entry({ name, type, ...header }, body);
    else tar.entry({ name, type, ...header }).end(() => {});
  }
  tar.finalize();
  const bytes = await buffer(options.gzip === false ? tar : Readable.from(tar).pipe(createGzip()));
  return bytes;
}

/**
 * One POSIX ustar header block (512 bytes) of a regular file `name` (at most 100 ASCII bytes) of `size`
 * bytes: for generating hostile bundles far faster than a packer (the body and padding are the caller's).
 */
export function ustarHeader(name: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  const octal = (value: number, offset: number, width: number) =>
    block.write(`${value.toString(8).padStart(width - 1, "0")}\0`, offset, "ascii");
  block.write(name, 0, 100, "ascii");
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(0, 136, 12);
  block.write("0", 156, "ascii");
  block.write("ustar\u000000", 257, "ascii");
  // The checksum is the byte sum with its own field read as eight spaces.
  block.fill(" ", 148, 156);
  const sum = block.reduce((total, byte) => total + byte, 0);
  block.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "ascii");
  return block;
}
