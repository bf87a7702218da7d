import type { RunEvent, SessionEvent } from "../core/events.js";
import type { SessionKey, SessionStore } from "../services/session/session-store.js";

/** Options for {@link SessionWriter}. */
export interface SessionWriterOptions {
  store: SessionStore;
  key: SessionKey;
  /** Events already in the log (read by the caller); the writer continues after the last one. */
  existing: readonly SessionEvent[];
  /** Called with each batch once it is durable, in order. Must not throw. */
  onDurable: (events: SessionEvent[]) => void;
}

/**
 * The single writer of one session during a run. `write` never waits: events queue up until the
 * next turn of the event loop and while the previous batch is being appended, so a burst of events
 * (a model's whole answer arriving in one network read: step-start, text deltas, step-end, run-end)
 * becomes one append (one write and one fdatasync) instead of several. Subscribers see events only after they are durable, so every SSE `id:`
 * they receive can be replayed from the log.
 */
export class SessionWriter {
  readonly #options: SessionWriterOptions;
  readonly #events: SessionEvent[];
  #lastSeq: number;
  #pending: RunEvent[] = [];
  #flushing: Promise<void> | undefined;
  #failure: unknown;

  constructor(options: SessionWriterOptions) {
    this.#options = options;
    this.#events = [...options.existing];
    this.#lastSeq = options.existing.at(-1)?.seq ?? 0;
  }

  /** Every event of the session so far, including queued ones not yet durable (the executor's view of the log). */
  get events(): readonly SessionEvent[] {
    return this.#events;
  }

  /** Queues `event` for the log. Throws the append error of an earlier batch, if any. */
  write(event: RunEvent): void {
    if (this.#failure !== undefined) throw this.#failure;
    const seq = (this.#events.at(-1)?.seq ?? 0) + 1;
    this.#events.push({ ...event, seq } as SessionEvent);
    this.#pending.push(event);
    this.#flushing ??= nextTurn().then(() => this.#drain());
  }

  /** Resolves when every queued event is durable. @throws the store's error (e.g. `SESSION_CONFLICT`). */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.#failure !== undefined) throw this.#failure;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0 && this.#failure === undefined) {
        const batch = this.#pending;
        this.#pending = [];
        const stored = await this.#options.store.append(this.#options.key, batch, {
          expectedSeq: this.#lastSeq,
        });
        this.#lastSeq = stored.at(-1)?.seq ?? this.#lastSeq;
        this.#options.onDurable(stored);
      }
    } catch (error) {
      this.#failure = error;
    } finally {
      this.#flushing = undefined;
    }
  }
}

/** Resolves on the event loop's next turn (after pending I/O callbacks), so same-turn writes batch. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
