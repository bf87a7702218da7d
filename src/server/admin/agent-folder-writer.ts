import { randomBytes } from "node:crypto";
import { lstat, mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { TENANT_WRITTEN_MARKER } from "../../agents/agent-trust.js";
import { loadAgent } from "../../agents/load-agent.js";
import { relativeDiagnostic } from "../../agents/relative-diagnostic.js";
import type { Diagnostic } from "../../core/diagnostic.js";
import { isErrorDiagnostic } from "../../core/diagnostic.js";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName } from "../../core/names.js";
import { KeyedLock } from "../../services/fs/keyed-lock.js";
import { createMcpServerPolicy, type McpServerPolicy } from "../../tools/mcp/mcp-server-policy.js";
import { type AgentFiles, checkAgentFiles } from "./agent-files.js";
import { assertAgentMcpServersAllowed } from "./check-agent-mcp-servers.js";

/** The agents folders the admin API manages (`TenantAgents` provides all three). */
export interface AgentFolders {
  /** The folder holding `tenant`'s agents. @throws PlutoError `INVALID_NAME` for an unsafe tenant. */
  directoryOf(tenant: string): string;
  /** Drops cached copies of an agent so the next request reloads it from disk. */
  invalidate(tenant: string, name?: string): void;
  /** Provider names declared in pluto.yaml, for validating `spec.model`. */
  readonly providerNames: readonly string[];
}

/** Options for {@link AgentFolderWriter.write}. */
export interface WriteAgentOptions {
  tenant: string;
  name: string;
  files: AgentFiles;
  /** `create` refuses an existing agent; `replace` creates or replaces. */
  mode: "create" | "replace";
}

/** Prefix of the temporary folders inside an agents folder (never a valid agent name, so never listed). */
export const STAGING_PREFIX = ".staging-";

/**
 * Writes, replaces and deletes agent folders for the admin API, validating with the rules of
 * `pluto validate` (`loadAgent`) before anything becomes visible. Work happens in
 * `<agents folder>/.staging-<random>/` (the same filesystem as the live folder, so renames are atomic;
 * the leading dot keeps it out of agent listings) and is removed afterwards, whatever happens.
 * Changes to one agent are serialised within this process; across processes the last writer wins.
 * Every folder it writes holds `TENANT_WRITTEN_MARKER`, so runs treat it as tenant-trust
 * (docs/security.md), and its MCP servers must pass the tenant rules (`checkMcpServer`) to be written.
 */
export class AgentFolderWriter {
  readonly #folders: AgentFolders;
  readonly #policy: McpServerPolicy;
  readonly #lock = new KeyedLock();

  /** @param policy the MCP rules for tenant-written agents. @default `createMcpServerPolicy()` (none allowed) */
  constructor(folders: AgentFolders, policy: McpServerPolicy = createMcpServerPolicy()) {
    this.#folders = folders;
    this.#policy = policy;
  }

  /**
   * Checks the files (`checkAgentFiles`), writes them to a staging folder named like the agent, loads it,
   * then swaps it in: the live folder is renamed aside, the new one renamed in, the old one removed,
   * and the cached agent invalidated so the next request uses the new definition.
   * @returns whether the agent existed before, and the load's warnings (paths relative to the agent folder).
   * @throws PlutoError `INVALID_NAME`, `BAD_REQUEST` and `PAYLOAD_TOO_LARGE` from the checks; `BAD_REQUEST`
   *   with `details.diagnostics` for an MCP server tenant-written agents may not use (a `command`, a `cwd`
   *   outside the folder, a private URL, an unknown catalogue name);
   *   `BAD_REQUEST` with `details.exists` in `create` mode when the agent exists; `AGENT_INVALID` (422)
   *   with `details.diagnostics` (paths relative to the agent folder) when the agent does not load.
   */
  async write(options: WriteAgentOptions): Promise<{ created: boolean; diagnostics: Diagnostic[] }> {
    const name = assertSafeName("agent", options.name);
    checkAgentFiles(options.files);
    const agentsDir = this.#folders.directoryOf(options.tenant);
    const live = path.join(agentsDir, name);
    return this.#lock.run(live, async () => {
      const existed = await exists(live);
      if (existed && options.mode === "create") {
        throw new PlutoError(
          "BAD_REQUEST",
          `Agent "${name}" already exists. Replace it with PUT /api/v1/admin/agents/${name}, or choose another name.`,
          { details: { agent: name, exists: true } },
        );
      }
      await mkdir(agentsDir, { recursive: true });
      const staging = path.join(agentsDir, `${STAGING_PREFIX}${randomBytes(8).toString("hex")}`);
      const candidate = path.join(staging, name);
      try {
        await mkdir(candidate, { recursive: true });
        for (const [file, text] of Object.entries(options.files)) {
          const target = path.join(candidate, ...file.split("/"));
          await mkdir(path.dirname(target), { recursive: true });
          await writeFile(target, text, { flag: "wx" });
        }
        await writeFile(
          path.join(candidate, TENANT_WRITTEN_MARKER),
          `${JSON.stringify({ tenant: options.tenant })}\n`,
        );
        const result = await loadAgent(candidate, { providerNames: this.#folders.providerNames });
        const diagnostics = result.diagnostics.map((diagnostic) => relativeDiagnostic(diagnostic, candidate));
        if (result.agent === undefined || diagnostics.some(isErrorDiagnostic)) {
          const errors = diagnostics.filter(isErrorDiagnostic);
          throw new PlutoError(
            "AGENT_INVALID",
            `Agent "${name}" is invalid (${errors.length} problem${errors.length === 1 ? "" : "s"}); nothing was changed. Fix these and retry: ${errors
              .slice(0, 5)
              .map(
                (diagnostic) =>
                  `${diagnostic.file}${diagnostic.line === undefined ? "" : `:${diagnostic.line}`}: ${diagnostic.message}`,
              )
              .join(" ")}`,
            { details: { agent: name, diagnostics } },
          );
        }
        await assertAgentMcpServersAllowed({
          tenant: options.tenant,
          agent: result.agent,
          agentYaml: options.files["agent.yaml"] ?? "",
          policy: this.#policy,
        });
        const aside = path.join(staging, `${name}.old`);
        if (existed) await rename(live, aside);
        try {
          await rename(candidate, live);
        } catch (error) {
          if (existed) await rename(aside, live).catch(() => {});
          throw error;
        }
        this.#folders.invalidate(options.tenant, name);
        return { created: !existed, diagnostics };
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    });
  }

  /**
   * Removes an agent folder (renamed aside first, so the agent disappears at once) and invalidates it.
   * @throws PlutoError `INVALID_NAME` for an unsafe name, `AGENT_NOT_FOUND` (404) when it does not exist.
   */
  async remove(tenant: string, name: string): Promise<void> {
    assertSafeName("agent", name);
    const agentsDir = this.#folders.directoryOf(tenant);
    const live = path.join(agentsDir, name);
    await this.#lock.run(live, async () => {
      if (!(await exists(live))) {
        throw new PlutoError("AGENT_NOT_FOUND", `Agent "${name}" does not exist; nothing to delete.`, {
          details: { agent: name },
        });
      }
      const staging = path.join(agentsDir, `${STAGING_PREFIX}${randomBytes(8).toString("hex")}`);
      try {
        await mkdir(staging);
        await rename(live, path.join(staging, name));
        this.#folders.invalidate(tenant, name);
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    });
  }
}

async function exists(file: string): Promise<boolean> {
  return (await lstat(file).catch(() => undefined)) !== undefined;
}
