/**
 * Renders the benchmark results (see run.js `Results`) as the generated part of docs/benchmarks.md.
 */
import { fixed } from "./stats.js";

/**
 * @typedef {import("./stats.js").Summary} Summary
 * @typedef {import("./http-load.js").ThroughputResult} ThroughputResult
 * @typedef {{ rssMb: number; hwmMb: number }} Memory
 * @typedef {object} ThroughputMeasure
 * @property {ThroughputResult} result
 * @property {number} cpuMsPerRun CPU of the server process per completed run
 * @property {number} machineBusyPercent all cores busy during the run, % of the machine
 * @property {number} benchCpuPercent the benchmark process (clients + fake model), % of one core
 * @typedef {object} ModeResults
 * @property {"batch" | "never"} fsync
 * @property {Summary} floorLatency
 * @property {Summary} newSession
 * @property {Summary} sameSession
 * @property {ThroughputMeasure} floorThroughput the faster of two floor runs (before and after Pluto's)
 * @property {number} floorOtherRunsPerSecond the other floor run
 * @property {ThroughputMeasure} plutoThroughput
 * @property {Memory} idle
 * @property {Memory} afterLoad
 * @typedef {object} Budget
 * @property {string} name
 * @property {string} target
 * @property {string} measured
 * @property {boolean} met
 * @property {string} note by how much it is missed or met
 */

/**
 * @param {import("./cpu-profile.js").FunctionRow[]} rows @param {string} unit column title
 * @returns {string[]}
 */
function functionTable(rows, unit) {
  return [
    `| function | where | ${unit} | % |`,
    "|---|---|---|---|",
    ...rows.map(
      (entry) =>
        `| \`${entry.name}\` | ${entry.location === "" ? entry.category : `\`${entry.location}\``} | ${fixed(entry.selfMs, 0)} | ${fixed(entry.percent, 1)} |`,
    ),
  ];
}

/** @param {Summary} summary */
const ms = (summary) =>
  `${fixed(summary.p50)} | ${fixed(summary.p90)} | ${fixed(summary.p99)} | ${fixed(summary.mean)}`;

/**
 * An upper-bound budget row.
 * @param {string} name @param {number} measured @param {number} limit @param {string} unit @param {string} [detail]
 * @returns {Budget}
 */
export function atMost(name, measured, limit, unit, detail = "") {
  const met = measured < limit;
  const ratio = limit === 0 ? "" : ` (${fixed(measured / limit, 2)}× the target)`;
  return {
    name,
    target: `< ${limit} ${unit}`,
    measured: `${fixed(measured)} ${unit}${detail}`,
    met,
    note: met
      ? `${fixed(limit - measured)} ${unit} to spare`
      : `over by ${fixed(measured - limit)} ${unit}${ratio}`,
  };
}

/**
 * A lower-bound budget row.
 * @param {string} name @param {number} measured @param {number} limit @param {string} unit @param {string} [detail]
 * @returns {Budget}
 */
export function atLeast(name, measured, limit, unit, detail = "") {
  const met = measured >= limit;
  return {
    name,
    target: `>= ${limit} ${unit}`,
    measured: `${fixed(measured, 1)} ${unit}${detail}`,
    met,
    note: met
      ? `${fixed(measured - limit, 1)} ${unit} to spare`
      : `short by ${fixed(limit - measured, 1)} ${unit}`,
  };
}

/**
 * @param {object} results
 * @param {{ date: string; node: string; cpu: string; cores: number; fileSystem: string; quick: boolean; busyBefore: number; otherCpuPercent: number; loadBefore: string; loadAfter: string; plan: Record<string, number>; seconds: number }} results.machine
 * @param {{ node: Summary; pluto: Summary }} results.version
 * @param {{ healthz: Summary; listening: Summary; firstRun: Summary; imports: { steps: Array<{ module: string; ms: number | undefined; error?: string }>; totalMs: number } }} results.startup
 * @param {ModeResults[]} results.modes
 * @param {import("./scaffolding.js").ScaffoldingResult} results.scaffolding
 * @param {(import("./cpu-profile.js").ProfileSummary & { runs: number; cleanExit: boolean }) | undefined} results.profile
 * @param {Budget[]} results.budgets
 * @returns {string}
 */
export function renderReport(results) {
  const { machine, version, startup, modes, scaffolding, profile, budgets } = results;
  /** @type {string[]} */
  const lines = [];
  const push = (/** @type {string[]} */ ...more) => lines.push(...more);
  push(
    `Measured ${machine.date} on ${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, temp dirs on ${machine.fileSystem}, load average ${machine.loadBefore} before and ${machine.loadAfter} after` +
      `${machine.quick ? " (**--quick smoke run: few samples, not representative**)" : ""}; the whole run took ${fixed(machine.seconds, 0)} s.`,
    `Other processes on the machine: ${fixed(machine.busyBefore, 0)}% of the CPU busy just before the run, ${fixed(Math.max(0, machine.otherCpuPercent), 0)}% of all cores used by them during it${machine.otherCpuPercent > 10 ? " (**the machine was shared; absolute numbers are pessimistic**)" : ""}.`,
    `Plan: ${Object.entries(machine.plan)
      .map(([key, value]) => `${key} ${value}`)
      .join(", ")}.`,
    "",
    "### DESIGN budgets",
    "",
    "| DESIGN budget | target | measured | met? | margin |",
    "|---|---|---|---|---|",
    ...budgets.map(
      (budget) =>
        `| ${budget.name} | ${budget.target} | ${budget.measured} | ${budget.met ? "yes" : "**no**"} | ${budget.note} |`,
    ),
    "",
    "### 1. Process start",
    "",
    "| command | runs | median ms | p90 ms | min ms |",
    "|---|---|---|---|---|",
    `| \`node -e 0\` (baseline) | ${version.node.count} | ${fixed(version.node.p50)} | ${fixed(version.node.p90)} | ${fixed(version.node.min)} |`,
    `| \`pluto --version\` | ${version.pluto.count} | ${fixed(version.pluto.p50)} | ${fixed(version.pluto.p90)} | ${fixed(version.pluto.min)} |`,
    `| \`pluto --version\` minus baseline | | ${fixed(version.pluto.p50 - version.node.p50)} | ${fixed(version.pluto.p90 - version.node.p90)} | |`,
    "",
    "### 2. `pluto serve` start",
    "",
    "| from spawn to … | runs | median ms | p90 ms | max ms |",
    "|---|---|---|---|---|",
    `| first 200 from \`GET /healthz\` (polled every 5 ms) | ${startup.healthz.count} | ${fixed(startup.healthz.p50)} | ${fixed(startup.healthz.p90)} | ${fixed(startup.healthz.max)} |`,
    `| \`Pluto listening on\` printed | ${startup.listening.count} | ${fixed(startup.listening.p50)} | ${fixed(startup.listening.p90)} | ${fixed(startup.listening.max)} |`,
    `| first run answered (after healthz; cold agent and provider) | ${startup.firstRun.count} | ${fixed(startup.firstRun.p50)} | ${fixed(startup.firstRun.p90)} | ${fixed(startup.firstRun.max)} |`,
    "",
    `What the imports cost (median of 3 fresh processes importing one after another; each row is what that import adds to the ones above it; total ${fixed(startup.imports.totalMs, 0)} ms on top of \`node -e 0\`):`,
    "",
    "| import | ms |",
    "|---|---|",
    ...startup.imports.steps.map(
      (step) =>
        `| \`${step.module}\` | ${step.ms === undefined ? `failed: ${step.error ?? "?"}` : fixed(step.ms, 1)} |`,
    ),
    "",
    "### 3. Warm run latency (sequential, non-streaming, one client)",
    "",
    "| fsync | target | runs | p50 ms | p90 ms | p99 ms | mean ms | overhead p50 ms | overhead p99 ms |",
    "|---|---|---|---|---|---|---|---|---|",
  );
  for (const mode of modes) {
    const overhead = (/** @type {Summary} */ summary) =>
      `${fixed(summary.p50 - mode.floorLatency.p50)} | ${fixed(summary.p99 - mode.floorLatency.p99)}`;
    push(
      `| ${mode.fsync} | floor proxy | ${mode.floorLatency.count} | ${ms(mode.floorLatency)} | 0 | 0 |`,
      `| ${mode.fsync} | Pluto, new session each run | ${mode.newSession.count} | ${ms(mode.newSession)} | ${overhead(mode.newSession)} |`,
      `| ${mode.fsync} | Pluto, one session (context grows to ${mode.sameSession.count + 1} turns) | ${mode.sameSession.count} | ${ms(mode.sameSession)} | ${overhead(mode.sameSession)} |`,
    );
  }
  push(
    "",
    "Overhead = Pluto's percentile minus the floor's percentile measured just before it (not a percentile of differences).",
    "",
    "### 4. Throughput at concurrency 32 (each client continues its own session)",
    "",
    "| fsync | target | runs | failures | seconds | runs/s | % of floor | server CPU ms/run | machine busy | bench process CPU |",
    "|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const mode of modes) {
    const row = (
      /** @type {string} */ name,
      /** @type {ThroughputMeasure} */ measure,
      /** @type {string} */ share,
    ) =>
      `| ${mode.fsync} | ${name} | ${measure.result.runs} | ${measure.result.failures} | ${fixed(measure.result.seconds)} | ${fixed(measure.result.runsPerSecond, 0)} | ${share} | ${fixed(measure.cpuMsPerRun, 3)} | ${fixed(measure.machineBusyPercent, 0)}% | ${fixed(measure.benchCpuPercent, 0)}% of a core |`;
    const share =
      (100 * mode.plutoThroughput.result.runsPerSecond) / mode.floorThroughput.result.runsPerSecond;
    push(
      row("floor proxy", mode.floorThroughput, "100%"),
      row("Pluto", mode.plutoThroughput, `${fixed(share, 1)}%`),
    );
  }
  const failures = modes.flatMap((mode) =>
    [mode.floorThroughput, mode.plutoThroughput].flatMap((measure) =>
      measure.result.firstFailure === undefined ? [] : [`- ${mode.fsync}: ${measure.result.firstFailure}`],
    ),
  );
  if (failures.length > 0) push("", "First failures:", ...failures);
  push(
    "",
    `The floor ran before and after Pluto; the faster run is shown (the other: ${modes.map((mode) => `${mode.fsync} ${fixed(mode.floorOtherRunsPerSecond, 0)} runs/s`).join(", ")}).`,
    "The fake model and the 32 clients share the benchmark process; its CPU share shows when it, not the server, is the limit.",
    "",
    "### 5-7. Memory and CPU of the `pluto serve` process",
    "",
    "| fsync | idle RSS MB | idle peak MB | RSS after load MB | peak RSS (VmHWM) MB | CPU ms per run (c=32) |",
    "|---|---|---|---|---|---|",
    ...modes.map(
      (mode) =>
        `| ${mode.fsync} | ${fixed(mode.idle.rssMb, 1)} | ${fixed(mode.idle.hwmMb, 1)} | ${fixed(mode.afterLoad.rssMb, 1)} | ${fixed(mode.afterLoad.hwmMb, 1)} | ${fixed(mode.plutoThroughput.cpuMsPerRun, 3)} |`,
    ),
    "",
    "### 8. Prompt scaffolding",
    "",
    `Agent from \`pluto init\` with SYSTEM_PROMPT.md = \`${scaffolding.systemPrompt}\`, an empty INSTRUCTIONS.md and the default tools; input \`${scaffolding.input}\`. Tokens: ${scaffolding.tokenizer}.`,
    "",
    "| what Pluto sent beyond the user's own text | chars | tokens |",
    "|---|---|---|",
    `| system/instructions text added | ${scaffolding.addedChars} | ${scaffolding.addedTokens} |`,
    `| wrapper around the user's input | ${scaffolding.userWrapperChars} | |`,
    `| tool definitions (JSON as sent, ${scaffolding.tools.length} tools) | | ${scaffolding.toolsTokens} |`,
    `| whole request body (JSON) | | ${scaffolding.requestTokens} |`,
    "",
    `Added system text: \`${JSON.stringify(scaffolding.addedText)}\`. Per tool: ${scaffolding.tools.map((tool) => `${tool.name} ${tool.tokens}`).join(", ")} tokens.`,
    "Tool tokens are counted on the JSON Pluto sends; the provider renders tools in its own format, so its count differs somewhat.",
  );
  if (profile !== undefined) {
    push(
      "",
      "### CPU profile of `pluto serve` under load",
      "",
      `\`node --cpu-prof\` on the serve process; only the samples taken during ${profile.runs} runs at concurrency 32 (fsync batch, after start-up and warm-up): ${fixed(profile.busyMs, 0)} ms busy, ${fixed(profile.idleMs, 0)} ms idle${profile.cleanExit ? "" : " (the process did not exit cleanly)"}.`,
      "",
      "Self time by package, Node subsystem or Pluto folder (% of busy time):",
      "",
      "| where | self ms | % |",
      "|---|---|---|",
      ...profile.categories
        .slice(0, 15)
        .map((entry) => `| ${entry.category} | ${fixed(entry.selfMs, 0)} | ${fixed(entry.percent, 1)} |`),
      "",
      `Pluto functions by the time of what they call outside Pluto (each sample charged to the nearest Pluto frame on its stack; ${fixed(profile.unattributedMs, 0)} ms, ${fixed((100 * profile.unattributedMs) / Math.max(1, profile.busyMs), 1)}%, had no Pluto frame: library callbacks and promise jobs such as the AI SDK's stream pipeline, HTTP parsing, GC):`,
      "",
      ...functionTable(profile.attributed, "attributed ms"),
      "",
      "Pluto functions by total time (self and everything below; nested functions overlap):",
      "",
      ...functionTable(profile.inclusive, "total ms"),
      "",
      "Top functions by self time:",
      "",
      ...functionTable(profile.functions, "self ms"),
    );
  }
  return `${lines.join("\n")}\n`;
}
