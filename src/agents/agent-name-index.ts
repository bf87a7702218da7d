import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { isSafeName } from "../core/names.js";
import { AGENT_FILE_NAME } from "./load-agent.js";

interface Snapshot {
  /** `mtime:ctime:ino` of the agents folder when it was read. */
  stamp: string;
  /** Folders with a safe name and an agent.yaml, sorted. Replaced, never mutated (callers keep old arrays). */
  names: readonly string[];
  /** Folders with a safe name but no agent.yaml (yet): re-checked on every call. */
  without: ReadonlySet<string>;
  /** The folder changed within a second of the read (coarse mtimes): read it again next time. */
  volatile: boolean;
}

/** Stat calls in flight while reading a folder of agents. */
const STAT_CONCURRENCY = 64;

/**
 * The names of the agents in one folder: sub-folders with a safe name and an `agent.yaml`, sorted.
 * Reading 10,000 folders costs a `readdir` and 10,000 `stat`s, so the result is kept while the folder's own
 * stamp (mtime, ctime, inode) is unchanged — adding, removing or renaming an agent folder changes it.
 * Folders without agent.yaml, and names passed to `recheck` (an agent.yaml written or deleted inside an
 * existing folder, which does not touch the parent), are stat-ed again on every call.
 */
export class AgentNameIndex {
  readonly directory: string;
  #snapshot: Snapshot | undefined;
  readonly #recheck = new Set<string>();
  #inFlight: Promise<readonly string[]> | undefined;

  constructor(directory: string) {
    this.directory = directory;
  }

  /** The agent names, sorted; empty when the folder does not exist. Concurrent calls share one read. */
  names(): Promise<readonly string[]> {
    if (this.#inFlight !== undefined) return this.#inFlight;
    const reading = this.#read().finally(() => {
      this.#inFlight = undefined;
    });
    this.#inFlight = reading;
    return reading;
  }

  /** Marks one name for a fresh `stat` of its agent.yaml on the next call (it changed or vanished). */
  recheck(name: string): void {
    if (isSafeName(name)) this.#recheck.add(name);
  }

  /** Forgets everything; the next call reads the folder again. */
  reset(): void {
    this.#snapshot = undefined;
    this.#recheck.clear();
  }

  async #read(): Promise<readonly string[]> {
    const started = Date.now();
    const info = await stat(this.directory).catch(() => undefined);
    if (info === undefined || !info.isDirectory()) {
      this.reset();
      return [];
    }
    const stamp = `${info.mtimeMs}:${info.ctimeMs}:${info.ino}`;
    const snapshot = this.#snapshot;
    if (snapshot !== undefined && snapshot.stamp === stamp && !snapshot.volatile) {
      return this.#refresh(snapshot);
    }
    let entries: Dirent[];
    try {
      entries = await readdir(this.directory, { withFileTypes: true });
    } catch {
      this.reset();
      return [];
    }
    const candidates = entries
      .filter((entry) => isSafeName(entry.name) && (entry.isDirectory() || entry.isSymbolicLink()))
      .map((entry) => entry.name);
    this.#recheck.clear();
    const found = await mapWithConcurrency(candidates, STAT_CONCURRENCY, (name) => this.#hasAgentFile(name));
    const names = candidates.filter((_, index) => found[index]).sort();
    const without = new Set(candidates.filter((_, index) => !found[index]));
    this.#snapshot = { stamp, names, without, volatile: info.mtimeMs >= started - 1000 };
    return names;
  }

  async #refresh(snapshot: Snapshot): Promise<readonly string[]> {
    const toCheck = [...new Set([...snapshot.without, ...this.#recheck])];
    this.#recheck.clear();
    if (toCheck.length === 0) return snapshot.names;
    const found = await mapWithConcurrency(toCheck, STAT_CONCURRENCY, (name) => this.#hasAgentFile(name));
    const names = new Set(snapshot.names);
    const without = new Set(snapshot.without);
    toCheck.forEach((name, index) => {
      if (found[index]) {
        names.add(name);
        without.delete(name);
      } else if (names.delete(name) || without.has(name)) {
        // A folder that lost its agent.yaml stays listed as a candidate; names that were never agents
        // (such as a mistyped `get`) are not remembered, so hostile lookups cannot grow this set.
        without.add(name);
      }
    });
    const sorted = [...names].sort();
    this.#snapshot = { ...snapshot, names: sorted, without };
    return sorted;
  }

  async #hasAgentFile(name: string): Promise<boolean> {
    const info = await stat(path.join(this.directory, name, AGENT_FILE_NAME)).catch(() => undefined);
    return info?.isFile() === true;
  }
}

/**
 * Maps `items` through `work` with at most `concurrency` calls in flight, keeping the input order.
 * Rejects with the first error (calls already started still finish).
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, concurrency), items.length) }, worker));
  return results;
}
