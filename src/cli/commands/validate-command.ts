import { readdir, stat } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { AGENT_FILE_NAME, loadAgent } from "../../agents/load-agent.js";
import { loadConfig } from "../../config/load-config.js";
import { type Diagnostic, formatDiagnostic, isErrorDiagnostic } from "../../core/diagnostic.js";
import { isPlutoError } from "../../core/errors.js";
import type { CliIo, GlobalOptions } from "../cli-context.js";

/**
 * `pluto validate [PATH]`: checks pluto.yaml, then PATH — an agent folder (it has agent.yaml) or a
 * folder of agents (default: the configured agents folder). Prints every problem as
 * `FILE:LINE:COL: message` plus a fix, one `✓ name` per valid agent, and exits 1 if anything is wrong.
 */
export async function validateCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { path: string | undefined },
): Promise<number> {
  let providerNames: string[] = [];
  let mcpServerNames: string[] = [];
  let agentsDir = resolve(io.cwd, ".pluto/agents");
  try {
    const config = await loadConfig({
      cwd: io.cwd,
      env: io.env,
      ...(globals.config ? { file: globals.config } : {}),
    });
    providerNames = Object.keys(config.providers);
    mcpServerNames = Object.keys(config.mcpServers);
    agentsDir = config.agentsDir;
    if (config.file !== undefined) io.stdout.write(`✓ ${relative(io.cwd, config.file) || config.file}\n`);
  } catch (error) {
    if (!isPlutoError(error)) throw error;
    io.stderr.write(`${error.message}\n`);
    return 1;
  }

  const target = options.path === undefined ? agentsDir : resolve(io.cwd, options.path);
  const kind = await stat(target).then(
    (info) => (info.isDirectory() ? "directory" : "file"),
    () => "missing",
  );
  if (kind !== "directory") {
    io.stderr.write(
      `${relative(io.cwd, target) || target}: ${kind === "missing" ? "no such folder" : "not a folder"}.\n  fix: pass an agent folder (with ${AGENT_FILE_NAME}) or a folder of agents; create one with \`pluto init NAME\`.\n`,
    );
    return 1;
  }

  const folders = (await isAgentFolder(target))
    ? [target]
    : (await readdir(target, { withFileTypes: true }))
        .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
        .map((entry) => join(target, entry.name))
        .sort();
  if (folders.length === 0) {
    io.stderr.write(
      `${relative(io.cwd, target) || target}: no agents found.\n  fix: create one with \`pluto init NAME\`.\n`,
    );
    return 1;
  }

  let failed = 0;
  for (const folder of folders) {
    const result = await loadAgent(folder, { providerNames, mcpServerNames });
    const errors = result.diagnostics.filter(isErrorDiagnostic);
    for (const diagnostic of result.diagnostics) io.stderr.write(`${format(diagnostic, io.cwd)}\n`);
    if (errors.length === 0) io.stdout.write(`✓ ${relative(io.cwd, folder) || folder}\n`);
    else failed += 1;
  }
  if (failed > 0) io.stderr.write(`${failed} of ${folders.length} agent(s) have problems.\n`);
  return failed > 0 ? 1 : 0;
}

async function isAgentFolder(folder: string): Promise<boolean> {
  return stat(join(folder, AGENT_FILE_NAME)).then(
    () => true,
    () => false,
  );
}

function format(diagnostic: Diagnostic, cwd: string): string {
  return formatDiagnostic(diagnostic, { relativeTo: cwd });
}
