import { statSync } from "node:fs";
import { type FileHandle, open, readFile, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import type { FsyncPolicy } from "../../config/pluto-config.js";
import type { RunEvent, SessionEvent } from "../../core/events.js";
import { ensureDirectory, fsyncDirectory } from "../fs/durable-directory.js";
import { encodeEvent, sessionConflict } from "./session-input.js";
import { encodeHeader, inspectLog } from "./session-log-format.js";
import type { SessionKey } from "./session-store.js";

/** One write (+ fsync) of a session log, reported to `onCommit` for tests and metrics. */
export interface SessionCommit {
  /** Absolute path of the log file. */
  file: string;
  /** Append calls covered by this write. */
  appends: number;
  /** Events written. */
  events: number;
  /** Bytes written (header included when the file was created). */
  bytes: number;
  /** True when the write was followed by an fsync (policy `always` or `batch`). */
  synced: boolean;
}

/** What the writer knows about the file on disk; `undefined` until first loaded. */
interface CommittedState {
  exists: boolean;
  createdAt: string | undefined;
  /** seq of the last durable event. */
  lastSeq: number;
  /** Length of the valid content; anything beyond it is a torn tail to cut before writing. */
  validBytes: number;
  torn: boolean;
}

type Pending =
  | {
      kind: "append";
      events: RunEvent[];
      expectedSeq: number;
      resolve(events: SessionEvent[]): void;
      reject(error: unknown): void;
    }
  | { kind: "delete"; resolve(): void; reject(error: unknown): void };

type PendingAppend = Extract<Pending, { kind: "append" }>;

/**
 * Open file handles shared by the writers of one store: a writer keeps its handle open between
 * commits (saving an open and a close per commit) for `idleMs`, and only while fewer than `max`
 * handles are open; otherwise it closes the handle after each commit.
 */
export interface HandleBudget {
  open: number;
  readonly max: number;
  readonly idleMs: number;
}

/** Options of a {@link SessionLogFile}. */
export interface SessionLogFileOptions {
  fsync: FsyncPolicy;
  onCommit: ((commit: SessionCommit) => void) | undefined;
  handles: HandleBudget;
}

/**
 * The single in-process writer of one session log file, with group commit.
 *
 * Appends and deletes queue up in call order. While one write (+ fsync) is in flight, later appends
 * wait; when it finishes, all waiting appends (policy `batch` or `never`) are checked against
 * `expectedSeq` in order and written with one `write` and one `fdatasync`. Each append's promise
 * resolves only after the fsync that covers it. Policy `always` writes and syncs each append call
 * separately. A failed write is cut back off the file, so a rejected append leaves no events behind.
 */
export class SessionLogFile {
  readonly path: string;
  readonly #key: SessionKey;
  readonly #options: SessionLogFileOptions;
  #state: CommittedState | undefined;
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;
  #handle: FileHandle | undefined;
  #idleTimer: NodeJS.Timeout | undefined;

  constructor(path: string, key: SessionKey, options: SessionLogFileOptions) {
    this.path = path;
    this.#key = key;
    this.#options = options;
  }

  /** True when nothing is queued or being written, so the object may be dropped from a cache. */
  get idle(): boolean {
    return this.#draining === undefined && this.#queue.length === 0;
  }

  /**
   * The committed `{ exists, createdAt, lastSeq, validBytes }` (`validBytes`: the file's length up to
   * its last valid line), or `undefined` when not loaded yet or when busy writing.
   */
  get committed():
    | { exists: boolean; createdAt: string | undefined; lastSeq: number; validBytes: number }
    | undefined {
    return this.idle ? this.#state : undefined;
  }

  /** Queues an append; resolves with the stored events once they are durable per the fsync policy. */
  append(events: RunEvent[], expectedSeq: number): Promise<SessionEvent[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ kind: "append", events, expectedSeq, resolve, reject });
      this.#schedule();
    });
  }

  /** Queues removal of the file (after every earlier append). Resolves even when it did not exist. */
  delete(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ kind: "delete", resolve, reject });
      this.#schedule();
    });
  }

  /** Resolves when everything queued so far has been written, then closes the file handle. */
  async release(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
    await this.#closeHandle();
  }

  async #openHandle(): Promise<FileHandle> {
    clearTimeout(this.#idleTimer);
    if (this.#handle === undefined) {
      this.#handle = await open(this.path, "a", 0o644);
      this.#options.handles.open++;
    }
    return this.#handle;
  }

  async #closeHandle(): Promise<void> {
    clearTimeout(this.#idleTimer);
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#handle = undefined;
    this.#options.handles.open--;
    await handle.close();
  }

  /** After a commit: keep the handle for the next one while the budget allows, else close it now. */
  async #parkHandle(): Promise<void> {
    const { handles } = this.#options;
    if (handles.open > handles.max || handles.idleMs <= 0) {
      await this.#closeHandle();
      return;
    }
    this.#idleTimer = setTimeout(() => {
      if (this.idle) void this.#closeHandle().catch(() => {});
    }, handles.idleMs);
    this.#idleTimer.unref();
  }

  #schedule(): void {
    if (this.#draining !== undefined) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0) this.#schedule();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const head = this.#queue[0];
      if (head?.kind === "delete") {
        this.#queue.shift();
        await this.#remove().then(head.resolve, head.reject);
        continue;
      }
      const stop = this.#queue.findIndex((pending) => pending.kind === "delete");
      const count = this.#options.fsync === "always" ? 1 : stop === -1 ? this.#queue.length : stop;
      const batch = this.#queue.splice(0, count) as PendingAppend[];
      await this.#commit(batch);
    }
  }

  async #load(): Promise<CommittedState> {
    if (this.#state !== undefined) return this.#state;
    let buffer = Buffer.alloc(0);
    // A new session's file does not exist yet: a stat that cannot throw saves building an ENOENT error.
    if (statSync(this.path, { throwIfNoEntry: false }) !== undefined) {
      try {
        buffer = await readFile(this.path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    const layout = inspectLog(buffer, this.#key);
    this.#state = {
      exists: layout.header !== undefined,
      createdAt: layout.header?.createdAt,
      lastSeq: layout.events.length,
      validBytes: layout.validBytes,
      torn: layout.torn,
    };
    return this.#state;
  }

  async #commit(batch: PendingAppend[]): Promise<void> {
    let state: CommittedState;
    try {
      state = await this.#load();
    } catch (error) {
      for (const append of batch) append.reject(error);
      return;
    }
    let seq = state.lastSeq;
    const accepted: { append: PendingAppend; events: SessionEvent[] }[] = [];
    const lines: string[] = [];
    for (const append of batch) {
      if (append.expectedSeq !== seq) {
        append.reject(sessionConflict(this.#key, append.expectedSeq, seq));
        continue;
      }
      const events: SessionEvent[] = [];
      for (const event of append.events) {
        const encoded = encodeEvent(event, ++seq);
        lines.push(encoded.line, "\n");
        events.push(encoded.event);
      }
      accepted.push({ append, events });
    }
    if (lines.length === 0) {
      for (const { append } of accepted) append.resolve([]);
      return;
    }
    try {
      const bytes = await this.#write(state, lines.join(""), seq);
      this.#options.onCommit?.({
        file: this.path,
        appends: accepted.length,
        events: seq - state.lastSeq,
        bytes,
        synced: this.#options.fsync !== "never",
      });
    } catch (error) {
      for (const { append } of accepted) append.reject(error);
      return;
    }
    for (const { append, events } of accepted) append.resolve(events);
  }

  /** Writes `text` (plus the header for a new file), syncs, and advances the committed state. */
  async #write(state: CommittedState, text: string, lastSeq: number): Promise<number> {
    const sync = this.#options.fsync !== "never";
    const creating = !state.exists;
    const createdAt = state.createdAt ?? new Date().toISOString();
    const data = Buffer.from(
      creating
        ? encodeHeader({
            id: this.#key.session,
            agent: this.#key.agent,
            tenant: this.#key.tenant,
            createdAt,
          }) + text
        : text,
    );
    if (creating) await ensureDirectory(dirname(this.path), { fsync: sync });
    const handle = await this.#openHandle();
    try {
      if (state.torn || creating) await handle.truncate(state.validBytes);
      state.torn = false;
      await handle.write(data);
      if (sync) await handle.datasync();
    } catch (error) {
      // Cut the failed write off so no rejected event survives; if even that fails, reload later.
      state.torn = true;
      await handle.truncate(state.validBytes).catch(() => (this.#state = undefined));
      await this.#closeHandle().catch(() => {});
      throw error;
    }
    await this.#parkHandle();
    if (creating && sync) await fsyncDirectory(dirname(this.path));
    this.#state = {
      exists: true,
      createdAt,
      lastSeq,
      validBytes: state.validBytes + data.length,
      torn: false,
    };
    return data.length;
  }

  async #remove(): Promise<void> {
    await this.#closeHandle();
    try {
      await unlink(this.path);
      if (this.#options.fsync !== "never") await fsyncDirectory(dirname(this.path));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    this.#state = { exists: false, createdAt: undefined, lastSeq: 0, validBytes: 0, torn: false };
  }
}
