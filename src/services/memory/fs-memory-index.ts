import { type Stats, statSync } from "node:fs";
import { open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { setImmediate } from "node:timers/promises";
import MiniSearch, { type Options, type SearchOptions } from "minisearch";
import { isDay } from "./memory-document.js";
import { queryTerms } from "./memory-search.js";
import { LONG_TERM_DOCUMENT, type MemoryDocument, type MemoryHit } from "./memory-store.js";

/**
 * The derived search index of one agent's memory folder in the filesystem backend (docs/memory-search.md).
 *
 * Every non-blank line of every document (`YYYY-MM-DD.md`, `MEMORY.md`) is one MiniSearch entry with
 * id `<document>:<line>`. The Markdown files stay the source of truth: the index is built from them
 * on first use, updated at once by the store's own writes ({@link FsMemoryIndex.update}), and
 * catches hand edits with a readdir + stat pass (mtime, size, inode) at most once per
 * `checkIntervalMs`, re-reading only the files that changed. It may be saved to `.index.json` in the
 * folder for a fast warm start; a missing, corrupt or outdated file is simply rebuilt.
 */

/** Options of {@link FsMemoryIndex}. */
export interface FsMemoryIndexOptions {
  /** The memory folder of one scope (`<dataDir>/memory/<agent>`); it may not exist yet. */
  directory: string;
  /**
   * Minimum time between two stat passes looking for hand edits, in milliseconds. Hand edits become
   * visible to the first search that starts at least this long after the edit. 0 checks on every search.
   * @default 1000
   */
  checkIntervalMs?: number;
  /** Save the index to `<directory>/.index.json` after a full build and on close. @default true */
  persist?: boolean;
  /** Clock in milliseconds, for tests. @default Date.now */
  now?: () => number;
}

/** The name of the saved index inside a memory folder; starts with '.', so it is never a document. */
export const INDEX_FILE = ".index.json";
const INDEX_FORMAT = "pluto-memory-index";
const INDEX_VERSION = 1;
/**
 * Files stat-ed synchronously between two yields to the event loop: a synchronous stat costs a few
 * microseconds, a promise-based one several times more on a busy thread pool, so the pass is
 * synchronous in slices short enough (about 1-3 ms) not to stall other work.
 */
const STAT_CHUNK = 256;
/** Files read at once while building. */
const READ_CONCURRENCY = 32;
/** Scores closer than this (relatively) count as a tie, broken by recency. */
const TIE = 1e-9;

/** What the index knows about one file: its stat signature and the lines it indexed. */
interface FileEntry {
  mtimeMs: number;
  size: number;
  ino: number;
  /** 1-based numbers of the indexed (non-blank) lines. */
  lines: number[];
}

interface LineEntry {
  id: string;
  text: string;
}

/** Terms are runs of Unicode letters and digits, lower-cased: the same rule as `memory-search.ts`. */
function tokenize(text: string): string[] {
  return text.split(/[^\p{L}\p{N}]+/u).filter((term) => term !== "");
}

/**
 * Ranking: BM25 without length normalisation (`b: 0`; lines are short, and a long line that names a
 * term is no weaker a memory), prefix matches for terms of 3+ characters, one typo allowed in terms
 * of 5+ characters (two from 10), and multi-term queries joined with OR, MiniSearch multiplying a
 * line's score by how many query terms it matched.
 */
const SEARCH_OPTIONS: SearchOptions = {
  prefix: (term) => term.length >= 3,
  fuzzy: (term) => (term.length >= 5 ? 0.2 : false),
  maxFuzzy: 2,
  combineWith: "OR",
  bm25: { k: 1.2, b: 0, d: 0.5 },
};

const MINISEARCH_OPTIONS: Options<LineEntry> = {
  fields: ["text"],
  storeFields: ["text"],
  tokenize,
  processTerm: (term) => term.toLowerCase(),
  searchOptions: SEARCH_OPTIONS,
};

function newMiniSearch(): MiniSearch<LineEntry> {
  return new MiniSearch<LineEntry>(MINISEARCH_OPTIONS);
}

/** The document a file name holds, or `undefined` for any other file. */
function documentOf(fileName: string): MemoryDocument | undefined {
  if (!fileName.endsWith(".md")) return undefined;
  const document = fileName.slice(0, -3);
  return document === LONG_TERM_DOCUMENT || isDay(document) ? document : undefined;
}

/** Recency rank: `MEMORY` above every day, later days above earlier ones. */
function recency(document: MemoryDocument): string {
  return document === LONG_TERM_DOCUMENT ? "9999-99-99" : document;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}

function sameFile(entry: FileEntry | undefined, stats: Stats): boolean {
  return (
    entry !== undefined &&
    entry.mtimeMs === stats.mtimeMs &&
    entry.size === stats.size &&
    entry.ino === stats.ino
  );
}

/** One scope's search index over its Markdown memory files. Not shared between processes. */
export class FsMemoryIndex {
  readonly #directory: string;
  readonly #checkIntervalMs: number;
  readonly #persist: boolean;
  readonly #now: () => number;
  #search: MiniSearch<LineEntry> = newMiniSearch();
  readonly #files = new Map<MemoryDocument, FileEntry>();
  #loaded = false;
  #checkedAt = Number.NEGATIVE_INFINITY;
  #dirty = false;
  #queue: Promise<unknown> = Promise.resolve();
  #persistTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: FsMemoryIndexOptions) {
    this.#directory = options.directory;
    this.#checkIntervalMs = options.checkIntervalMs ?? 1000;
    this.#persist = options.persist ?? true;
    this.#now = options.now ?? Date.now;
  }

  /** Runs `task` after every earlier index task (loads, passes, updates never interleave). */
  #run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(task, task);
    this.#queue = result.catch(() => {});
    return result;
  }

  /**
   * Ranked hits for `query`, best first: score, then recency (`MEMORY`, later days, later lines).
   * Brings the index up to date first when the last stat pass is older than `checkIntervalMs`.
   * @returns at most `limit` hits; `[]` for a query without letters or digits.
   */
  async search(query: string, limit: number): Promise<MemoryHit[]> {
    if (queryTerms(query).length === 0) return [];
    await this.#run(() => this.#refresh(false));
    const results = this.#search.search(query);
    let end = Math.min(limit, results.length);
    const floor = results[end - 1]?.score ?? 0;
    while (end < results.length && Math.abs((results[end]?.score ?? 0) - floor) <= floor * TIE) end++;
    const hits = results.slice(0, end).map((result): MemoryHit => {
      const id = String(result.id);
      const colon = id.lastIndexOf(":");
      return {
        document: id.slice(0, colon),
        line: Number(id.slice(colon + 1)),
        text: String(result.text),
        score: result.score,
      };
    });
    hits.sort(
      (a, b) =>
        (Math.abs(a.score - b.score) <= Math.max(a.score, b.score) * TIE ? 0 : b.score - a.score) ||
        recency(b.document).localeCompare(recency(a.document)) ||
        b.line - a.line,
    );
    return hits.slice(0, limit);
  }

  /**
   * Re-indexes `document` from `markdown`, the content the store just wrote to its file (or removes it
   * when `markdown` is `undefined`). Does nothing before the first search builds the index.
   */
  async update(document: MemoryDocument, markdown: string | undefined): Promise<void> {
    if (!this.#loaded) return;
    await this.#run(async () => {
      if (markdown === undefined) return this.#remove(document);
      const stats = await stat(join(this.#directory, `${document}.md`)).catch(() => undefined);
      if (stats === undefined) return this.#remove(document);
      this.#index(document, markdown, stats);
    });
  }

  /** Saves the index when it changed since the last save and cancels a scheduled save. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#persistTimer);
    await this.#run(() => this.#save());
  }

  /** Loads (saved file or full build) on first use, then runs a stat pass when one is due or `force`d. */
  async #refresh(force: boolean): Promise<void> {
    if (!this.#loaded) {
      await this.#load();
      this.#loaded = true;
    } else if (!force && this.#now() - this.#checkedAt < this.#checkIntervalMs) {
      return;
    }
    this.#checkedAt = this.#now();
    const stats = await this.#statAll();
    const changed: [MemoryDocument, Stats][] = [];
    for (const [document, fileStats] of stats) {
      if (!sameFile(this.#files.get(document), fileStats)) changed.push([document, fileStats]);
    }
    for (const document of [...this.#files.keys()]) if (!stats.has(document)) this.#remove(document);
    const fullBuild = this.#files.size === 0 && changed.length > 100;
    for (let start = 0; start < changed.length; start += READ_CONCURRENCY) {
      const batch = changed.slice(start, start + READ_CONCURRENCY);
      const contents = await Promise.all(batch.map(([document]) => this.#readDocument(document)));
      batch.forEach(([document, fileStats], index) => {
        const markdown = contents[index];
        if (markdown === undefined) this.#remove(document);
        else this.#index(document, markdown, fileStats);
      });
    }
    if (fullBuild) this.#schedulePersist();
  }

  /** Document → stats of every document file in the folder (empty when the folder is missing). */
  async #statAll(): Promise<Map<MemoryDocument, Stats>> {
    let names: string[];
    try {
      names = await readdir(this.#directory);
    } catch (error) {
      if (isMissing(error)) return new Map();
      throw error;
    }
    const documents = names.map(documentOf).filter((document) => document !== undefined);
    const result = new Map<MemoryDocument, Stats>();
    for (let start = 0; start < documents.length; start += STAT_CHUNK) {
      if (start > 0) await setImmediate();
      for (const document of documents.slice(start, start + STAT_CHUNK)) {
        const fileStats = statSync(join(this.#directory, `${document}.md`), { throwIfNoEntry: false });
        if (fileStats?.isFile()) result.set(document, fileStats);
      }
    }
    return result;
  }

  async #readDocument(document: MemoryDocument): Promise<string | undefined> {
    try {
      return await readFile(join(this.#directory, `${document}.md`), "utf8");
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
  }

  #remove(document: MemoryDocument): void {
    const entry = this.#files.get(document);
    if (entry === undefined) return;
    this.#search.discardAll(entry.lines.map((line) => `${document}:${line}`));
    this.#files.delete(document);
    this.#dirty = true;
  }

  #index(document: MemoryDocument, markdown: string, stats: Stats): void {
    this.#remove(document);
    const lines: number[] = [];
    const entries: LineEntry[] = [];
    markdown.split(/\r?\n/).forEach((text, index) => {
      if (text.trim() === "") return;
      lines.push(index + 1);
      entries.push({ id: `${document}:${index + 1}`, text });
    });
    this.#search.addAll(entries);
    this.#files.set(document, { mtimeMs: stats.mtimeMs, size: stats.size, ino: stats.ino, lines });
    this.#dirty = true;
  }

  /** Loads `.index.json` when it is valid; otherwise starts empty (the stat pass then reads every file). */
  async #load(): Promise<void> {
    if (!this.#persist) return;
    let text: string;
    try {
      text = await readFile(join(this.#directory, INDEX_FILE), "utf8");
    } catch {
      return;
    }
    try {
      const saved = JSON.parse(text) as {
        format?: unknown;
        version?: unknown;
        files?: Record<string, FileEntry>;
        index?: Parameters<typeof MiniSearch.loadJS>[0];
      };
      if (saved.format !== INDEX_FORMAT || saved.version !== INDEX_VERSION) return;
      if (typeof saved.files !== "object" || saved.files === null || saved.index === undefined) return;
      const search = MiniSearch.loadJS<LineEntry>(saved.index, MINISEARCH_OPTIONS);
      const files = Object.entries(saved.files);
      const valid = files.every(
        ([document, entry]) =>
          documentOf(`${document}.md`) === document &&
          typeof entry?.mtimeMs === "number" &&
          typeof entry.size === "number" &&
          typeof entry.ino === "number" &&
          Array.isArray(entry.lines) &&
          entry.lines.every((line) => search.has(`${document}:${line}`)),
      );
      if (!valid) return;
      this.#search = search;
      for (const [document, entry] of files) this.#files.set(document, entry);
      this.#dirty = false;
    } catch {
      this.#search = newMiniSearch();
      this.#files.clear();
    }
  }

  /** Saves soon after a full build, off the search's path; the timer never keeps the process alive. */
  #schedulePersist(): void {
    if (!this.#persist || this.#closed || this.#persistTimer !== undefined) return;
    this.#persistTimer = setTimeout(() => {
      this.#persistTimer = undefined;
      void this.#run(() => this.#save()).catch(() => {});
    }, 1000);
    this.#persistTimer.unref();
  }

  /**
   * Writes `.index.json` atomically (temporary file + rename, no fsync: it is derived data). Never
   * creates the folder; failures are ignored, since the index can always be rebuilt.
   */
  async #save(): Promise<void> {
    if (!this.#persist || !this.#dirty || !this.#loaded || this.#files.size === 0) return;
    const path = join(this.#directory, INDEX_FILE);
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    const files = Object.fromEntries(this.#files);
    const body = `{"format":"${INDEX_FORMAT}","version":${INDEX_VERSION},"files":${JSON.stringify(files)},"index":${JSON.stringify(this.#search)}}`;
    try {
      const handle = await open(temporary, "wx", 0o644);
      try {
        await handle.writeFile(body);
      } finally {
        await handle.close();
      }
      await rename(temporary, path);
      this.#dirty = false;
    } catch {
      await unlink(temporary).catch(() => {});
    }
  }
}
