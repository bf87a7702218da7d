import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName } from "../../core/names.js";
import { DEFAULT_TENANT, scopeOf } from "../../core/scope.js";
import { exportAgent } from "../../services/bundle/export-agent.js";
import { importBundle } from "../../services/bundle/import-bundle.js";
import { type CliIo, type GlobalOptions, openRuntime } from "../cli-context.js";
import { createProgress, formatBytes } from "../progress.js";

/**
 * `pluto export AGENT --out FILE`: writes a portable bundle (agent definition, sessions as JSONL,
 * memory as Markdown, artifacts with metadata, a manifest with checksums; docs/export-import.md)
 * from whatever backends pluto.yaml names. Shows progress on a terminal.
 */
export async function exportCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { agent: string; out: string; tenant?: string },
): Promise<number> {
  const scope = scopeOf(options.agent, options.tenant ?? DEFAULT_TENANT);
  const runtime = await openRuntime(io, globals);
  try {
    const agentDirectory = join(
      runtime.agents.directoryOf(scope.tenant),
      assertSafeName("agent", scope.agent),
    );
    const exists = await stat(join(agentDirectory, "agent.yaml")).then(
      () => true,
      () => false,
    );
    if (!exists) {
      throw new PlutoError(
        "AGENT_NOT_FOUND",
        `No agent "${scope.agent}" in ${agentDirectory}. List agents with \`pluto validate\`.`,
      );
    }
    const progress = createProgress(io.stderr);
    const out = resolve(io.cwd, options.out);
    const result = await exportAgent({
      scope,
      agentDirectory,
      sessions: runtime.sessions,
      memory: runtime.memory,
      artifacts: runtime.artifacts,
      out,
      onProgress: (report) =>
        progress.update(report.phase, report.done, report.total, formatBytes(report.bytes)),
    });
    progress.done();
    for (const skipped of result.skipped) io.stderr.write(`skipped ${skipped.path}: ${skipped.reason}\n`);
    io.stdout.write(
      `Exported ${scope.agent} to ${options.out}: ${result.manifest.entries.length} entries, ${formatBytes(result.bytes)}.\n`,
    );
    return 0;
  } finally {
    await runtime.close();
  }
}

/**
 * `pluto import FILE`: checks the whole bundle (manifest, checksums, paths) before writing anything,
 * then loads it into the backends pluto.yaml names, under `--tenant` (default: the default tenant).
 */
export async function importCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { file: string; tenant?: string; overwrite: boolean },
): Promise<number> {
  const tenant = assertSafeName("tenant", options.tenant ?? DEFAULT_TENANT);
  const runtime = await openRuntime(io, globals);
  try {
    const progress = createProgress(io.stderr);
    const result = await importBundle({
      file: resolve(io.cwd, options.file),
      tenant,
      agentsDir: runtime.agents.directoryOf(tenant),
      sessions: runtime.sessions,
      memory: runtime.memory,
      artifacts: runtime.artifacts,
      overwrite: options.overwrite,
      onProgress: (report) =>
        progress.update(report.phase, report.done, report.total, formatBytes(report.bytes)),
    });
    progress.done();
    runtime.agents.invalidate(tenant, result.scope.agent);
    io.stdout.write(
      `Imported ${result.scope.agent} (tenant ${result.scope.tenant}): ${result.sessions} sessions (${result.events} events), ${result.memoryDocuments} memory documents, ${result.artifacts} artifacts, ${formatBytes(result.bytes)}.\n`,
    );
    return 0;
  } finally {
    await runtime.close();
  }
}
