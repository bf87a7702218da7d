import type { RunEvent, SessionEvent } from "../../core/events.js";
import type { Scope } from "../../core/scope.js";

/** Identifies one session: its owner scope plus a safe session id. */
export interface SessionKey extends Scope {
  session: string;
}

/** What a session log knows about itself (the JSONL header line in the filesystem backend). */
export interface SessionInfo {
  id: string;
  agent: string;
  tenant: string;
  /** ISO-8601 creation time. */
  createdAt: string;
  /** Sequence number of the last event; 0 when the session has no events. */
  lastSeq: number;
}

/** Options for {@link SessionStore.append}. */
export interface AppendOptions {
  /**
   * The `seq` the caller believes is last (0 for a new session). The append succeeds only if it
   * still is; otherwise it throws `SESSION_CONFLICT` and writes nothing (optimistic concurrency).
   */
  expectedSeq: number;
}

/** Options for {@link SessionStore.read}. */
export interface ReadOptions {
  /** Return only events with `seq > after`. @default 0 */
  after?: number;
  /** At most this many events. @default unlimited */
  limit?: number;
}

/**
 * An append-only, gap-free event log per session (DESIGN.md, Services). Events are numbered from 1.
 * Every backend runs the same contract suite (`session-store.contract.ts`).
 */
export interface SessionStore {
  /**
   * Appends `events` atomically after `options.expectedSeq`, numbering them `expectedSeq + 1 …`.
   * Creates the session on first append. Resolves once the events are durable per the backend's policy.
   * @returns the stored events with their `seq`.
   * @throws PlutoError `SESSION_CONFLICT` (details: `expectedSeq`, `actualSeq`) when another writer got there first.
   */
  append(key: SessionKey, events: RunEvent[], options: AppendOptions): Promise<SessionEvent[]>;

  /** Events with `seq > after`, oldest first; `[]` for an unknown session. */
  read(key: SessionKey, options?: ReadOptions): Promise<SessionEvent[]>;

  /** The session's header, or `undefined` when it does not exist. */
  info(key: SessionKey): Promise<SessionInfo | undefined>;

  /** Sessions of one scope, newest first. */
  list(scope: Scope): Promise<SessionInfo[]>;

  /** Removes the session and its events; resolves even when it did not exist. */
  delete(key: SessionKey): Promise<void>;

  /** Flushes pending writes and releases resources. */
  close?(): Promise<void>;
}
