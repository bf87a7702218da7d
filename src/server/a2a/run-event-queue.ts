import type { SessionEvent } from "../../core/events.js";

/**
 * Buffers session events from a listener (which must never block the fan-out) and hands them out in
 * batches: `next()` resolves with everything queued so far, or waits for the next push; it resolves
 * with `undefined` once closed and drained.
 */
export class RunEventQueue {
  #items: SessionEvent[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  /** Appends events; never blocks. Ignored after {@link close}. */
  push(events: readonly SessionEvent[]): void {
    if (this.#closed) return;
    this.#items.push(...events);
    this.#wake?.();
  }

  /** Ends the queue; `next()` returns what is left, then `undefined`. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** Everything queued, waiting for at least one event; `undefined` when closed and empty. */
  async next(): Promise<SessionEvent[] | undefined> {
    while (this.#items.length === 0) {
      if (this.#closed) return undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
    const batch = this.#items;
    this.#items = [];
    return batch;
  }
}
