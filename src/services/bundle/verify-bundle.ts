import { readFile } from "node:fs/promises";
import { errorMessage } from "../../core/errors.js";
import { RUN_EVENT_TYPES, type RunEventType } from "../../core/events.js";
import { checkPut } from "../artifact/artifact-input.js";
import type { ArtifactInfo } from "../artifact/artifact-store.js";
import { SESSION_LOG_VERSION } from "../session/session-log-format.js";
import {
  type BundleManifest,
  type BundleProgressCallback,
  badBundle,
  parseBundlePath,
  parseManifest,
} from "./bundle-format.js";
import { fileLines } from "./file-lines.js";
import type { StagedBundle, StagedEntry } from "./stage-bundle.js";

/** A verified bundle: what to write where, every part already checked. */
export interface BundlePlan {
  manifest: BundleManifest;
  /** Agent folder files: relative path and staged entry. */
  agentFiles: { file: string; entry: StagedEntry }[];
  /** Sessions with their number of events. */
  sessions: { session: string; entry: StagedEntry; events: number }[];
  memory: { document: string; entry: StagedEntry }[];
  artifacts: { name: string; entry: StagedEntry; info: ArtifactInfo }[];
}

/** Largest artifact metadata file accepted. */
const MAX_META_BYTES = 1024 * 1024;

/**
 * Checks a staged bundle completely before anything is written: the manifest (format, version, safe
 * names), that the tar holds exactly the manifest's entries with the listed sizes and sha256, and
 * every entry's content (an `agent/agent.yaml`, session logs in the JSON Lines format with
 * consecutive `seq` and known event types, memory as UTF-8, artifact metadata matching its body, no
 * name both a file and a folder).
 * @throws PlutoError `BAD_REQUEST` naming the entry and the problem.
 */
export async function verifyBundle(
  staged: StagedBundle,
  report: BundleProgressCallback,
): Promise<BundlePlan> {
  if (staged.manifest === undefined) {
    throw badBundle(
      "manifest.json is missing. It is the last entry of a bundle, so the file is probably truncated; or it was not written by `pluto export`.",
    );
  }
  const manifest = parseManifest(staged.manifest);
  const listed = new Set<string>();
  for (const expected of manifest.entries) {
    const shown = JSON.stringify(expected.path.slice(0, 200));
    const parsed = parseBundlePath(expected.path);
    if (parsed.area === "manifest" || listed.has(expected.path)) {
      throw badBundle(`the manifest lists ${shown} twice or lists itself.`, { path: expected.path });
    }
    listed.add(expected.path);
    const actual = staged.entries.get(expected.path);
    if (actual === undefined) {
      throw badBundle(
        `entry ${shown} is listed in the manifest but missing from the bundle; the bundle is incomplete.`,
        {
          path: expected.path,
        },
      );
    }
    if (actual.size !== expected.size || actual.sha256 !== expected.sha256) {
      throw badBundle(
        `entry ${shown} does not match the manifest (size ${actual.size}, sha256 ${actual.sha256}; the manifest says size ${expected.size}, sha256 ${expected.sha256}). The bundle is corrupt or was modified; export it again.`,
        { path: expected.path },
      );
    }
  }
  for (const path of staged.entries.keys()) {
    if (!listed.has(path)) {
      throw badBundle(`entry ${JSON.stringify(path.slice(0, 200))} is not listed in the manifest.`, { path });
    }
  }

  const plan: BundlePlan = { manifest, agentFiles: [], sessions: [], memory: [], artifacts: [] };
  const metas = new Map<string, StagedEntry>();
  const bodies = new Map<string, StagedEntry>();
  let done = 0;
  let bytes = 0;
  const total = staged.entries.size;
  for (const entry of staged.entries.values()) {
    const { parsed } = entry;
    if (parsed.area === "agent") plan.agentFiles.push({ file: parsed.file, entry });
    else if (parsed.area === "sessions") {
      plan.sessions.push({
        session: parsed.session,
        entry,
        events: await checkSessionLog(entry, parsed.session),
      });
    } else if (parsed.area === "memory") {
      await checkUtf8(entry);
      plan.memory.push({ document: parsed.document, entry });
    } else if (parsed.area === "artifacts") bodies.set(parsed.name, entry);
    else if (parsed.area === "artifacts-meta") metas.set(parsed.name, entry);
    done += 1;
    bytes += entry.size;
    report({ phase: "verify", done, total, bytes });
  }

  if (!plan.agentFiles.some(({ file }) => file === "agent.yaml")) {
    throw badBundle("it has no agent/agent.yaml, so it holds no agent definition.");
  }
  checkNoClash(
    "agent file",
    plan.agentFiles.map(({ file }) => file),
  );
  for (const [name, entry] of bodies) {
    const meta = metas.get(name);
    if (meta === undefined)
      throw badBundle(`artifact "${name}" has no artifacts-meta/${name}.json.`, { name });
    plan.artifacts.push({ name, entry, info: await readArtifactInfo(meta, name, entry) });
  }
  for (const name of metas.keys()) {
    if (!bodies.has(name))
      throw badBundle(`artifacts-meta/${name}.json has no artifact body artifacts/${name}.`, { name });
  }
  checkNoClash("artifact", [...bodies.keys()]);
  return plan;
}

/** Refuses names where one is a folder of another (`a` and `a/b`), which no store can hold. */
function checkNoClash(kind: string, names: string[]): void {
  const all = new Set(names);
  for (const name of names) {
    const segments = name.split("/");
    for (let count = 1; count < segments.length; count++) {
      const folder = segments.slice(0, count).join("/");
      if (all.has(folder))
        throw badBundle(`${kind} "${folder}" is both a file and the folder of "${name}".`, { name });
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks a session log line by line (streamed): the header `{"type":"session","version":1,"id":…}`
 * with the file's session id, then events numbered 1, 2, 3… with a known `type`.
 * @returns the number of events.
 */
async function checkSessionLog(entry: StagedEntry, session: string): Promise<number> {
  const lines = fileLines(entry.file);
  let number = 0;
  const problem = (message: string) =>
    badBundle(`${entry.path} line ${number} ${message}.`, { path: entry.path, line: number });
  for await (const line of lines) {
    number++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw problem("is not JSON");
    }
    if (!isObject(value)) throw problem("is not a JSON object");
    if (number === 1) {
      if (
        value.type !== "session" ||
        value.version !== SESSION_LOG_VERSION ||
        typeof value.createdAt !== "string"
      ) {
        throw problem(`is not a session header {"type":"session","version":${SESSION_LOG_VERSION},…}`);
      }
      if (value.id !== session) throw problem(`names session ${JSON.stringify(value.id)}, not "${session}"`);
      continue;
    }
    if (value.seq !== number - 1)
      throw problem(`has seq ${JSON.stringify(value.seq)} where ${number - 1} belongs`);
    if (!RUN_EVENT_TYPES.includes(value.type as RunEventType)) {
      throw problem(`has unknown event type ${JSON.stringify(value.type)}`);
    }
  }
  if (number === 0)
    throw badBundle(`${entry.path} is empty; a session log starts with its header line.`, {
      path: entry.path,
    });
  return number - 1;
}

/** Refuses a memory document that is not valid UTF-8 (it could not be stored byte for byte as text). */
async function checkUtf8(entry: StagedEntry): Promise<void> {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(await readFile(entry.file));
  } catch {
    throw badBundle(`${entry.path} is not valid UTF-8 text.`, { path: entry.path });
  }
}

/** Parses and checks an artifact's metadata against its body. */
async function readArtifactInfo(meta: StagedEntry, name: string, body: StagedEntry): Promise<ArtifactInfo> {
  const problem = (message: string) => badBundle(`${meta.path} ${message}.`, { path: meta.path });
  if (meta.size > MAX_META_BYTES) throw problem(`is larger than ${MAX_META_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(await readFile(meta.file, "utf8"));
  } catch {
    throw problem("is not JSON");
  }
  if (!isObject(value)) throw problem("is not a JSON object");
  if (value.name !== name) throw problem(`names artifact ${JSON.stringify(value.name)}, not "${name}"`);
  if (value.size !== body.size || value.sha256 !== body.sha256) {
    throw problem(
      `gives size ${JSON.stringify(value.size)} and sha256 ${JSON.stringify(value.sha256)}, which do not match the body`,
    );
  }
  if (value.metadata !== undefined && !isObject(value.metadata))
    throw problem("has metadata that is not an object");
  const createdAt = typeof value.createdAt === "string" ? value.createdAt : new Date(0).toISOString();
  try {
    const { mediaType, metadata } = checkPut(new Uint8Array(0), {
      mediaType: value.mediaType as string | undefined,
      metadata: (isObject(value.metadata) ? value.metadata : {}) as Record<string, string>,
    });
    return { name, size: body.size, sha256: body.sha256, mediaType, metadata, createdAt };
  } catch (error) {
    throw problem(`is invalid: ${errorMessage(error)}`);
  }
}
