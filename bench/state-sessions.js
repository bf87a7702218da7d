/**
 * SessionStore benchmarks for bench/state.js: append throughput and latency (one writer; eight
 * writers on eight sessions; eight writers on one session, retrying on `SESSION_CONFLICT`) and reads
 * of a 10,000-event session. Works on any store through the `SessionStore` interface only.
 */
import { performance } from "node:perf_hooks";
import { isPlutoError } from "../dist/core/errors.js";
import { summarize } from "./stats.js";

/**
 * @typedef {import("../dist/services/session/session-store.js").SessionStore} SessionStore
 * @typedef {import("../dist/core/events.js").RunEvent} RunEvent
 * @typedef {"single" | "sessions8" | "session1x8"} AppendMode
 * @typedef {object} AppendResult
 * @property {AppendMode} mode
 * @property {number} appends acknowledged appends (one event each)
 * @property {number} seconds wall time of the measured part
 * @property {number} perSecond acknowledged appends per second
 * @property {import("./stats.js").Summary} latency ms from the first attempt to the acknowledgement (retries included)
 * @property {number} retries appends that got `SESSION_CONFLICT` and were tried again
 * @property {number} cpuMsPerAppend CPU of this process (user + system) per acknowledged append
 * @property {boolean} verified the session(s) read back gap-free with exactly the acknowledged events
 * @typedef {object} ReadResult
 * @property {number} events events in the session read
 * @property {number} jsonBytes bytes of the events as JSON lines
 * @property {number} populateSeconds time to append them (batches of 500)
 * @property {import("./stats.js").Summary} full ms per full read
 * @property {import("./stats.js").Summary} tail ms per read with `after: events - 100`
 */

/** The benchmark's scope in every store. */
export const SCOPE = { tenant: "bench", agent: "bench" };

/**
 * Appends one event per call until `total` are acknowledged or `maxSeconds` pass.
 * - `single`: one writer, one session;
 * - `sessions8`: eight writers at once, each on its own session;
 * - `session1x8`: eight writers at once on ONE session. Each writer knows only the `seq` it last saw;
 *   on `SESSION_CONFLICT` it takes `actualSeq` from the error and tries again (counted as a retry).
 * @param {SessionStore} store
 * @param {{ mode: AppendMode; total: number; maxSeconds: number; events: RunEvent[]; label: string }} options
 *   `label` makes the session ids unique per run; `events` is the pool cycled through
 * @returns {Promise<AppendResult>}
 */
export async function measureAppends(store, options) {
  const { mode, total, maxSeconds, events, label } = options;
  const writers = mode === "single" ? 1 : 8;
  const sessionOf = (/** @type {number} */ writer) =>
    mode === "sessions8" ? `${label}-${mode}-${writer}` : `${label}-${mode}`;
  /** @type {number[]} */
  const latencies = [];
  let retries = 0;
  let issued = 0;
  const deadline = performance.now() + maxSeconds * 1000;
  const cpuBefore = process.cpuUsage();
  const began = performance.now();
  const writer = async (/** @type {number} */ id) => {
    const key = { ...SCOPE, session: sessionOf(id) };
    let expectedSeq = 0;
    while (issued < total && performance.now() < deadline) {
      issued += 1;
      const event = /** @type {RunEvent} */ (events[issued % events.length]);
      const start = performance.now();
      for (;;) {
        try {
          const [stored] = await store.append(key, [event], { expectedSeq });
          expectedSeq = stored?.seq ?? expectedSeq + 1;
          break;
        } catch (error) {
          if (!isPlutoError(error, "SESSION_CONFLICT")) throw error;
          retries += 1;
          expectedSeq = Number(error.details?.actualSeq);
        }
      }
      latencies.push(performance.now() - start);
    }
  };
  await Promise.all(Array.from({ length: writers }, (_, id) => writer(id)));
  const seconds = (performance.now() - began) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const sessions = [...new Set(Array.from({ length: writers }, (_, id) => sessionOf(id)))];
  let stored = 0;
  let verified = true;
  for (const session of sessions) {
    const read = await store.read({ ...SCOPE, session });
    stored += read.length;
    verified &&= read.every((event, index) => event.seq === index + 1);
  }
  verified &&= stored === latencies.length;
  return {
    mode,
    appends: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    latency: summarize(latencies),
    retries,
    cpuMsPerAppend: (cpu.user + cpu.system) / 1000 / latencies.length,
    verified,
  };
}

/**
 * Fills a session with `events` (appends of 500 events), then reads it whole `fullReads` times and
 * from `after: length - 100` `tailReads` times.
 * With `fresh`, every measured read goes to a new store instance over the same data (made by
 * `fresh()`, closed after the read), so no in-process cache can serve it.
 * @param {SessionStore} store
 * @param {{ events: RunEvent[]; fullReads: number; tailReads: number; session: string; fresh?: () => SessionStore }} options
 * @returns {Promise<ReadResult>}
 * @throws Error when a read does not return what was appended
 */
export async function measureReads(store, options) {
  const { events, fullReads, tailReads } = options;
  const key = { ...SCOPE, session: options.session };
  const populateStart = performance.now();
  let jsonBytes = 0;
  for (let at = 0; at < events.length; at += 500) {
    const stored = await store.append(key, events.slice(at, at + 500), { expectedSeq: at });
    for (const event of stored) jsonBytes += Buffer.byteLength(JSON.stringify(event)) + 1;
  }
  const populateSeconds = (performance.now() - populateStart) / 1000;
  const after = events.length - 100;
  const time = async (/** @type {number} */ from, /** @type {number} */ expected) => {
    const reader = options.fresh?.() ?? store;
    const start = performance.now();
    const read = await reader.read(key, from === 0 ? undefined : { after: from });
    const ms = performance.now() - start;
    if (reader !== store) await reader.close?.();
    if (read.length !== expected || read[0]?.seq !== from + 1) {
      throw new Error(`read after ${from} returned ${read.length} events starting at ${read[0]?.seq}`);
    }
    return ms;
  };
  // One unmeasured read of each kind (connections, JIT, page cache).
  await time(0, events.length);
  await time(after, 100);
  const full = [];
  for (let n = 0; n < fullReads; n++) full.push(await time(0, events.length));
  const tail = [];
  for (let n = 0; n < tailReads; n++) tail.push(await time(after, 100));
  return {
    events: events.length,
    jsonBytes,
    populateSeconds,
    full: summarize(full),
    tail: summarize(tail),
  };
}
