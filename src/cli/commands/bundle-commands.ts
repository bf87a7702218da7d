import { mkdir, mkdtemp, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName } from "../../core/names.js";
import { DEFAULT_TENANT, scopeOf } from "../../core/scope.js";
import type { Runtime } from "../../runtime.js";
import type { AgentStore } from "../../services/agents/agent-store.js";
import { exportAgent } from "../../services/bundle/export-agent.js";
import { importBundle } from "../../services/bundle/import-bundle.js";
import { resolveInside } from "../../services/fs/scope-directory.js";
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
    const agentDirectory = await agentFolderFor(runtime, scope.tenant, assertSafeName("agent", scope.agent));
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
      ...(runtime.agentStore === undefined
        ? {}
        : { agentDefinitions: storedDefinitions(runtime.agentStore) }),
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

/**
 * The agent's folder to export: the agents folder itself, or, with `services.agents: postgres`, a fresh
 * temporary copy of the stored files (so the export never reads a stale cache).
 */
async function agentFolderFor(runtime: Runtime, tenant: string, name: string): Promise<string> {
  if (runtime.agentStore === undefined) return join(runtime.agents.directoryOf(tenant), name);
  const folder = join(await mkdtemp(join(tmpdir(), "pluto-export-agent-")), name);
  const stored = await runtime.agentStore.get(tenant, name);
  for (const [path, text] of Object.entries(stored?.files ?? {})) {
    const target = resolveInside(folder, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
  }
  return folder;
}

/** Import target for agent definitions kept in the agent store. */
function storedDefinitions(store: AgentStore) {
  return {
    exists: async (tenant: string, name: string) => (await store.version(tenant, name)) !== undefined,
    write: async (tenant: string, name: string, files: Record<string, string>) => {
      await store.put(tenant, name, files);
    },
  };
}
