/**
 * Requests of the many-agents part of bench/apis.js: listing a large agents folder, loading agents one
 * by one, and sequential runs over a list of agents. All sequential (one request at a time), so every
 * latency is one request's alone.
 */
import { performance } from "node:perf_hooks";

/**
 * @typedef {object} ListResult
 * @property {number} firstMs the first listing after start (folder names not yet indexed)
 * @property {number[]} repeatMs the listings after it
 * @property {number} agents agents in the answer
 * @property {number} bytes size of the JSON answer
 */

/**
 * `GET /api/v1/agents` once, then `repeats` more times.
 * @param {{ baseUrl: string; repeats: number; expected: number }} options `expected`: agents the folder holds
 * @returns {Promise<ListResult>}
 * @throws {Error} on a status other than 200 or an answer without `expected` agents
 */
export async function measureListing(options) {
  /** @type {number[]} */
  const times = [];
  let agents = 0;
  let bytes = 0;
  for (let index = 0; index <= options.repeats; index++) {
    const started = performance.now();
    const response = await fetch(`${options.baseUrl}/api/v1/agents`);
    const text = await response.text();
    times.push(performance.now() - started);
    if (response.status !== 200)
      throw new Error(`GET /api/v1/agents answered ${response.status}: ${text.slice(0, 500)}`);
    agents = JSON.parse(text).agents.length;
    bytes = Buffer.byteLength(text);
    if (agents !== options.expected)
      throw new Error(`GET /api/v1/agents listed ${agents} agents, not ${options.expected}`);
  }
  return { firstMs: /** @type {number} */ (times[0]), repeatMs: times.slice(1), agents, bytes };
}

/**
 * `GET /api/v1/agents/{agent}` for each name in turn: for agents not in the cache, one load (read and
 * validate the folder) each.
 * @param {{ baseUrl: string; names: readonly string[] }} options
 * @returns {Promise<number[]>} milliseconds per request
 * @throws {Error} on a status other than 200
 */
export async function loadAgents(options) {
  /** @type {number[]} */
  const times = [];
  for (const name of options.names) {
    const started = performance.now();
    const response = await fetch(`${options.baseUrl}/api/v1/agents/${name}`);
    const text = await response.text();
    times.push(performance.now() - started);
    if (response.status !== 200)
      throw new Error(`GET /api/v1/agents/${name} answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return times;
}

/**
 * `GET /api/v1/sessions/{session}/events` of session ids that do not exist, `count` times (each answer
 * must be 404 `SESSION_NOT_FOUND`).
 * @param {{ baseUrl: string; count: number }} options
 * @returns {Promise<number[]>} milliseconds per request
 */
export async function lookUpUnknownSessions(options) {
  /** @type {number[]} */
  const times = [];
  for (let index = 0; index < options.count; index++) {
    const started = performance.now();
    const response = await fetch(`${options.baseUrl}/api/v1/sessions/bench-missing-${index}/events`);
    const text = await response.text();
    times.push(performance.now() - started);
    if (response.status !== 404 || !text.includes("SESSION_NOT_FOUND"))
      throw new Error(`unknown session answered ${response.status}: ${text.slice(0, 500)}`);
  }
  return times;
}

/**
 * One non-streaming run in a new session for each name in turn.
 * @param {{ baseUrl: string; names: readonly string[]; sessionIds?: (index: number) => string }} options
 *   `sessionIds`: the client picks each run's (new) session id, as Agent Protocol tasks, A2A tasks and
 *   OpenAI's `user` do; without it the server makes one up
 * @returns {Promise<number[]>} milliseconds per run, request sent to body read
 * @throws {Error} when a run does not answer 200 with `status: "completed"` and the fake's `ok`
 */
export async function runEach(options) {
  /** @type {number[]} */
  const times = [];
  for (const [index, name] of options.names.entries()) {
    const input = `Say ok (${index}).`;
    const body =
      options.sessionIds === undefined ? { input } : { input, session_id: options.sessionIds(index) };
    const started = performance.now();
    const response = await fetch(`${options.baseUrl}/api/v1/agents/${name}/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    times.push(performance.now() - started);
    if (response.status !== 200)
      throw new Error(`run of ${name} answered ${response.status}: ${text.slice(0, 500)}`);
    const answer = JSON.parse(text);
    if (answer.status !== "completed" || answer.output !== "ok")
      throw new Error(`run of ${name} ended ${answer.status}: ${text.slice(0, 500)}`);
  }
  return times;
}

/**
 * The agents picked for each phase, as indexes into the folder (see `agentName`): disjoint sets, the
 * cold ones spread evenly over the folder's name order.
 * @param {{ count: number; warm: number; cold: number; fill: number }} plan
 *   `warm`: agents run again and again; `cold`: agents run once, never touched before; `fill`: agents
 *   loaded after those to push them out of the cache
 * @returns {{ warm: number[]; cold: number[]; fill: number[] }}
 * @throws {Error} when the folder is too small for the sets
 */
export function pickAgents(plan) {
  if (plan.warm + plan.cold + plan.fill > plan.count) throw new Error("not enough agents for the plan");
  const warm = Array.from({ length: plan.warm }, (_, index) => index);
  const span = plan.count - plan.warm;
  const cold = Array.from(
    { length: plan.cold },
    (_, index) => plan.warm + Math.floor((index * span) / plan.cold),
  );
  const used = new Set([...warm, ...cold]);
  /** @type {number[]} */
  const fill = [];
  for (let index = plan.count - 1; index >= 0 && fill.length < plan.fill; index--) {
    if (!used.has(index)) fill.push(index);
  }
  return { warm, cold, fill: fill.reverse() };
}
