import type { Stats } from "node:fs";
import { readFile } from "node:fs/promises";
import { inspectLog, type LogLayout } from "./session-log-format.js";
import type { SessionKey } from "./session-store.js";

/** One read of a log file: its bytes and their layout. */
export interface LogSnapshot {
  buffer: Buffer;
  layout: LogLayout;
}

interface Entry {
  /** Identity of the file version read: inode, size and change time. */
  version: string;
  snapshot: Promise<LogSnapshot | undefined>;
  bytes: number;
}

/**
 * Shares reads of session log files: concurrent and repeated reads of an unchanged file (same inode,
 * size and change time) get one buffer and one `inspectLog` instead of one each. Without it, N clients
 * replaying one large session page by page each held the whole file. Keeps the most recently used
 * snapshots up to `maxBytes` in total (a file larger than that is shared only while reads overlap).
 */
export class LogSnapshots {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  /** @param maxBytes bytes of file content kept after reads finish. @default 67108864 (64 MiB) */
  constructor(maxBytes = 64 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  /**
   * The snapshot of `path` (the log of session `key`, named in errors) as `stats` describe it (`stats` from a `stat` just taken), reading it when no
   * snapshot of that version is held; `undefined` when the file vanished meanwhile.
   * @throws PlutoError `SESSION_CORRUPT` from `inspectLog`; file-system errors other than ENOENT.
   */
  read(path: string, stats: Stats, key: SessionKey): Promise<LogSnapshot | undefined> {
    const version = `${stats.ino}:${stats.size}:${stats.ctimeMs}`;
    const held = this.#entries.get(path);
    if (held !== undefined && held.version === version) {
      // Most recently used last.
      this.#entries.delete(path);
      this.#entries.set(path, held);
      return held.snapshot;
    }
    if (held !== undefined) this.#drop(path, held);
    const entry: Entry = { version, snapshot: this.#load(path, key), bytes: stats.size };
    this.#entries.set(path, entry);
    this.#bytes += entry.bytes;
    entry.snapshot.then(
      () => this.#trim(),
      () => this.#drop(path, entry),
    );
    return entry.snapshot;
  }

  /** Forgets the snapshot of `path` (the file was written or deleted). */
  forget(path: string): void {
    const held = this.#entries.get(path);
    if (held !== undefined) this.#drop(path, held);
  }

  async #load(path: string, key: SessionKey): Promise<LogSnapshot | undefined> {
    let buffer: Buffer;
    try {
      buffer = await readFile(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    return { buffer, layout: inspectLog(buffer, key) };
  }

  #drop(path: string, entry: Entry): void {
    if (this.#entries.get(path) !== entry) return;
    this.#entries.delete(path);
    this.#bytes -= entry.bytes;
  }

  #trim(): void {
    for (const [path, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) return;
      this.#drop(path, entry);
    }
  }
}
