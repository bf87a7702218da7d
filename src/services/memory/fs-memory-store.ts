import { statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FsyncPolicy } from "../../config/pluto-config.js";
import type { Scope } from "../../core/scope.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { KeyedLock } from "../fs/keyed-lock.js";
import { scopeDirectory } from "../fs/scope-directory.js";
import { addBullet } from "./day-note.js";
import { FsMemoryIndex } from "./fs-memory-index.js";
import {
  assertMemoryDocument,
  checkMarkdown,
  checkMemoryNote,
  checkSearchLimit,
  isDay,
  sortDocuments,
} from "./memory-document.js";
import {
  LONG_TERM_DOCUMENT,
  type MemoryDocument,
  type MemoryHit,
  type MemoryNote,
  type MemoryStore,
} from "./memory-store.js";

/** Options of {@link FsMemoryStore}. */
export interface FsMemoryStoreOptions {
  /** The state directory; documents live under `<dataDir>/memory/<agent>/` (or `tenants/<tenant>/memory/<agent>/`). */
  dataDir: string;
  /**
   * `always` and `batch` flush every replaced document and its directory before resolving (each
   * write is atomic either way); `never` skips the flushes (tests and benchmarks).
   * @default "batch"
   */
  fsync?: FsyncPolicy;
  /** The derived search index (docs/memory-search.md). */
  index?: {
    /**
     * Minimum milliseconds between two stat passes that look for hand-edited files; an edit is seen by
     * the first search starting at least this long after it. 0 checks on every search.
     * @default 1000
     */
    checkIntervalMs?: number;
    /** Save each scope's index to `<agent folder>/.index.json` for a fast warm start. @default true */
    persist?: boolean;
    /** How many scopes keep an index in memory; the least recently searched is dropped (and saved) beyond it. @default 64 */
    maxScopes?: number;
  };
}

/**
 * The filesystem {@link MemoryStore}: plain Markdown files a person can read and edit,
 * `<agent>/YYYY-MM-DD.md` daily notes and `<agent>/MEMORY.md`. Every change replaces its file
 * atomically; `add` reads, edits and rewrites the day file under a per-file in-process lock, so hand
 * edits made between calls are kept. One process per data directory.
 *
 * `search` uses a derived MiniSearch index per scope ({@link FsMemoryIndex}): built from the files on
 * first use, updated by this store's own writes at once and by hand edits through a stat pass at most
 * once per `index.checkIntervalMs`.
 */
export class FsMemoryStore implements MemoryStore {
  readonly #dataDir: string;
  readonly #fsync: boolean;
  readonly #lock = new KeyedLock();
  readonly #indexOptions: { checkIntervalMs: number; persist: boolean; maxScopes: number };
  /** Scope folder → index, least recently used first. */
  readonly #indexes = new Map<string, FsMemoryIndex>();

  constructor(options: FsMemoryStoreOptions) {
    this.#dataDir = options.dataDir;
    this.#fsync = (options.fsync ?? "batch") !== "never";
    this.#indexOptions = {
      checkIntervalMs: options.index?.checkIntervalMs ?? 1000,
      persist: options.index?.persist ?? true,
      maxScopes: Math.max(1, options.index?.maxScopes ?? 64),
    };
  }

  /** The scope's index (created empty and built on first search); marks it recently used. */
  #index(directory: string): FsMemoryIndex {
    let index = this.#indexes.get(directory);
    if (index !== undefined) {
      this.#indexes.delete(directory);
    } else {
      index = new FsMemoryIndex({
        directory,
        checkIntervalMs: this.#indexOptions.checkIntervalMs,
        persist: this.#indexOptions.persist,
      });
      for (const [oldest, evicted] of this.#indexes) {
        if (this.#indexes.size < this.#indexOptions.maxScopes) break;
        this.#indexes.delete(oldest);
        void evicted.close().catch(() => {});
      }
    }
    this.#indexes.set(directory, index);
    return index;
  }

  /** Tells a loaded index that the store replaced `document` with `markdown`. */
  async #indexed(scope: Scope, document: MemoryDocument, markdown: string): Promise<void> {
    const index = this.#indexes.get(scopeDirectory(this.#dataDir, scope, "memory"));
    await index?.update(document, markdown);
  }

  /** Absolute path of a document. @throws PlutoError `INVALID_NAME`. */
  pathOf(scope: Scope, document: MemoryDocument): string {
    const directory = scopeDirectory(this.#dataDir, scope, "memory");
    return join(directory, `${assertMemoryDocument(document)}.md`);
  }

  /** The document's text, `undefined` when the file does not exist. */
  async #read(path: string): Promise<string | undefined> {
    // Most days have no notes yet and every run reads today's and yesterday's: a stat that cannot throw
    // (about 2 µs) answers "absent" without the ENOENT error a failed open builds (about 40 µs of CPU).
    if (statSync(path, { throwIfNoEntry: false }) === undefined) return undefined;
    try {
      return await readFile(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  /** See {@link MemoryStore.add}. */
  async add(scope: Scope, note: MemoryNote): Promise<void> {
    scopeDirectory(this.#dataDir, scope, "memory");
    const { day, section, text } = checkMemoryNote(note);
    const path = this.pathOf(scope, day);
    await this.#lock.run(path, async () => {
      const markdown = addBullet(await this.#read(path), day, section, text);
      await writeFileAtomic(path, markdown, { fsync: this.#fsync });
      await this.#indexed(scope, day, markdown);
    });
  }

  /** See {@link MemoryStore.read}. */
  async read(scope: Scope, document: MemoryDocument): Promise<string | undefined> {
    return this.#read(this.pathOf(scope, document));
  }

  /** See {@link MemoryStore.write}. */
  async write(scope: Scope, document: MemoryDocument, markdown: string): Promise<void> {
    const path = this.pathOf(scope, document);
    checkMarkdown(markdown);
    await this.#lock.run(path, async () => {
      await writeFileAtomic(path, markdown, { fsync: this.#fsync });
      await this.#indexed(scope, document, markdown);
    });
  }

  /** See {@link MemoryStore.list}. Files whose names are not documents (`notes.txt`, `2026-02-30.md`) are ignored. */
  async list(scope: Scope): Promise<MemoryDocument[]> {
    let names: string[];
    try {
      names = await readdir(scopeDirectory(this.#dataDir, scope, "memory"));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const documents = names
      .filter((name) => name.endsWith(".md"))
      .map((name) => name.slice(0, -3))
      .filter((document) => document === LONG_TERM_DOCUMENT || isDay(document));
    return sortDocuments(documents);
  }

  /** See {@link MemoryStore.search}; ranked by the scope's index as docs/memory-search.md describes. */
  async search(scope: Scope, query: string, options?: { limit?: number }): Promise<MemoryHit[]> {
    const directory = scopeDirectory(this.#dataDir, scope, "memory");
    const limit = checkSearchLimit(options?.limit);
    return this.#index(directory).search(query, limit);
  }

  /** Saves changed indexes and drops them from memory; the store stays usable (indexes reload on demand). */
  async close(): Promise<void> {
    const indexes = [...this.#indexes.values()];
    this.#indexes.clear();
    await Promise.all(indexes.map((index) => index.close()));
  }
}
