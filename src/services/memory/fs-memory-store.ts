import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FsyncPolicy } from "../../config/pluto-config.js";
import type { Scope } from "../../core/scope.js";
import { writeFileAtomic } from "../fs/atomic-write.js";
import { KeyedLock } from "../fs/keyed-lock.js";
import { scopeDirectory } from "../fs/scope-directory.js";
import { addBullet } from "./day-note.js";
import {
  assertMemoryDocument,
  checkMarkdown,
  checkMemoryNote,
  checkSearchLimit,
  isDay,
  sortDocuments,
} from "./memory-document.js";
import { searchDocuments } from "./memory-search.js";
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
}

/**
 * The filesystem {@link MemoryStore}: plain Markdown files a person can read and edit,
 * `<agent>/YYYY-MM-DD.md` daily notes and `<agent>/MEMORY.md`. Every change replaces its file
 * atomically; `add` reads, edits and rewrites the day file under a per-file in-process lock, so hand
 * edits made between calls are kept. One process per data directory.
 */
export class FsMemoryStore implements MemoryStore {
  readonly #dataDir: string;
  readonly #fsync: boolean;
  readonly #lock = new KeyedLock();

  constructor(options: FsMemoryStoreOptions) {
    this.#dataDir = options.dataDir;
    this.#fsync = (options.fsync ?? "batch") !== "never";
  }

  /** Absolute path of a document. @throws PlutoError `INVALID_NAME`. */
  pathOf(scope: Scope, document: MemoryDocument): string {
    const directory = scopeDirectory(this.#dataDir, scope, "memory");
    return join(directory, `${assertMemoryDocument(document)}.md`);
  }

  async #read(path: string): Promise<string | undefined> {
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
    await this.#lock.run(path, () => writeFileAtomic(path, markdown, { fsync: this.#fsync }));
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

  /** See {@link MemoryStore.search}; reads every document of the scope and ranks as `memory-search.ts` describes. */
  async search(scope: Scope, query: string, options?: { limit?: number }): Promise<MemoryHit[]> {
    scopeDirectory(this.#dataDir, scope, "memory");
    const limit = checkSearchLimit(options?.limit);
    const documents = await this.list(scope);
    const all = await Promise.all(
      documents.map(async (document) => ({ document, markdown: (await this.read(scope, document)) ?? "" })),
    );
    return searchDocuments(all, query, limit);
  }
}
