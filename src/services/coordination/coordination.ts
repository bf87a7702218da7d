import type { SessionEvent } from "../../core/events.js";
import type { SessionKey } from "../session/session-store.js";

/** Receives durable events of one session, in `seq` order. */
export type SessionListener = (events: readonly SessionEvent[]) => void;

/**
 * Fan-out of durable session events to every subscriber, in this process and (for distributed
 * backends) in every other worker (DESIGN.md data flow: "fanned out to subscribers").
 * `EventBus` is the in-process implementation; Redis pub/sub is the scale-out one.
 */
export interface EventFanout {
  /** Delivers `events` (already durable, in order) to every subscriber of the session. Never throws. */
  publish(key: SessionKey, events: readonly SessionEvent[]): void;
  /** Subscribes to a session; returns the function that unsubscribes. */
  subscribe(key: SessionKey, listener: SessionListener): () => void;
  /** Releases connections. */
  close?(): Promise<void>;
}

/** A held lease: the right to run the session's next run in this process. */
export interface SessionLease {
  /** Aborted when the lease is lost (renewal failed or another worker took it over after it lapsed). */
  readonly lost: AbortSignal;
  /** Gives the lease back; resolves even when it was already lost. */
  release(): Promise<void>;
}

/**
 * One active run per session across processes: a lease with a time-to-live, renewed in the
 * background while held and taken over by another worker once it lapses (a crashed worker's lease).
 */
export interface SessionLeases {
  /**
   * Waits until this process holds the lease of `key`, then returns it (renewed every `ttlMs / 3`).
   * @throws PlutoError `RUN_ABORTED` when `signal` aborts while waiting; the backend's connection error otherwise.
   */
  acquire(key: SessionKey, options: { ttlMs: number; signal?: AbortSignal }): Promise<SessionLease>;
  /** Releases connections and every held lease. */
  close?(): Promise<void>;
}
