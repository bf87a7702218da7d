/**
 * Starting the processes under test: a Pluto project with one agent, `pluto serve` on it, and the floor
 * proxy. Each is spawned with `process.execPath` so the node that runs the benchmark runs them too.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stopChild, waitForLine } from "./processes.js";

/** The repository root (bench/..). */
export const REPO = dirname(dirname(fileURLToPath(import.meta.url)));
/** The `pluto` binary. */
export const PLUTO_BIN = join(REPO, "bin", "pluto.js");

/**
 * Environment for Pluto pointing the `openai` provider at the fake model.
 * @param {string} fakeUrl the fake model's base URL (no path)
 */
export function plutoEnv(fakeUrl) {
  return { ...process.env, OPENAI_API_KEY: "x", OPENAI_BASE_URL: `${fakeUrl}/v1`, NO_COLOR: "1" };
}

/**
 * Creates a temp project with one agent scaffolded by `pluto init` and a pluto.yaml.
 * @param {import("./processes.js").Resources} resources
 * @param {{ agent: string; fsync: "always" | "batch" | "never"; systemPrompt?: string; instructions?: string }} options
 *   `systemPrompt` / `instructions` replace the scaffolded SYSTEM_PROMPT.md / INSTRUCTIONS.md when given
 * @returns {string} the project folder (the working directory for `pluto serve`)
 */
export function createProject(resources, options) {
  const project = resources.tempDir("pluto-bench-");
  execFileSync(process.execPath, [PLUTO_BIN, "init", options.agent], { cwd: project, stdio: "ignore" });
  const agentDir = join(project, ".pluto", "agents", options.agent);
  if (options.systemPrompt !== undefined)
    writeFileSync(join(agentDir, "SYSTEM_PROMPT.md"), options.systemPrompt);
  if (options.instructions !== undefined)
    writeFileSync(join(agentDir, "INSTRUCTIONS.md"), options.instructions);
  writeFileSync(
    join(project, ".pluto", "pluto.yaml"),
    `services:\n  session:\n    fsync: ${options.fsync}\n`,
  );
  return project;
}

/**
 * @typedef {object} StartedServer
 * @property {string} url base URL
 * @property {number} pid
 * @property {import("node:child_process").ChildProcess} child
 * @property {() => Promise<boolean>} stop SIGTERM (SIGKILL after 10 s); true when it stopped cleanly
 */

/**
 * Starts `pluto serve --port 0` in `project` and waits for `Pluto listening on URL`.
 * @param {import("./processes.js").Resources} resources
 * @param {{ project: string; fakeUrl: string; nodeArgs?: string[] }} options
 *   `nodeArgs`: flags for node itself (e.g. `--cpu-prof`)
 * @returns {Promise<StartedServer>}
 */
export async function startPluto(resources, options) {
  const child = resources.spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), PLUTO_BIN, "serve", "--port", "0"],
    { cwd: options.project, env: plutoEnv(options.fakeUrl) },
  );
  const match = await waitForLine(child, /^Pluto listening on (http:\/\/\S+)/, 20_000);
  return {
    url: /** @type {string} */ (match[1]),
    pid: /** @type {number} */ (child.pid),
    child,
    stop: () => stopChild(child, 10_000),
  };
}

/**
 * Starts bench/floor-proxy.js in front of the fake model.
 * @param {import("./processes.js").Resources} resources
 * @param {string} fakeUrl
 * @returns {Promise<StartedServer>}
 */
export async function startFloor(resources, fakeUrl) {
  const child = resources.spawn(process.execPath, [
    join(REPO, "bench", "floor-proxy.js"),
    "--upstream",
    fakeUrl,
  ]);
  const match = await waitForLine(child, /^\{"url":"(http:\/\/[^"]+)"\}/, 10_000);
  return {
    url: /** @type {string} */ (match[1]),
    pid: /** @type {number} */ (child.pid),
    child,
    stop: () => stopChild(child, 5_000),
  };
}
