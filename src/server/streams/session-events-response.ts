import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { PlutoError } from "../../core/errors.js";
import type { RunManager } from "../../runs/run-manager.js";
import type { SessionKey, SessionStore } from "../../services/session/session-store.js";
import { EventQueue, writeEvent, writeEvents } from "../sse.js";
import { jsonReplayBody } from "./json-replay.js";
import { openSessionReplay, type SessionReplay } from "./session-replay.js";

/** Options of {@link sessionEventsResponse}. */
export interface SessionEventsResponseOptions {
  runs: RunManager;
  sessions: SessionStore;
  /** The session, already resolved within the caller's tenant. */
  key: SessionKey;
  /**
   * For SSE: true while more runs may still come to the session (a job that has not ended). The
   * stream then stays open while the session is idle, asks again every second, and once it is false
   * (and this process runs nothing of the session) sends what the log gained since the last event
   * sent (a run on another worker without Redis fan-out) and ends. Absent: the stream ends as soon as
   * the session is idle.
   */
  pending?: () => Promise<boolean>;
}

/** How often an SSE stream with `pending` asks whether more runs may come. */
const PENDING_POLL_MS = 1000;

/**
 * The answer of an events route (`GET /sessions/{id}/events`, `GET /jobs/{id}/events`): the session's
 * events after `?after=SEQ` (or `Last-Event-ID`, whichever is later) as JSON, or, with
 * `Accept: text/event-stream`, as SSE that replays the log and then follows live runs until the
 * session is idle. The replay reads the log a page at a time and each write waits for the client (see
 * session-replay.ts); open streams are capped and non-reading clients closed by the app's stream guard.
 * @throws PlutoError `BAD_REQUEST` for a position that is not a non-negative integer.
 */
export async function sessionEventsResponse(
  context: Context,
  options: SessionEventsResponseOptions,
): Promise<Response> {
  const { key } = options;
  const wantsStream = (context.req.header("accept") ?? "").includes("text/event-stream");
  const after = Math.max(
    parsePosition(context.req.query("after"), "after"),
    parsePosition(context.req.header("last-event-id"), "Last-Event-ID"),
  );
  const replayOptions = { runs: options.runs, sessions: options.sessions, key, after };
  if (!wantsStream) {
    // Paged like the SSE replay, so a large log never sits in memory whole for a JSON client either.
    const replay = await openSessionReplay(replayOptions);
    return context.body(jsonReplayBody(key, replay), 200, { "content-type": "application/json" });
  }

  const runs = options.runs;
  const queue = new EventQueue();
  // Subscribe before reading the log so nothing falls between the replay and the live events.
  const unsubscribe = runs.subscribe(key, (events) => queue.push(events));
  let replay: SessionReplay;
  try {
    replay = await openSessionReplay(replayOptions);
  } catch (error) {
    unsubscribe();
    throw error;
  }
  return streamSSE(context, async (stream) => {
    // Follow while this process runs the session, or while the log shows a run still open (a run on
    // another worker); end once neither holds. Comments every 15 s keep idle proxies from closing us.
    let open = replay.openRun;
    const { pending } = options;
    const closeWhenDone = () => {
      if (pending === undefined && !open && !runs.isBusy(key)) queue.close();
    };
    // With `pending`, the log decides nothing: a run on another worker may never reach this process's bus.
    const pendingCheck =
      pending === undefined
        ? undefined
        : setInterval(() => {
            if (runs.isBusy(key)) return;
            void pending().then(
              (more) => more || queue.close(),
              () => queue.close(),
            );
          }, PENDING_POLL_MS);
    const heartbeat = setInterval(
      () => void stream.write(": keep-alive\n\n").catch(() => queue.close()),
      15_000,
    );
    stream.onAbort(() => queue.close());
    let last = after;
    try {
      // One page in memory at a time, written as one chunk; the write waits while the client's socket is full.
      for await (const page of replay.pages) {
        if (stream.aborted) return;
        const fresh = page.filter((event) => event.seq > last);
        await writeEvents(stream, fresh);
        for (const event of fresh) {
          if (event.type === "run-start") open = true;
          if (event.type === "run-end") open = false;
        }
        last = fresh.at(-1)?.seq ?? last;
      }
      void runs.whenIdle(key).then(closeWhenDone);
      for await (const event of queue.drain()) {
        if (event.seq <= last) continue;
        await writeEvent(stream, event);
        last = event.seq;
        if (event.type === "run-start") open = true;
        if (event.type === "run-end") {
          open = false;
          void runs.whenIdle(key).then(closeWhenDone);
        }
      }
      if (pending !== undefined && !stream.aborted) {
        const rest = await openSessionReplay({ ...replayOptions, after: last });
        for await (const page of rest.pages) await writeEvents(stream, page);
      }
    } finally {
      clearInterval(pendingCheck);
      clearInterval(heartbeat);
      unsubscribe();
      await replay.pages.return();
    }
  });
}

/** Parses a non-negative integer position; @throws PlutoError `BAD_REQUEST`. */
function parsePosition(value: string | undefined, name: string): number {
  if (value === undefined || value === "") return 0;
  if (!/^\d{1,15}$/.test(value)) {
    throw new PlutoError("BAD_REQUEST", `${name} must be a non-negative integer event sequence number.`);
  }
  return Number(value);
}
