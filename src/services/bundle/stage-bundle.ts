import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { isPlutoError } from "../../core/errors.js";
import {
  type BundleLimits,
  type BundlePath,
  type BundleProgressCallback,
  badBundle,
  MAX_MANIFEST_BYTES,
  parseBundlePath,
} from "./bundle-format.js";

/** One entry of a bundle, copied to a temporary file. */
export interface StagedEntry {
  path: string;
  parsed: BundlePath;
  /** The temporary file holding its bytes (named by position, never by the entry's path). */
  file: string;
  size: number;
  sha256: string;
}

/** A bundle read into a temporary folder; nothing of it has been trusted yet beyond its paths and sizes. */
export interface StagedBundle {
  /** The temporary folder; the caller removes it. */
  directory: string;
  /** Entries other than the manifest, in tar order, by path. */
  entries: Map<string, StagedEntry>;
  /** The bytes of `manifest.json`, when the bundle has one. */
  manifest: Uint8Array | undefined;
}

/** Options of {@link stageBundle}. */
export interface StageBundleOptions {
  source: Readable;
  /** The input's size in bytes for progress, or 0 when unknown. */
  inputSize: number;
  /** Parent of the temporary folder. */
  tempDir: string;
  limits: Required<BundleLimits>;
  report: BundleProgressCallback;
}

/** Resolves with the first chunk of `stream` (put back, so the stream still starts with it), or `undefined` when it is empty. */
async function peek(stream: Readable): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const done = (): void => {
      stream.off("readable", onReadable);
      stream.off("end", onEnd);
      stream.off("error", onError);
    };
    const onReadable = (): void => {
      const chunk = stream.read() as Buffer | null;
      if (chunk === null) return;
      done();
      stream.unshift(chunk);
      resolve(chunk);
    };
    const onEnd = (): void => {
      done();
      resolve(undefined);
    };
    const onError = (error: Error): void => {
      done();
      reject(error);
    };
    stream.on("readable", onReadable);
    stream.once("end", onEnd);
    stream.once("error", onError);
  });
}

/**
 * Reads a bundle (gzip-compressed or plain tar) into a fresh temporary folder, checking as it goes:
 * only regular-file entries (symbolic links, hard links, folders and devices are refused), every path
 * valid (`parseBundlePath`), no duplicates, sizes within `limits`. Checksums are computed but
 * compared later, against the manifest.
 * @throws PlutoError `BAD_REQUEST` for any of those problems and for truncated or corrupt input; the
 * temporary folder is removed first.
 */
export async function stageBundle(options: StageBundleOptions): Promise<StagedBundle> {
  const { source, limits, report } = options;
  const directory = await mkdtemp(join(options.tempDir, "pluto-import-"));
  const entries = new Map<string, StagedEntry>();
  let manifest: Uint8Array | undefined;
  let consumed = 0;
  let total = 0;
  try {
    const empty = () => badBundle("the input is empty; pass a file written by `pluto export`.");
    const head = await peek(source);
    if (head === undefined) throw empty();
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        consumed += chunk.length;
        report({ phase: "read", done: consumed, total: options.inputSize, bytes: total });
        callback(null, chunk);
      },
    });
    const extractor = extract();
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    const piped = gzip
      ? pipeline(source, counter, createGunzip(), extractor)
      : pipeline(source, counter, extractor);
    piped.catch(() => {});
    let count = 0;
    for await (const entry of extractor) {
      const { name, type } = entry.header;
      const size = entry.header.size ?? 0;
      const shown = JSON.stringify(String(name).slice(0, 200));
      if (type !== "file") {
        throw badBundle(
          `entry ${shown} is a ${type === "symlink" ? "symbolic link" : type === "link" ? "hard link" : String(type)}; bundles hold regular files only.`,
          { path: name, type },
        );
      }
      const parsed = parseBundlePath(name);
      if (entries.has(name) || (parsed.area === "manifest" && manifest !== undefined)) {
        throw badBundle(`entry ${shown} appears twice.`, { path: name });
      }
      if (++count > limits.maxEntries)
        throw badBundle(`more than ${limits.maxEntries} entries.`, { limit: limits.maxEntries });
      const limit =
        parsed.area === "manifest"
          ? Math.min(MAX_MANIFEST_BYTES, limits.maxEntryBytes)
          : limits.maxEntryBytes;
      if (size > limit) {
        throw badBundle(`entry ${shown} is ${size} bytes, more than the limit of ${limit}.`, {
          path: name,
          size,
          limit,
        });
      }
      if (total + size > limits.maxTotalBytes) {
        throw badBundle(`its entries hold more than ${limits.maxTotalBytes} bytes.`, {
          limit: limits.maxTotalBytes,
        });
      }
      total += size;
      if (parsed.area === "manifest") {
        const chunks: Buffer[] = [];
        for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
        manifest = Buffer.concat(chunks);
        continue;
      }
      const file = join(directory, String(count));
      const { sha256 } = await copyEntry(entry as AsyncIterable<Buffer>, file);
      entries.set(name, { path: name, parsed, file, size, sha256 });
    }
    await piped;
    if (consumed === 0) throw empty();
    report({ phase: "read", done: consumed, total: options.inputSize, bytes: total });
    return { directory, entries, manifest };
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    if (isPlutoError(error)) throw error;
    throw badBundle(
      `it is truncated or corrupt (${error instanceof Error ? error.message : String(error)}). Export it again, or check that the whole file was copied.`,
    );
  }
}

/** Copies an entry's bytes to `file` with back-pressure, hashing them. */
async function copyEntry(entry: AsyncIterable<Buffer>, file: string): Promise<{ sha256: string }> {
  const hash = createHash("sha256");
  const out = createWriteStream(file, { flags: "wx" });
  try {
    for await (const chunk of entry) {
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, "drain");
    }
    out.end();
    await finished(out);
  } finally {
    out.destroy();
  }
  return { sha256: hash.digest("hex") };
}
