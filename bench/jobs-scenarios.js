/**
 * The measurements of bench/jobs.js against real `pluto serve` / `pluto worker` processes over
 * loopback HTTP: job throughput (created → completed), pickup latency (created → the job's run
 * started on a worker) and the approval round trip. Every wait is bounded; a stuck phase throws.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { stopChild, waitForLine } from "./processes.js";
import { PLUTO_BIN, plutoEnv } from "./servers.js";
import { summarize } from "./stats.js";

/** The agent every job runs: no tools, the fake model answers `ok` at once. */
export const JOB_AGENT = "worker";
/** Two agents with one builtin tool (`memory_search`): `asker` asks before it, `plain` allows it. */
export const APPROVAL_AGENTS = { ask: "asker", allow: "plain" };

/** @param {string} name @param {string} tools the `tools:` block, indented by four spaces */
function agentYaml(name, tools) {
  return `apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: ${name}\nspec:\n  model: openai/gpt-5-mini\n  tools:\n${tools}`;
}

/**
 * Creates a temp project with the job agent and the two approval agents.
 * @param {import("./processes.js").Resources} resources
 * @param {{ pluto: string; fakeUrl: string }} options `pluto`: the pluto.yaml text
 * @returns {string} the project folder
 */
export function createJobsProject(resources, options) {
  const project = resources.tempDir("pluto-bench-jobs-");
  const agents = [
    [JOB_AGENT, "    builtin: []\n"],
    [
      APPROVAL_AGENTS.ask,
      "    builtin: [memory_search]\n    policy:\n      rules:\n        - { tool: memory_search, action: ask }\n",
    ],
    [APPROVAL_AGENTS.allow, "    builtin: [memory_search]\n"],
  ];
  for (const [name, tools] of agents) {
    const dir = join(project, ".pluto", "agents", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "agent.yaml"), agentYaml(name, tools));
    writeFileSync(join(dir, "SYSTEM_PROMPT.md"), "You answer briefly.\n");
    writeFileSync(join(dir, "INSTRUCTIONS.md"), "Answer.\n");
  }
  writeFileSync(join(project, ".pluto", "pluto.yaml"), options.pluto);
  execFileSync(process.execPath, [PLUTO_BIN, "migrate"], {
    cwd: project,
    env: plutoEnv(options.fakeUrl),
    stdio: "ignore",
  });
  return project;
}

/**
 * Starts `pluto worker --concurrency N` in `project` and waits for its start line.
 * @param {import("./processes.js").Resources} resources
 * @param {{ project: string; fakeUrl: string; concurrency: number }} options
 */
export async function startWorkerProcess(resources, options) {
  const child = resources.spawn(
    process.execPath,
    [PLUTO_BIN, "worker", "--concurrency", String(options.concurrency)],
    { cwd: options.project, env: plutoEnv(options.fakeUrl) },
  );
  await waitForLine(child, /Pluto worker (\S+) running/, 20_000);
  return { pid: /** @type {number} */ (child.pid), stop: () => stopChild(child, 10_000) };
}

/**
 * POSTs JSON and returns the parsed answer; a status outside 2xx throws with the body.
 * @param {string} url @param {unknown} [body]
 */
async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** @param {string} url */
async function getJson(url) {
  const response = await fetch(url);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${url}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls the panic switch's state until nothing is queued or running.
 * @param {string} baseUrl @param {number} timeoutMs
 */
async function waitForDrain(baseUrl, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const state = await getJson(`${baseUrl}/api/v1/admin/state`);
    if (state.queued === 0 && state.running === 0 && state.aborting === 0) return;
    if (performance.now() > deadline)
      throw new Error(`jobs did not drain in ${timeoutMs} ms: ${JSON.stringify(state)}`);
    await sleep(20);
  }
}

/**
 * Every job the server lists, following `next_cursor`.
 * @param {string} baseUrl @returns {Promise<any[]>}
 */
async function allJobs(baseUrl) {
  const jobs = [];
  let cursor = "";
  for (;;) {
    const page = await getJson(
      `${baseUrl}/api/v1/jobs?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
    );
    jobs.push(...page.jobs);
    if (!page.next_cursor) return jobs;
    cursor = page.next_cursor;
  }
}

/**
 * Creates `count` jobs with `clients` concurrent HTTP clients while the workers run them, and waits
 * until every one has ended. Throughput is `count` over the span from the first POST to the last
 * job's `updated_at` (server clock, same machine); every job must be `completed`.
 * @param {{ baseUrl: string; count: number; clients: number; timeoutMs: number }} options
 * @returns {Promise<{ jobs: number; seconds: number; jobsPerSecond: number; createdPerSecond: number; endToEndMs: import("./stats.js").Summary }>}
 */
export async function measureThroughput(options) {
  const startedAt = Date.now();
  const began = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (next < options.count) {
        next += 1;
        await postJson(`${options.baseUrl}/api/v1/jobs`, { agent: JOB_AGENT, input: `job ${next}` });
      }
    }),
  );
  const createSeconds = (performance.now() - began) / 1000;
  await waitForDrain(options.baseUrl, options.timeoutMs);
  const jobs = await allJobs(options.baseUrl);
  const notCompleted = jobs.filter((job) => job.status !== "completed");
  if (jobs.length !== options.count || notCompleted.length > 0) {
    throw new Error(
      `${jobs.length} jobs listed, ${notCompleted.length} not completed (first: ${JSON.stringify(notCompleted[0])})`,
    );
  }
  const lastEnd = Math.max(...jobs.map((job) => Date.parse(job.updated_at)));
  const seconds = (lastEnd - startedAt) / 1000;
  return {
    jobs: jobs.length,
    seconds,
    jobsPerSecond: jobs.length / seconds,
    createdPerSecond: jobs.length / createSeconds,
    endToEndMs: summarize(jobs.map((job) => Date.parse(job.updated_at) - Date.parse(job.created_at))),
  };
}

/**
 * Pickup latency on an idle pool: one job at a time, from its `created_at` to the `time` of its run's
 * `run-start` event (both stamped by Pluto), i.e. how long a due job waits for a worker's claim.
 * A random pause between jobs keeps the creations out of step with the workers' poll timers.
 * @param {{ baseUrl: string; samples: number; pollMs: number; timeoutMs: number }} options
 * @returns {Promise<import("./stats.js").Summary>}
 */
export async function measurePickup(options) {
  const waits = [];
  for (let index = 0; index < options.samples; index++) {
    await sleep(Math.random() * options.pollMs);
    const job = await postJson(`${options.baseUrl}/api/v1/jobs`, {
      agent: JOB_AGENT,
      input: `pickup ${index}`,
    });
    const deadline = performance.now() + options.timeoutMs;
    for (;;) {
      const current = await getJson(`${options.baseUrl}/api/v1/jobs/${job.id}`);
      if (current.status === "completed") break;
      if (current.status !== "queued" && current.status !== "running")
        throw new Error(`job ${job.id}: ${current.status}`);
      if (performance.now() > deadline) throw new Error(`job ${job.id} not done in ${options.timeoutMs} ms`);
      await sleep(10);
    }
    const replay = await getJson(`${options.baseUrl}/api/v1/jobs/${job.id}/events`);
    const start = (replay.events ?? replay).find((event) => event.type === "run-start");
    if (start === undefined) throw new Error(`job ${job.id}: no run-start event`);
    waits.push(Date.parse(start.time) - Date.parse(job.created_at));
  }
  return summarize(waits);
}

/**
 * Approval round trip over HTTP, interleaved with its baseline in rounds. Each round, in a new session:
 * - baseline: one `POST /agents/plain/runs` whose tool call is allowed, so the run calls the tool and ends;
 * - approval: `POST /agents/asker/runs` (ends `awaiting-approval`), then
 *   `POST /sessions/{s}/approvals/{call}` `approve`, whose answer is the continued run once it ended.
 * The fake model asks for `memory_search` until the request carries a tool result, then answers.
 * @param {{ baseUrl: string; rounds: number }} options
 */
export async function measureApprovals(options) {
  const baseline = [];
  const request = [];
  const decision = [];
  const total = [];
  const tag = Date.now().toString(36);
  for (let round = 0; round < options.rounds; round++) {
    let before = performance.now();
    const plain = await postJson(`${options.baseUrl}/api/v1/agents/${APPROVAL_AGENTS.allow}/runs`, {
      input: "find tea",
      session_id: `bench-plain-${tag}-${round}`,
    });
    baseline.push(performance.now() - before);
    if (plain.status !== "completed") throw new Error(`baseline run ended ${plain.status}`);

    const session = `bench-ask-${tag}-${round}`;
    before = performance.now();
    const paused = await postJson(`${options.baseUrl}/api/v1/agents/${APPROVAL_AGENTS.ask}/runs`, {
      input: "find tea",
      session_id: session,
    });
    const decided = performance.now();
    request.push(decided - before);
    if (paused.status !== "awaiting-approval") throw new Error(`asked run ended ${paused.status}`);
    const pending = await getJson(`${options.baseUrl}/api/v1/sessions/${session}/approvals`);
    const call = (pending.approvals ?? pending)[0];
    const callId = call?.tool_call_id ?? call?.toolCallId;
    const posted = performance.now();
    const continued = await postJson(
      `${options.baseUrl}/api/v1/sessions/${session}/approvals/${encodeURIComponent(callId)}`,
      { decision: "approve" },
    );
    const ended = performance.now();
    decision.push(ended - posted);
    total.push(ended - before);
    if (continued.status !== "completed") throw new Error(`continued run ended ${continued.status}`);
  }
  return {
    baselineMs: summarize(baseline),
    requestMs: summarize(request),
    decisionMs: summarize(decision),
    totalMs: summarize(total),
  };
}

/**
 * The fake model's turn: a `memory_search` call until the conversation holds a tool result, then `ok`.
 * Covers the Chat Completions (`role: tool`) and Responses (`function_call_output`) request shapes.
 * @param {{ body: any }} request
 */
export function fakeTurn(request) {
  const body = request.body ?? {};
  const messages = [...(body.messages ?? []), ...(Array.isArray(body.input) ? body.input : [])];
  const hasToolResult = messages.some(
    (item) => item?.role === "tool" || item?.type === "function_call_output",
  );
  const wantsTool = JSON.stringify(body.tools ?? []).includes("memory_search");
  if (!wantsTool || hasToolResult) return { text: "ok" };
  return {
    toolCalls: [
      { id: `call_${Math.random().toString(36).slice(2)}`, name: "memory_search", input: { query: "tea" } },
    ],
  };
}
