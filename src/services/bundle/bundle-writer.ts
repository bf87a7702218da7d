import { createHash } from "node:crypto";
import { once } from "node:events";
import { createReadStream } from "node:fs";
import type { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import { pack } from "tar-stream";
import type { BundleEntry } from "./bundle-format.js";

/**
 * Writes the entries of a bundle as a gzip-compressed tar to `out`, with back-pressure: every
 * `add…` resolves once its bytes have been handed on, so memory stays bounded by one chunk plus the
 * stream buffers whatever the entry sizes. Records the size and sha256 of every entry for the manifest.
 */
export class BundleWriter {
  readonly #pack = pack();
  readonly #piped: Promise<void>;
  readonly #mtime: Date;
  /** Entries written so far, in order. */
  readonly entries: BundleEntry[] = [];
  /** Uncompressed bytes written so far. */
  bytes = 0;

  /** @param mtime the modification time recorded in every tar header (the export's start). */
  constructor(out: Writable, mtime: Date) {
    this.#mtime = mtime;
    this.#piped = pipeline(this.#pack, createGzip(), out);
    this.#piped.catch(() => {});
  }

  /** Adds an entry from bytes. */
  async addBytes(path: string, bytes: Uint8Array): Promise<BundleEntry> {
    return this.#add(path, bytes.byteLength, [bytes]);
  }

  /** Adds an entry streamed from a file of known size (a spool file that no one else writes). */
  async addFile(path: string, file: string, size: number): Promise<BundleEntry> {
    return this.#add(path, size, createReadStream(file));
  }

  async #add(
    path: string,
    size: number,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  ): Promise<BundleEntry> {
    const hash = createHash("sha256");
    await new Promise<void>((resolve, reject) => {
      const sink = this.#pack.entry(
        { name: path, size, type: "file", mode: 0o644, mtime: this.#mtime },
        (error?: Error | null) => (error ? reject(error) : resolve()),
      );
      (async () => {
        for await (const chunk of chunks) {
          hash.update(chunk);
          if (!sink.write(chunk)) await once(sink, "drain");
        }
        sink.end(() => {});
      })().catch((error: unknown) => {
        sink.destroy(error as Error);
        reject(error);
      });
    });
    const entry: BundleEntry = { path, size, sha256: hash.digest("hex") };
    this.entries.push(entry);
    this.bytes += size;
    return entry;
  }

  /** Ends the tar and waits until `out` has received everything. */
  async finish(): Promise<void> {
    this.#pack.finalize();
    await this.#piped;
  }

  /** Aborts: destroys the tar stream (and with it `out`) and waits for the pipeline to settle. */
  async abort(error: Error): Promise<void> {
    this.#pack.destroy(error);
    await this.#piped.catch(() => {});
  }
}
