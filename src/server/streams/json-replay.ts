import type { SessionKey } from "../../services/session/session-store.js";
import type { SessionReplay } from "./session-replay.js";

/**
 * The JSON answer `{"session_id","agent","events":[…]}` of a replay as a response body that reads the
 * log one page per pull (high-water mark 0: the next page is read only when the server asks for more,
 * which @hono/node-server does after the socket drained). The bytes are exactly those of
 * `JSON.stringify({ session_id, agent, events })`, so a large log costs one page of memory per client
 * instead of the whole log and its JSON text. A store error after the first bytes ends the body with
 * an error (the client sees a cut response, never a wrong one).
 */
export function jsonReplayBody(key: SessionKey, replay: SessionReplay): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let started = false;
  let first = true;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!started) {
          started = true;
          controller.enqueue(
            encoder.encode(
              `{"session_id":${JSON.stringify(key.session)},"agent":${JSON.stringify(key.agent)},"events":[`,
            ),
          );
          return;
        }
        const next = await replay.pages.next();
        if (next.done === true) {
          controller.enqueue(encoder.encode("]}"));
          controller.close();
          return;
        }
        const text = next.value.map((event) => JSON.stringify(event)).join(",");
        controller.enqueue(encoder.encode(first ? text : `,${text}`));
        first = false;
      },
      async cancel() {
        await replay.pages.return();
      },
    },
    { highWaterMark: 0 },
  );
}
