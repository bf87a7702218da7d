import type { SessionEvent } from "../core/events.js";

/** What the cache holds for one session. */
export interface CachedSession {
  /** The session's `createdAt` (from `SessionStore.info`): a deleted and re-created session differs. */
  createdAt: string;
  /** The session's events from seq 1, gap-free, as this process last saw them durable. */
  events: readonly SessionEvent[];
}

/** Options of {@link SessionEventCache}. */
export interface SessionEventCacheOptions {
  /**
   * Budget for all cached sessions, in estimated bytes (the strings the events hold plus a fixed cost
   * per event); a session bigger than a quarter of it is not cached.
   * @default 16777216 (16 MiB)
   */
  maxBytes?: number;
  /** Most sessions kept. @default 1000 */
  maxSessions?: number;
}

interface Entry extends CachedSession {
  bytes: number;
}

/**
 * The events of sessions this process ran recently, least recently used dropped first, so the run
 * manager reads only what was appended after them instead of the whole log before every run. The
 * caller validates an entry against the store (`createdAt` and `lastSeq` from `SessionStore.info`)
 * before using it, and the events must not be changed: they are shared with the next run.
 */
export class SessionEventCache {
  readonly #maxBytes: number;
  readonly #maxSessions: number;
  #bytes = 0;
  /** Session key string → entry, least recently used first. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: SessionEventCacheOptions = {}) {
    this.#maxBytes = Math.max(0, options.maxBytes ?? 16 * 1024 * 1024);
    this.#maxSessions = Math.max(0, options.maxSessions ?? 1000);
  }

  /** Estimated bytes held now. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The entry of `session` (marked recently used), or `undefined`. */
  get(session: string): CachedSession | undefined {
    const entry = this.#entries.get(session);
    if (entry === undefined) return undefined;
    this.#entries.delete(session);
    this.#entries.set(session, entry);
    return entry;
  }

  /**
   * Keeps `events` (every event of the session, durable) as the session's entry. When the previous entry
   * had the same `createdAt`, only the events after its last one are measured.
   */
  set(session: string, createdAt: string, events: readonly SessionEvent[]): void {
    const previous = this.#entries.get(session);
    let bytes = 0;
    let from = 0;
    if (
      previous !== undefined &&
      previous.createdAt === createdAt &&
      previous.events.length <= events.length
    ) {
      bytes = previous.bytes;
      from = previous.events.length;
    }
    for (let index = from; index < events.length; index++) bytes += estimateBytes(events[index], 0);
    this.delete(session);
    if (bytes > this.#maxBytes / 4) return;
    this.#entries.set(session, { createdAt, events, bytes });
    this.#bytes += bytes;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes && this.#entries.size <= this.#maxSessions) break;
      this.#entries.delete(oldest);
      this.#bytes -= entry.bytes;
    }
  }

  /** Forgets `session`. */
  delete(session: string): void {
    const entry = this.#entries.get(session);
    if (entry === undefined) return;
    this.#entries.delete(session);
    this.#bytes -= entry.bytes;
  }
}

/** Rough size of a JSON value: its strings' lengths plus a fixed cost per object; deeper than 4 levels is not walked. */
function estimateBytes(value: unknown, depth: number): number {
  if (typeof value === "string") return value.length;
  if (typeof value !== "object" || value === null || depth > 4) return 8;
  let bytes = 64;
  for (const inner of Object.values(value)) bytes += 16 + estimateBytes(inner, depth + 1);
  return bytes;
}
