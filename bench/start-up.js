/**
 * Start-up measurements: process start (`pluto --version` against `node -e 0`), `pluto serve` start to
 * first answer, and what each heavy import adds (bench/import-cost.js).
 */
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pollUntilOk, postRun } from "./http-load.js";
import { exited, freePort, stopChild, waitForLine } from "./processes.js";
import { createProject, PLUTO_BIN, plutoEnv, REPO } from "./servers.js";
import { summarize } from "./stats.js";

/** @typedef {import("./processes.js").Resources} Resources */

/**
 * Wall time of one child process from spawn to exit; it must exit 0.
 * @param {Resources} resources @param {string[]} args for node
 */
async function timeProcess(resources, args) {
  const started = performance.now();
  const child = resources.spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.resume();
  child.stderr?.resume();
  const code = await exited(child);
  const elapsed = performance.now() - started;
  if (code !== 0) throw new Error(`node ${args.join(" ")} exited ${code}`);
  return elapsed;
}

/**
 * `node -e 0` and `pluto --version`, spawned alternately `runs` times each after one unmeasured pair.
 * @param {Resources} resources @param {number} runs
 */
export async function measureVersion(resources, runs) {
  /** @type {number[]} */
  const node = [];
  /** @type {number[]} */
  const pluto = [];
  // One of each first, unmeasured: the OS file cache.
  await timeProcess(resources, ["-e", "0"]);
  await timeProcess(resources, [PLUTO_BIN, "--version"]);
  for (let index = 0; index < runs; index++) {
    node.push(await timeProcess(resources, ["-e", "0"]));
    pluto.push(await timeProcess(resources, [PLUTO_BIN, "--version"]));
  }
  return { node: summarize(node), pluto: summarize(pluto) };
}

/**
 * `pluto serve` started `runs` times on a known free port: time to the first 200 of `GET /healthz`
 * (polled every 5 ms from the spawn), to the `Pluto listening on` line, and of the first run after that.
 * @param {Resources} resources @param {string} fakeUrl @param {number} runs
 */
export async function measureStartup(resources, fakeUrl, runs) {
  const project = createProject(resources, { agent: "demo", fsync: "batch" });
  /** @type {number[]} */
  const healthz = [];
  /** @type {number[]} */
  const listening = [];
  /** @type {number[]} */
  const firstRun = [];
  for (let index = 0; index < runs; index++) {
    const port = await freePort();
    const started = performance.now();
    const child = resources.spawn(process.execPath, [PLUTO_BIN, "serve", "--port", String(port)], {
      cwd: project,
      env: plutoEnv(fakeUrl),
    });
    const listened = waitForLine(child, /^Pluto listening on /, 20_000).then(
      () => performance.now() - started,
    );
    try {
      await pollUntilOk(`http://127.0.0.1:${port}/healthz`, { intervalMs: 5, timeoutMs: 20_000 });
      healthz.push(performance.now() - started);
      listening.push(await listened);
      const runStarted = performance.now();
      await postRun(`http://127.0.0.1:${port}/api/v1/agents/demo/runs`, "hello", undefined);
      firstRun.push(performance.now() - runStarted);
    } finally {
      await stopChild(child, 10_000);
    }
  }
  return { healthz: summarize(healthz), listening: summarize(listening), firstRun: summarize(firstRun) };
}

/**
 * Median time each heavy import adds at start-up, over `runs` fresh processes (bench/import-cost.js).
 * @param {Resources} resources @param {number} runs
 * @returns {Promise<{ steps: Array<{ module: string; ms: number | undefined; error?: string }>; totalMs: number }>}
 */
export async function measureImports(resources, runs) {
  /** @type {Array<{ steps: Array<{ module: string; ms: number | null; error?: string }>; totalMs: number }>} */
  const samples = [];
  for (let index = 0; index < runs; index++) {
    const child = resources.spawn(process.execPath, [join(REPO, "bench", "import-cost.js")]);
    const line = await waitForLine(child, /^\{"steps"/, 30_000);
    samples.push(JSON.parse(line.input ?? "{}"));
    await exited(child);
  }
  const median = (/** @type {number[]} */ values) =>
    values.length === 0 ? undefined : summarize(values).p50;
  const first = samples[0] ?? { steps: [], totalMs: 0 };
  return {
    steps: first.steps.map((step, index) => ({
      module: step.module,
      ms: median(
        samples.flatMap((sample) => (sample.steps[index]?.ms == null ? [] : [sample.steps[index].ms])),
      ),
      ...(step.error === undefined ? {} : { error: step.error }),
    })),
    totalMs: /** @type {number} */ (median(samples.map((sample) => sample.totalMs))),
  };
}
