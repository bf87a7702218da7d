import type { SSEStreamingApi } from "hono/streaming";
import type { SessionEvent } from "../core/events.js";

/**
 * Writes one session event as an SSE frame: `id:` is the event's `seq` (so `Last-Event-ID` resumes
 * from the log), `event:` its type, `data:` the event as JSON.
 */
export function writeEvent(stream: SSEStreamingApi, event: SessionEvent): Promise<void> {
  return stream.writeSSE({ id: String(event.seq), event: event.type, data: JSON.stringify(event) });
}

/**
 * A queue that turns pushed session events into an async iterator for an SSE loop. `push` never blocks
 * (the bus must not wait for slow clients); `close` ends the iteration after queued events drain.
 */
export class EventQueue {
  #items: SessionEvent[] = [];
  #wake: (() => void) | undefined;
  #closed = false;

  push(events: readonly SessionEvent[]): void {
    this.#items.push(...events);
    this.#wake?.();
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async *drain(): AsyncGenerator<SessionEvent> {
    while (true) {
      const item = this.#items.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }
}
