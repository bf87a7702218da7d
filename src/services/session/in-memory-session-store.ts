import type { RunEvent, SessionEvent } from "../../core/events.js";
import { assertSafeName } from "../../core/names.js";
import type { Scope } from "../../core/scope.js";
import {
  checkAppend,
  checkReadOptions,
  checkSessionKey,
  encodeEvent,
  sessionConflict,
} from "./session-input.js";
import type { AppendOptions, ReadOptions, SessionInfo, SessionKey, SessionStore } from "./session-store.js";

/** One session held in memory: events kept as JSON text so callers can never mutate stored state. */
interface MemorySession {
  info: Omit<SessionInfo, "lastSeq">;
  /** Creation order, to break `createdAt` ties in {@link InMemorySessionStore.list}. */
  order: number;
  lines: string[];
}

/**
 * A {@link SessionStore} in process memory: the test backend and `backend: memory`. Same contract
 * as the filesystem store (numbering, conflicts, validation), nothing survives the process.
 */
export class InMemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, MemorySession>();
  #created = 0;

  #id(key: SessionKey): string {
    return `${key.tenant}/${key.agent}/${key.session}`;
  }

  /** See {@link SessionStore.append}. Resolves immediately; an empty `events` array creates nothing. */
  async append(key: SessionKey, events: RunEvent[], options: AppendOptions): Promise<SessionEvent[]> {
    const checked = checkSessionKey(key);
    const expectedSeq = checkAppend(events, options);
    const id = this.#id(checked);
    const existing = this.#sessions.get(id);
    const actualSeq = existing?.lines.length ?? 0;
    if (expectedSeq !== actualSeq) throw sessionConflict(checked, expectedSeq, actualSeq);
    if (events.length === 0) return [];
    const encoded = events.map((event, index) => encodeEvent(event, actualSeq + index + 1));
    const session = existing ?? {
      info: {
        id: checked.session,
        agent: checked.agent,
        tenant: checked.tenant,
        createdAt: new Date().toISOString(),
      },
      order: this.#created++,
      lines: [],
    };
    for (const { line } of encoded) session.lines.push(line);
    this.#sessions.set(id, session);
    return encoded.map(({ event }) => event);
  }

  /** See {@link SessionStore.read}. */
  async read(key: SessionKey, options?: ReadOptions): Promise<SessionEvent[]> {
    const checked = checkSessionKey(key);
    const { after, limit } = checkReadOptions(options);
    const lines = this.#sessions.get(this.#id(checked))?.lines ?? [];
    return lines.slice(after, after + limit).map((line) => JSON.parse(line) as SessionEvent);
  }

  /** See {@link SessionStore.info}. */
  async info(key: SessionKey): Promise<SessionInfo | undefined> {
    const session = this.#sessions.get(this.#id(checkSessionKey(key)));
    return session === undefined ? undefined : { ...session.info, lastSeq: session.lines.length };
  }

  /** See {@link SessionStore.list}. Newest `createdAt` first; ties by creation order, newest first. */
  async list(scope: Scope): Promise<SessionInfo[]> {
    const tenant = assertSafeName("tenant", scope?.tenant);
    const agent = assertSafeName("agent", scope?.agent);
    return [...this.#sessions.values()]
      .filter((session) => session.info.tenant === tenant && session.info.agent === agent)
      .sort((a, b) => b.info.createdAt.localeCompare(a.info.createdAt) || b.order - a.order)
      .map((session) => ({ ...session.info, lastSeq: session.lines.length }));
  }

  /** See {@link SessionStore.delete}. */
  async delete(key: SessionKey): Promise<void> {
    this.#sessions.delete(this.#id(checkSessionKey(key)));
  }
}
