import { z } from "zod";
import { PlutoError } from "../../core/errors.js";
import { isSafeName } from "../../core/names.js";
import { checkArtifactName } from "../artifact/artifact-input.js";
import { assertMemoryDocument } from "../memory/memory-document.js";

/**
 * The portable bundle format of `pluto export` / `pluto import` (docs/export-import.md): a
 * gzip-compressed tar (POSIX ustar, pax headers for long names) of regular files only:
 *
 * ```
 * agent/<path>                   the agent folder's files (agent.yaml, Markdown, skills/…)
 * sessions/<session>.jsonl       header line + one event per line, as the filesystem log stores them
 * memory/<document>.md           day notes and MEMORY.md, byte for byte
 * artifacts/<name>               artifact bodies
 * artifacts-meta/<name>.json     their ArtifactInfo
 * manifest.json                  last entry: format, version, source scope, and every other entry's size and sha256
 * ```
 */

/** The manifest's `format` value. */
export const BUNDLE_FORMAT = "pluto-bundle";
/** The manifest version this code writes and reads; other versions are refused. */
export const BUNDLE_VERSION = 1;
/** The manifest's path inside the tar. */
export const MANIFEST_PATH = "manifest.json";

/** One file listed in the manifest. */
export interface BundleEntry {
  /** Path inside the tar, e.g. `memory/2026-11-22.md`. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** Hex SHA-256 of the bytes. */
  sha256: string;
}

/** The content of `manifest.json`. */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  /** ISO-8601 time the export started. */
  created: string;
  /** Where the bundle came from. */
  source: { tenant: string; agent: string };
  /** The agent's name (its folder name and scope agent). */
  agent: string;
  /** Every file of the bundle except the manifest, in tar order. */
  entries: BundleEntry[];
}

/** What a progress report is about: `scan`/`export` when exporting; `read`/`verify`/`import` when importing. */
export type BundlePhase = "scan" | "export" | "read" | "verify" | "import";

/**
 * A progress report, for a CLI progress bar. `done` of `total` counts entries (files of the bundle),
 * except in `read`, where it counts input bytes consumed and `total` is the input file's size (0 when
 * reading a stream of unknown length). `total` is 0 while unknown (`scan`). `bytes` is the uncompressed
 * bytes of entries handled so far in this phase.
 */
export interface BundleProgress {
  phase: BundlePhase;
  done: number;
  total: number;
  bytes: number;
}

/** A progress callback; it must not throw (exceptions abort the export or import). */
export type BundleProgressCallback = (progress: BundleProgress) => void;

/**
 * Limits enforced WHILE reading a bundle, before anything is written: each is checked as the tar
 * headers and the decompressed bytes arrive, and the first breach stops the read (a hostile bundle
 * costs at most the limit, never its full expansion).
 */
export interface BundleLimits {
  /** Largest single entry in bytes (from its tar header, before its bytes are read). @default 1 GiB */
  maxEntryBytes?: number;
  /** Largest sum of all entries (uncompressed) in bytes. @default 16 GiB */
  maxTotalBytes?: number;
  /** Most entries; the read stops at entry `maxEntries + 1`. @default 50,000 */
  maxEntries?: number;
  /**
   * Largest ratio of decompressed bytes (tar headers, padding and bodies) to compressed input bytes of a
   * gzip bundle, checked once more than {@link COMPRESSION_RATIO_FLOOR_BYTES} were decompressed. Real
   * bundles (JSON Lines, Markdown) stay far below; a gzip bomb (zeros, empty entries) is far above.
   * @default 100
   */
  maxCompressionRatio?: number;
}

/** Decompressed bytes below which the compression ratio is not checked (small bundles compress very well). */
export const COMPRESSION_RATIO_FLOOR_BYTES = 16 * 2 ** 20;

/** {@link BundleLimits} with defaults applied. */
export function resolveLimits(limits: BundleLimits | undefined): Required<BundleLimits> {
  return {
    maxEntryBytes: limits?.maxEntryBytes ?? 2 ** 30,
    maxTotalBytes: limits?.maxTotalBytes ?? 16 * 2 ** 30,
    maxEntries: limits?.maxEntries ?? 50_000,
    maxCompressionRatio: limits?.maxCompressionRatio ?? 100,
  };
}

/** Largest `manifest.json` accepted, in bytes. */
export const MAX_MANIFEST_BYTES = 64 * 2 ** 20;

/** The parts a bundle path names. */
export type BundlePath =
  | { area: "manifest" }
  | { area: "agent"; file: string }
  | { area: "sessions"; session: string }
  | { area: "memory"; document: string }
  | { area: "artifacts"; name: string }
  | { area: "artifacts-meta"; name: string };

/** The error for anything wrong with a bundle: `BAD_REQUEST` with `message` and the problem's details. */
export function badBundle(message: string, details?: Record<string, unknown>): PlutoError {
  return new PlutoError(
    "BAD_REQUEST",
    `Invalid bundle: ${message}`,
    details === undefined ? {} : { details },
  );
}

/** True when `check` accepts `value` (the shared name checks throw). */
function passes(check: () => unknown): boolean {
  try {
    check();
    return true;
  } catch {
    return false;
  }
}

/**
 * Parses and validates a path inside a bundle with the shared name checks (`core/names.ts`,
 * `memory-document.ts`, `artifact-input.ts`): no absolute paths, no `.`/`..` segments, no hidden
 * files, no backslashes or NUL.
 * @throws PlutoError `BAD_REQUEST` naming the path and the rule.
 */
export function parseBundlePath(path: string): BundlePath {
  const shown = JSON.stringify(String(path).slice(0, 200));
  if (typeof path !== "string" || path.length > 1024) throw badBundle(`entry path ${shown} is too long.`);
  if (path === MANIFEST_PATH) return { area: "manifest" };
  const slash = path.indexOf("/");
  const area = slash < 0 ? "" : path.slice(0, slash);
  const rest = slash < 0 ? "" : path.slice(slash + 1);
  const parsed = ((): BundlePath | undefined => {
    if (area === "agent" && passes(() => checkArtifactName(rest))) return { area, file: rest };
    if (area === "sessions" && rest.endsWith(".jsonl") && isSafeName(rest.slice(0, -6))) {
      return { area, session: rest.slice(0, -6) };
    }
    if (area === "memory" && rest.endsWith(".md") && passes(() => assertMemoryDocument(rest.slice(0, -3)))) {
      return { area, document: rest.slice(0, -3) };
    }
    if (area === "artifacts" && passes(() => checkArtifactName(rest))) return { area, name: rest };
    if (
      area === "artifacts-meta" &&
      rest.endsWith(".json") &&
      passes(() => checkArtifactName(rest.slice(0, -5)))
    ) {
      return { area, name: rest.slice(0, -5) };
    }
    return undefined;
  })();
  if (parsed === undefined) {
    throw badBundle(
      `entry path ${shown} is not allowed. Bundles hold only manifest.json, agent/<path>, sessions/<id>.jsonl, memory/<YYYY-MM-DD|MEMORY>.md, artifacts/<name> and artifacts-meta/<name>.json, with relative segments of letters, digits, '.', '_' or '-' (no '..', no leading '/' or '.').`,
      { path: String(path).slice(0, 200) },
    );
  }
  return parsed;
}

const SHA256 = /^[0-9a-f]{64}$/;

const manifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  created: z.string().max(64),
  source: z.object({ tenant: z.string(), agent: z.string() }),
  agent: z.string(),
  entries: z.array(
    z.object({
      path: z.string(),
      size: z.number().int().nonnegative(),
      sha256: z.string().regex(SHA256),
    }),
  ),
});

/**
 * Parses `manifest.json`'s bytes.
 * @throws PlutoError `BAD_REQUEST` for invalid JSON, another format, an unknown version, unsafe agent or
 * tenant names, or malformed entries (the message names the field).
 */
export function parseManifest(bytes: Uint8Array): BundleManifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw badBundle("manifest.json is not valid UTF-8 JSON.");
  }
  const head = value as { format?: unknown; version?: unknown } | null;
  if (typeof head !== "object" || head === null || head.format !== BUNDLE_FORMAT) {
    throw badBundle(
      `manifest.json does not describe a ${BUNDLE_FORMAT} (format ${JSON.stringify(head?.format)}).`,
    );
  }
  if (head.version !== BUNDLE_VERSION) {
    throw badBundle(
      `manifest version ${JSON.stringify(head.version)} is not supported; this Pluto reads version ${BUNDLE_VERSION}. Import it with the Pluto version that exported it, or upgrade Pluto.`,
      { version: head.version },
    );
  }
  const result = manifestSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw badBundle(`manifest.json field ${issue?.path.join(".") || "(root)"}: ${issue?.message}.`);
  }
  const manifest = result.data;
  for (const [kind, name] of [
    ["agent", manifest.agent],
    ["source agent", manifest.source.agent],
    ["source tenant", manifest.source.tenant],
  ] as const) {
    if (!isSafeName(name)) {
      throw badBundle(`manifest ${kind} name ${JSON.stringify(name.slice(0, 80))} is not a safe name.`, {
        name: name.slice(0, 200),
      });
    }
  }
  return manifest;
}
