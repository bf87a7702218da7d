import type { SessionEvent } from "../core/events.js";
import type { EventFanout, SessionListener } from "../services/coordination/coordination.js";
import type { SessionKey } from "../services/session/session-store.js";

export type { SessionListener } from "../services/coordination/coordination.js";

/** The bus key of a session: `tenant/agent/session` (all safe names, so unambiguous). */
export function sessionKeyString(key: SessionKey): string {
  return `${key.tenant}/${key.agent}/${key.session}`;
}

/**
 * In-process fan-out of durable session events to subscribers (SSE streams, channels) — the
 * simple-mode implementation of DESIGN.md's "fanned out to subscribers". A listener that throws is
 * removed so one broken client cannot stop the others.
 */
export class EventBus implements EventFanout {
  readonly #listeners = new Map<string, Set<SessionListener>>();

  /** Subscribes to a session; returns the function that unsubscribes. */
  subscribe(key: SessionKey, listener: SessionListener): () => void {
    const name = sessionKeyString(key);
    let set = this.#listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener);
    return () => {
      const current = this.#listeners.get(name);
      current?.delete(listener);
      if (current?.size === 0) this.#listeners.delete(name);
    };
  }

  /** Delivers `events` to every subscriber of the session. */
  publish(key: SessionKey, events: readonly SessionEvent[]): void {
    const set = this.#listeners.get(sessionKeyString(key));
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(events);
      } catch {
        set.delete(listener);
      }
    }
  }

  /** Number of sessions with at least one subscriber. */
  get size(): number {
    return this.#listeners.size;
  }
}
