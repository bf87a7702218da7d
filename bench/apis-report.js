/**
 * Renders bench/apis.js's results as the generated part of its section in docs/benchmarks.md.
 */
import { fixed } from "./stats.js";

/**
 * @typedef {import("./stats.js").Summary} Summary
 * @typedef {{ rssMb: number; hwmMb: number }} Memory
 * @typedef {{ name: string; route: string; summary: Summary }} ApiResult one API's latencies
 * @typedef {object} ApisResults
 * @property {{ date: string; node: string; code: string; cpu: string; cores: number; fileSystem: string; quick: boolean; busyBefore: number; otherCpuPercent: number; loadBefore: string; loadAfter: string; seconds: number }} machine
 * @property {Record<string, number>} plan
 * @property {{ agents: number; files: number; seconds: number }} project
 * @property {{ idle: Memory; afterRuns: Memory; runs: number; ownSessionIds: Summary; unknownSessions: Summary; apis: ApiResult[]; end: Memory }} oneAgent
 *   the one-agent server
 * @property {Array<{ label: string } & Memory>} memory the many-agents server after each phase
 * @property {{ first: number; repeat: Summary; agents: number; bytes: number }} listing
 * @property {Summary} cold first run of never-touched agents
 * @property {Summary} warm runs of cached agents
 * @property {{ summary: Summary; cpuMsPerLoad: number }} fill `GET /api/v1/agents/{agent}` of uncached agents
 * @property {Summary} evicted runs of agents pushed out of the cache
 * @property {Summary} ownSessionIds runs of warm agents in new sessions whose ids the client chose
 * @property {Summary} unknownSessions `GET /api/v1/sessions/{id}/events` of ids that do not exist
 * @property {ApiResult[]} apis on the many-agents server, the native route first
 */

/** @param {number} value */
const thousands = (value) => value.toLocaleString("en-US");

/** @param {Summary} summary */
const row = (summary) =>
  `${summary.count} | ${fixed(summary.p50)} | ${fixed(summary.p90)} | ${fixed(summary.p99)} | ${fixed(summary.max)}`;

/**
 * The API comparison table: each API's percentiles and their difference to the first row's.
 * @param {ApiResult[]} apis the native route first
 * @returns {string[]}
 */
function apiTable(apis) {
  const native = /** @type {ApiResult} */ (apis[0]).summary;
  return [
    "| API | what is timed | n | p50 ms | p90 ms | p99 ms | mean ms | added p50 ms | added p99 ms |",
    "|---|---|---|---|---|---|---|---|---|",
    ...apis.map(
      ({ name, route, summary }, index) =>
        `| ${name} | ${route} | ${summary.count} | ${fixed(summary.p50)} | ${fixed(summary.p90)} | ${fixed(summary.p99)} | ${fixed(summary.mean)} | ${index === 0 ? "baseline" : fixed(summary.p50 - native.p50)} | ${index === 0 ? "baseline" : fixed(summary.p99 - native.p99)} |`,
    ),
  ];
}

/**
 * @param {ApisResults} results
 * @returns {string} Markdown, ending with a newline
 */
export function renderApisReport(results) {
  const { machine, plan, project, oneAgent, memory, listing, cold, warm, fill, evicted, apis } = results;
  const many = `${thousands(project.agents)}-agent server`;
  const lines = [
    `Measured ${machine.date} on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, project on ${machine.fileSystem}, load average ${machine.loadBefore} before and ${machine.loadAfter} after` +
      `${machine.quick ? " (**--quick smoke run: few samples, not representative**)" : ""}; the whole run took ${fixed(machine.seconds, 0)} s.`,
    `Code: ${machine.code}.`,
    `Other processes on the machine: ${fixed(machine.busyBefore, 0)}% of the CPU busy just before the run, ${fixed(machine.otherCpuPercent, 0)}% of all cores used by them while the many-agents server ran${machine.otherCpuPercent > 10 ? " (**the machine was shared; absolute numbers are pessimistic**)" : ""}.`,
    `Plan: ${Object.entries(plan)
      .map(([key, value]) => `${key} ${value}`)
      .join(", ")}.`,
    "",
    `#### ${thousands(project.agents)} agents on disk, default agent cache (1,000 agents)`,
    "",
    `${thousands(project.files)} files written in ${fixed(project.seconds, 1)} s. Latencies in ms, one request at a time; every run starts a new session.`,
    "",
    "| request | n | p50 | p90 | p99 | max |",
    "|---|---|---|---|---|---|",
    `| \`GET /api/v1/agents\`, first after start (${thousands(listing.agents)} agents, ${fixed(listing.bytes / 1024, 0)} KiB of JSON) | 1 | ${fixed(listing.first)} | | | |`,
    `| \`GET /api/v1/agents\`, again | ${row(listing.repeat)} |`,
    `| run of a never-touched agent (cold: load + run) | ${row(cold)} |`,
    `| run of a cached agent (warm, ${plan.warmAgents} agents in turn) | ${row(warm)} |`,
    `| \`GET /api/v1/agents/{agent}\` of an uncached agent (one load; ${fixed(fill.cpuMsPerLoad, 2)} ms server CPU each) | ${row(fill.summary)} |`,
    `| run of an agent evicted from the cache | ${row(evicted)} |`,
    `| run of a cached agent in a new session whose id the client chose (\`session_id\`) | ${row(results.ownSessionIds)} |`,
    `| the same on the one-agent server | ${row(oneAgent.ownSessionIds)} |`,
    `| \`GET /api/v1/sessions/{id}/events\` of an id that does not exist (404) | ${row(results.unknownSessions)} |`,
    `| the same on the one-agent server | ${row(oneAgent.unknownSessions)} |`,
    "",
    `Cold minus warm: ${fixed(cold.p50 - warm.p50)} ms at p50, ${fixed(cold.p99 - warm.p99)} ms at p99.`,
    "",
    "| `pluto serve` memory (from /proc/PID/status) | VmRSS MB | VmHWM MB |",
    "|---|---|---|",
    `| one-agent server, idle after start | ${fixed(oneAgent.idle.rssMb, 1)} | ${fixed(oneAgent.idle.hwmMb, 1)} |`,
    `| one-agent server, after ${oneAgent.runs} runs | ${fixed(oneAgent.afterRuns.rssMb, 1)} | ${fixed(oneAgent.afterRuns.hwmMb, 1)} |`,
    `| one-agent server, after its API comparison (end) | ${fixed(oneAgent.end.rssMb, 1)} | ${fixed(oneAgent.end.hwmMb, 1)} |`,
    ...memory.map(
      (point) => `| ${many}, ${point.label} | ${fixed(point.rssMb, 1)} | ${fixed(point.hwmMb, 1)} |`,
    ),
    "",
    "#### Each API over the native runs route",
    "",
    `The server's first agent (warm), a new session per request, the fake model's \`ok\` answer. ${plan.apiWarmup} unmeasured requests per API, then ${plan.apiRuns} measured ones per API in rounds of ${plan.apiRound}, the APIs taking turns (order rotated each round). Time from sending the request to reading the whole answer (a stream to its end).`,
    "",
    "One-agent server (what each protocol layer costs):",
    "",
    ...apiTable(oneAgent.apis),
    "",
    `${many}, after the runs above (what it costs on a large instance):`,
    "",
    ...apiTable(apis),
    "",
    "Added = the API's percentile minus the native route's percentile from the same rounds (not a percentile of differences).",
  ];
  return `${lines.join("\n")}\n`;
}
