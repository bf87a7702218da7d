import type { SSEStreamingApi } from "hono/streaming";
import type { SessionEvent } from "../core/events.js";

// Back-pressure: Hono's `stream.write` resolves only once the response's reader took the chunk (a
// TransformStream between them), and @hono/node-server reads the next chunk only after the Node
// socket's `write` returned true or `drain` fired. So `await`ing every write below waits for a client
// that does not read; the stream guard (streams/stream-guard.ts) cuts such a client after a timeout.

/**
 * One session event as an SSE frame (WHATWG server-sent events): `event:` its type, `data:` the event
 * as JSON (one line: JSON.stringify emits no newline), `id:` its `seq` (so `Last-Event-ID` resumes
 * from the log), then a blank line. The same frame Hono's `writeSSE` writes.
 */
export function eventFrame(event: SessionEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\nid: ${event.seq}\n\n`;
}

/** Writes one session event as an SSE frame ({@link eventFrame}); resolves once the stream took it. */
export async function writeEvent(stream: SSEStreamingApi, event: SessionEvent): Promise<void> {
  await stream.write(eventFrame(event));
}

/** Bytes (UTF-16 code units) of SSE text {@link writeEvents} gathers into one stream write. */
const WRITE_CHUNK_CHARS = 16 * 1024;

/**
 * Writes several events (a replay page) in chunks of about 16 KiB, so a long replay costs one stream
 * write per chunk rather than per event while a blocked stream holds little; resolves once the stream
 * took the last chunk (each write waits while the client's socket is full).
 */
export async function writeEvents(stream: SSEStreamingApi, events: readonly SessionEvent[]): Promise<void> {
  let chunk = "";
  for (const event of events) {
    chunk += eventFrame(event);
    if (chunk.length >= WRITE_CHUNK_CHARS) {
      await stream.write(chunk);
      chunk = "";
    }
  }
  if (chunk !== "") await stream.write(chunk);
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
