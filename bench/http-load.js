/**
 * HTTP load for the benchmark: sequential runs (latency) and concurrent clients (throughput) against
 * `POST /api/v1/agents/{agent}/runs` of Pluto or the floor proxy. Uses the global fetch (undici), which
 * keeps connections alive.
 */
import { performance } from "node:perf_hooks";

/**
 * @typedef {object} RunAnswer
 * @property {string} run_id
 * @property {string} session_id
 * @property {string} status
 * @property {string} output
 */

/**
 * Posts one non-streaming run and checks it completed.
 * @param {string} runsUrl `…/api/v1/agents/{agent}/runs`
 * @param {string} input
 * @param {string | undefined} sessionId continue this session; a new one when undefined
 * @returns {Promise<RunAnswer>}
 * @throws {Error} when the answer is not 200 with `status: "completed"` (the message quotes the body)
 */
export async function postRun(runsUrl, input, sessionId) {
  const response = await fetch(runsUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(sessionId === undefined ? { input } : { input, session_id: sessionId }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`run answered ${response.status}: ${text.slice(0, 500)}`);
  const answer = /** @type {RunAnswer} */ (JSON.parse(text));
  if (answer.status !== "completed") throw new Error(`run ended ${answer.status}: ${text.slice(0, 500)}`);
  return answer;
}

/**
 * Runs `count` sequential runs after `warmup` unmeasured ones and returns each measured run's latency.
 * @param {{ runsUrl: string; count: number; warmup: number; sameSession: boolean }} options
 *   `sameSession`: every run (warm-up included) continues one session, so its context grows by one
 *   exchange per run; otherwise every run starts a new session.
 * @returns {Promise<number[]>} milliseconds, request sent to body read
 */
export async function sequentialLatencies(options) {
  /** @type {string | undefined} */
  let sessionId;
  /** @type {number[]} */
  const latencies = [];
  for (let index = 0; index < options.warmup + options.count; index++) {
    const started = performance.now();
    const answer = await postRun(
      options.runsUrl,
      `Say ok (${index}).`,
      options.sameSession ? sessionId : undefined,
    );
    const elapsed = performance.now() - started;
    if (options.sameSession) sessionId = answer.session_id;
    if (index >= options.warmup) latencies.push(elapsed);
  }
  return latencies;
}

/**
 * @typedef {object} ThroughputResult
 * @property {number} runs completed runs
 * @property {number} failures runs that did not complete
 * @property {string | undefined} firstFailure the first failure's message
 * @property {number} seconds wall time from first request to last answer
 * @property {number} runsPerSecond completed runs per second
 */

/**
 * `concurrency` clients, each on its own session (one run at a time per session, each continuing the
 * session its first run created), share `total` runs; stops early at `maxSeconds`.
 * @param {{ runsUrl: string; total: number; concurrency: number; maxSeconds: number }} options
 * @returns {Promise<ThroughputResult>}
 */
export async function throughput(options) {
  let started = 0;
  let runs = 0;
  let failures = 0;
  /** @type {string | undefined} */
  let firstFailure;
  const begin = performance.now();
  const deadline = begin + options.maxSeconds * 1000;
  const client = async (/** @type {number} */ clientIndex) => {
    /** @type {string | undefined} */
    let sessionId;
    while (started < options.total && performance.now() < deadline) {
      started++;
      try {
        const answer = await postRun(options.runsUrl, `Client ${clientIndex} says hi.`, sessionId);
        sessionId = answer.session_id;
        runs++;
      } catch (error) {
        failures++;
        firstFailure ??= error instanceof Error ? error.message : String(error);
        // A failing server must not turn the loop into a busy spin.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, index) => client(index)));
  const seconds = (performance.now() - begin) / 1000;
  return { runs, failures, firstFailure, seconds, runsPerSecond: runs / seconds };
}

/**
 * Polls `url` every `intervalMs` until it answers 200.
 * @param {string} url
 * @param {{ intervalMs: number; timeoutMs: number }} options
 * @returns {Promise<void>}
 * @throws {Error} after `timeoutMs`
 */
export async function pollUntilOk(url, options) {
  const deadline = performance.now() + options.timeoutMs;
  while (performance.now() < deadline) {
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
  }
  throw new Error(`${url} did not answer 200 within ${options.timeoutMs} ms`);
}
