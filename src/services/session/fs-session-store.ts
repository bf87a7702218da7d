import { statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { FsyncPolicy } from "../../config/pluto-config.js";
import type { RunEvent, SessionEvent } from "../../core/events.js";
import { isSafeName } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";
import { scopeDirectory } from "../fs/scope-directory.js";
import { checkAppend, checkReadOptions, checkSessionKey } from "./session-input.js";
import { type HandleBudget, type SessionCommit, SessionLogFile } from "./session-log-file.js";
import { checkEvent } from "./session-log-format.js";
import { LogSnapshots } from "./session-log-snapshots.js";
import type { AppendOptions, ReadOptions, SessionInfo, SessionKey, SessionStore } from "./session-store.js";

/** Options of {@link FsSessionStore}. */
export interface FsSessionStoreOptions {
  /** The state directory (`.pluto`); logs live under `<dataDir>/sessions/` and `<dataDir>/tenants/<tenant>/sessions/`. */
  dataDir: string;
  /**
   * When an append's promise resolves: `batch` after an fdatasync shared by every append that queued
   * while the previous write was in flight (group commit), `always` after an fdatasync of its own,
   * `never` after the write reached the OS (lost on power loss; for tests and benchmarks).
   * @default "batch"
   */
  fsync?: FsyncPolicy;
  /** Called after every write of a log file (one call per group commit); for tests and metrics. */
  onCommit?: (commit: SessionCommit) => void;
  /**
   * How many session writers (with their cached `lastSeq`) to keep; idle ones beyond this are dropped
   * oldest first and re-read from disk when used again.
   * @default 10000
   */
  cacheSize?: number;
  /**
   * How many session files may stay open between appends (each for up to 1 s after its last write),
   * which saves an open and a close per commit; beyond it files are closed after every write.
   * @default 256
   */
  maxOpenFiles?: number;
}

/**
 * The filesystem {@link SessionStore} of simple mode: one append-only JSON Lines file per session at
 * `<dataDir>/sessions/<agent>/<session>.jsonl` (default tenant) or
 * `<dataDir>/tenants/<tenant>/sessions/<agent>/<session>.jsonl`. Format, durability and crash repair
 * are described in docs/state.md and `session-log-format.ts`.
 *
 * Appends to one file are serialised in process, so exactly one process may use a data directory,
 * through one store instance.
 */
export class FsSessionStore implements SessionStore {
  readonly #dataDir: string;
  readonly #fsync: FsyncPolicy;
  readonly #onCommit: ((commit: SessionCommit) => void) | undefined;
  readonly #cacheSize: number;
  readonly #handles: HandleBudget;
  /** path → writer, in least-recently-used order. */
  readonly #files = new Map<string, SessionLogFile>();
  /** Reads shared between concurrent readers of one log (replays read a large log page by page). */
  readonly #snapshots = new LogSnapshots();

  constructor(options: FsSessionStoreOptions) {
    this.#dataDir = options.dataDir;
    this.#fsync = options.fsync ?? "batch";
    this.#onCommit = options.onCommit;
    this.#cacheSize = options.cacheSize ?? 10_000;
    this.#handles = { open: 0, max: options.maxOpenFiles ?? 256, idleMs: 1000 };
  }

  /** Absolute path of a session's log file. @throws PlutoError `INVALID_NAME`. */
  pathOf(key: SessionKey): string {
    const checked = checkSessionKey(key);
    return join(scopeDirectory(this.#dataDir, checked, "sessions"), `${checked.session}.jsonl`);
  }

  #file(key: SessionKey): SessionLogFile {
    const path = this.pathOf(key);
    let file = this.#files.get(path);
    if (file !== undefined) {
      this.#files.delete(path);
    } else {
      file = new SessionLogFile(path, checkSessionKey(key), {
        fsync: this.#fsync,
        onCommit: this.#onCommit,
        handles: this.#handles,
      });
      this.#evict();
    }
    this.#files.set(path, file);
    return file;
  }

  #evict(): void {
    for (const [path, file] of this.#files) {
      if (this.#files.size < this.#cacheSize) return;
      if (!file.idle) continue;
      this.#files.delete(path);
      void file.release().catch(() => {});
    }
  }

  /** See {@link SessionStore.append}. Also throws `SESSION_CORRUPT` when the log's last lines are broken. */
  async append(key: SessionKey, events: RunEvent[], options: AppendOptions): Promise<SessionEvent[]> {
    checkSessionKey(key);
    const expectedSeq = checkAppend(events, options);
    return this.#file(key).append(events, expectedSeq);
  }

  /**
   * See {@link SessionStore.read}. A torn final line is skipped (and cut off by the next append).
   * Reads nothing from disk when the log does not exist, or when `after` is at or past the last seq this
   * store committed and the file still has the length it wrote (a run manager catching up on a
   * session it already holds). Concurrent reads of an unchanged file share one read of it, so paging
   * through a large log (`after` and `limit`) does not hold a copy of the file per reader.
   * @throws PlutoError `SESSION_CORRUPT` naming file and line when a returned line is broken.
   */
  async read(key: SessionKey, options?: ReadOptions): Promise<SessionEvent[]> {
    const path = this.pathOf(key);
    const { after, limit } = checkReadOptions(options);
    // A stat that cannot throw: no ENOENT error to build for a new session, and the size to compare.
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats === undefined) return [];
    const committed = this.#files.get(path)?.committed;
    if (committed?.exists === true && stats.size === committed.validBytes && after >= committed.lastSeq)
      return [];
    const snapshot = await this.#snapshots.read(path, stats, key);
    if (snapshot === undefined) return [];
    const { buffer, layout } = snapshot;
    return layout.events
      .slice(after, after + limit)
      .map((range, index) => checkEvent(buffer, range, after + index + 1, key));
  }

  /** See {@link SessionStore.info}. Identity comes from the file's location, `createdAt` from its header. */
  async info(key: SessionKey): Promise<SessionInfo | undefined> {
    const checked = checkSessionKey(key);
    const path = this.pathOf(checked);
    const identity = { id: checked.session, agent: checked.agent, tenant: checked.tenant };
    const committed = this.#files.get(path)?.committed;
    if (committed !== undefined) {
      if (!committed.exists || committed.createdAt === undefined) return undefined;
      return { ...identity, createdAt: committed.createdAt, lastSeq: committed.lastSeq };
    }
    // A session id seen for the first time has no file: answer without building an ENOENT error.
    const stats = statSync(path, { throwIfNoEntry: false });
    const layout =
      stats === undefined ? undefined : (await this.#snapshots.read(path, stats, checked))?.layout;
    if (layout?.header === undefined) return undefined;
    return { ...identity, createdAt: layout.header.createdAt, lastSeq: layout.events.length };
  }

  /** See {@link SessionStore.list}. Reads every `*.jsonl` header of the scope; newest `createdAt` first, then by id descending. */
  async list(scope: Scope): Promise<SessionInfo[]> {
    const directory = scopeDirectory(this.#dataDir, scope, "sessions");
    let names: string[];
    try {
      names = await readdir(directory);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const sessions = names
      .filter((name) => name.endsWith(".jsonl") && isSafeName(name.slice(0, -".jsonl".length)))
      .map((name) => name.slice(0, -".jsonl".length));
    const infos = await Promise.all(
      sessions.map((session) => this.info({ tenant: scope.tenant, agent: scope.agent, session })),
    );
    return infos
      .filter((info): info is SessionInfo => info !== undefined)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  /** See {@link SessionStore.delete}. Runs after appends already queued for the session. */
  async delete(key: SessionKey): Promise<void> {
    await this.#file(key).delete();
    this.#snapshots.forget(this.pathOf(key));
  }

  /** Waits for every queued append to be written and closes open files. The store stays usable afterwards. */
  async close(): Promise<void> {
    await Promise.all([...this.#files.values()].map((file) => file.release()));
  }
}
