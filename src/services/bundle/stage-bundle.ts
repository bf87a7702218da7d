import { createHash } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { extract } from "tar-stream";
import { isPlutoError, type PlutoError } from "../../core/errors.js";
import {
  type BundleLimits,
  type BundlePath,
  type BundleProgressCallback,
  badBundle,
  COMPRESSION_RATIO_FLOOR_BYTES,
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
  /** The limit breach that stopped the read, kept because the stream reports it as its own error. */
  let refusal: PlutoError | undefined;
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
    // Counts the tar bytes (decompressed) as they are produced, so an expansion bomb stops at the limit.
    let inflated = 0;
    const inflatedLimit = limits.maxTotalBytes + (limits.maxEntries + 2) * TAR_OVERHEAD_PER_ENTRY;
    const expansion = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        inflated += chunk.length;
        refusal ??= expansionRefusal(inflated, consumed, gzip, inflatedLimit, limits);
        callback(refusal ?? null, refusal === undefined ? chunk : undefined);
      },
    });
    const piped = gzip
      ? pipeline(source, counter, createGunzip(), expansion, extractor)
      : pipeline(source, counter, expansion, extractor);
    piped.catch(() => {});
    let count = 0;
    let emptyFile: string | undefined;
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
      if (++count > limits.maxEntries) {
        throw badBundle(
          `more than ${limits.maxEntries} entries; it was refused at entry ${count}. Split the agent's data, or raise the import's maxEntries limit.`,
          { limit: limits.maxEntries, entriesRead: count },
        );
      }
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
      if (size === 0) {
        // Empty entries share one empty file: thousands of them cost no file each.
        entry.resume();
        emptyFile ??= await createEmptyFile(directory);
        entries.set(name, { path: name, parsed, file: emptyFile, size, sha256: EMPTY_SHA256 });
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
    if (refusal !== undefined) throw refusal;
    if (isPlutoError(error)) throw error;
    throw badBundle(
      `it is truncated or corrupt (${error instanceof Error ? error.message : String(error)}). Export it again, or check that the whole file was copied.`,
    );
  }
}

/** Tar bytes an entry may add beyond its body: a header block, a pax header pair, padding. */
const TAR_OVERHEAD_PER_ENTRY = 2048;

/** SHA-256 of no bytes. */
const EMPTY_SHA256 = createHash("sha256").digest("hex");

/** Creates the staging folder's one shared empty file. */
async function createEmptyFile(directory: string): Promise<string> {
  const file = join(directory, "empty");
  await writeFile(file, "", { flag: "wx" });
  return file;
}

/**
 * The refusal for a bundle whose decompressed tar stream passed `inflatedLimit` (the total limit plus tar
 * overhead), or, for gzip input past {@link COMPRESSION_RATIO_FLOOR_BYTES}, expanded more than
 * `maxCompressionRatio` times its compressed bytes; `undefined` while within the limits.
 */
function expansionRefusal(
  inflated: number,
  consumed: number,
  gzip: boolean,
  inflatedLimit: number,
  limits: Required<BundleLimits>,
): PlutoError | undefined {
  if (inflated > inflatedLimit) {
    return badBundle(`it expands to more than ${inflatedLimit} bytes.`, {
      limit: limits.maxTotalBytes,
      inflatedBytes: inflated,
    });
  }
  if (gzip && inflated > COMPRESSION_RATIO_FLOOR_BYTES && inflated > consumed * limits.maxCompressionRatio) {
    return badBundle(
      `it expands more than ${limits.maxCompressionRatio} times (${consumed} compressed bytes became ${inflated}), like a compression bomb; bundles written by \`pluto export\` do not.`,
      { limit: limits.maxCompressionRatio, inflatedBytes: inflated, compressedBytes: consumed },
    );
  }
  return undefined;
}

/** Copies an entry's bytes to `file` with back-pressure, hashing them. */
async function copyEntry(entry: AsyncIterable<Buffer>, file: string): Promise<{ sha256: string }> {
  const hash = createHash("sha256");
  const out = createWriteStream(file, { flags: "wx" });
  // A write still in flight when a refusal destroys the stream errors later; `finished` and `once`
  // report real errors, this keeps the late one from being unhandled.
  out.on("error", () => {});
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
