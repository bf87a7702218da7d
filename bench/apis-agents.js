/**
 * A Pluto project with many small agents for bench/apis.js: one folder per agent under
 * `<project>/.pluto/agents/`, each with a short agent.yaml and empty SYSTEM_PROMPT.md and INSTRUCTIONS.md
 * (PAF v1, docs/agent-format.md), all on the fake model's `openai` provider.
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

/**
 * The name of the agent at `index`: `agent-00000` … `agent-99999` (zero-padded so name order is index
 * order).
 * @param {number} index 0-99999
 */
export function agentName(index) {
  return `agent-${String(index).padStart(5, "0")}`;
}

/**
 * The folder for the benchmark's temp dirs: /dev/shm when it exists (tmpfs, so writing 30,000 files
 * and the session logs costs no disk flushes), else the OS temp dir.
 * @returns {string}
 */
export function fastTempRoot() {
  return existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}

/**
 * Writes a project with `count` agents named by {@link agentName}, and a pluto.yaml choosing
 * `fsync: batch` (the default) for session logs.
 * @param {{ count: number; root: string; onDir: (dir: string) => void }} options
 *   `root`: the folder to create the project in (see {@link fastTempRoot});
 *   `onDir`: receives the project folder before anything is written in it, to register it for removal
 * @returns {{ project: string; seconds: number; files: number; bytes: number }} the project folder
 *   (working directory for `pluto serve`), the time taken to write it, and what was written
 */
export function createManyAgentsProject(options) {
  const project = mkdtempSync(join(options.root, "pluto-bench-apis-"));
  options.onDir(project);
  const began = performance.now();
  const agentsDir = join(project, ".pluto", "agents");
  mkdirSync(agentsDir, { recursive: true });
  writeFileSync(join(project, ".pluto", "pluto.yaml"), "services:\n  session:\n    fsync: batch\n");
  let files = 1;
  let bytes = 0;
  for (let index = 0; index < options.count; index++) {
    const name = agentName(index);
    const dir = join(agentsDir, name);
    mkdirSync(dir);
    const yaml = [
      "apiVersion: pluto/v1",
      "kind: Agent",
      "metadata:",
      `  name: ${name}`,
      `  description: Benchmark agent number ${index}.`,
      "spec:",
      "  model: openai/gpt-5-mini",
      "",
    ].join("\n");
    writeFileSync(join(dir, "agent.yaml"), yaml);
    writeFileSync(join(dir, "SYSTEM_PROMPT.md"), "");
    writeFileSync(join(dir, "INSTRUCTIONS.md"), "");
    files += 3;
    bytes += Buffer.byteLength(yaml);
  }
  return { project, seconds: (performance.now() - began) / 1000, files, bytes };
}
