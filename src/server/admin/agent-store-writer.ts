import { randomBytes } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { loadAgent } from "../../agents/load-agent.js";
import { relativeDiagnostic } from "../../agents/relative-diagnostic.js";
import type { Diagnostic } from "../../core/diagnostic.js";
import { isPlutoError, PlutoError } from "../../core/errors.js";
import { assertSafeName, isSafeName } from "../../core/names.js";
import type { AgentStore } from "../../services/agents/agent-store.js";
import type { McpServerPolicy } from "../../tools/mcp/mcp-server-policy.js";
import type { AgentFiles } from "./agent-files.js";
import { type AgentFolders, AgentFolderWriter, STAGING_PREFIX } from "./agent-folder-writer.js";

/** What {@link AgentStoreWriter.read} returns (the body of `GET /api/v1/admin/agents/{name}`). */
export interface StoredAgentView {
  name: string;
  valid: boolean;
  diagnostics: Diagnostic[];
  files: AgentFiles;
  /** Always empty: the store holds exactly the files the API carries. */
  omitted: string[];
}

/**
 * The admin API's agent writes when definitions live in an {@link AgentStore} (`services.agents.backend:
 * postgres`). Validation is the folder writer's, unchanged: the files are written to a staging folder
 * inside the tenant's local agents folder and loaded with the rules of `pluto validate`
 * (`AgentFolderWriter` on a throw-away folder); only a valid agent is put into the store, then
 * `folders.invalidate` makes this worker fetch it on its next request. Other workers see the change when
 * their copy is next checked (within about a second, see `AgentFolderSync`).
 */
export class AgentStoreWriter {
  readonly #folders: AgentFolders;
  readonly #store: AgentStore;
  readonly #policy: McpServerPolicy | undefined;

  /** @param policy the MCP rules for tenant-written agents (see `AgentFolderWriter`). */
  constructor(folders: AgentFolders, store: AgentStore, policy?: McpServerPolicy) {
    this.#folders = folders;
    this.#store = store;
    this.#policy = policy;
  }

  /**
   * Validates and stores an agent. `create` stores only when the agent does not exist (checked by the store
   * itself, so two workers cannot both create it); `replace` creates or replaces.
   * @returns whether the agent was created, and the load's warnings (paths relative to the agent folder).
   * @throws as `AgentFolderWriter.write` (`INVALID_NAME`, `BAD_REQUEST`, `PAYLOAD_TOO_LARGE`, 422
   *   `AGENT_INVALID`), `BAD_REQUEST` with `details.exists` in `create` mode when the agent exists, and
   *   `BACKEND_UNAVAILABLE` (503) when the store cannot be reached (nothing changed, or read before retrying).
   */
  async write(options: {
    tenant: string;
    name: string;
    files: AgentFiles;
    mode: "create" | "replace";
  }): Promise<{ created: boolean; diagnostics: Diagnostic[] }> {
    const name = assertSafeName("agent", options.name);
    const { diagnostics } = await this.#withStaging(options.tenant, (scratch) =>
      new AgentFolderWriter(
        { directoryOf: () => scratch, invalidate: () => {}, providerNames: this.#folders.providerNames },
        this.#policy,
      ).write({ tenant: options.tenant, name, files: options.files, mode: "replace" }),
    );
    let created: boolean;
    try {
      const stored = await this.#store.put(
        options.tenant,
        name,
        options.files,
        options.mode === "create" ? { expectedVersion: 0 } : {},
      );
      created = stored.created;
    } catch (error) {
      if (!isPlutoError(error, "SESSION_CONFLICT")) throw error;
      throw new PlutoError(
        "BAD_REQUEST",
        `Agent "${name}" already exists. Replace it with PUT /api/v1/admin/agents/${name}, or choose another name.`,
        { details: { agent: name, exists: true } },
      );
    }
    this.#folders.invalidate(options.tenant, name);
    return { created, diagnostics };
  }

  /**
   * Deletes an agent from the store and invalidates this worker's copy.
   * @throws PlutoError `INVALID_NAME`, `AGENT_NOT_FOUND` (404) when it does not exist, `BACKEND_UNAVAILABLE`.
   */
  async remove(tenant: string, name: string): Promise<void> {
    assertSafeName("agent", name);
    if (!(await this.#store.delete(tenant, name))) {
      throw new PlutoError("AGENT_NOT_FOUND", `Agent "${name}" does not exist; nothing to delete.`, {
        details: { agent: name },
      });
    }
    this.#folders.invalidate(tenant, name);
  }

  /**
   * The stored files of an agent with the diagnostics of loading them (in a staging folder, removed after).
   * @throws PlutoError `INVALID_NAME`, `AGENT_NOT_FOUND` (404), `BACKEND_UNAVAILABLE`.
   */
  async read(tenant: string, name: string): Promise<StoredAgentView> {
    assertSafeName("agent", name);
    const stored = await this.#store.get(tenant, name);
    if (stored === undefined) {
      throw new PlutoError(
        "AGENT_NOT_FOUND",
        `Agent "${name}" does not exist. Create it with POST /api/v1/admin/agents.`,
        { details: { agent: name } },
      );
    }
    return this.#withStaging(tenant, async (scratch) => {
      const folder = path.join(scratch, name);
      for (const [file, text] of Object.entries(stored.files)) {
        // The store checks paths on put; a row written by other means must still not leave the folder.
        if (!file.split("/").every(isSafeName)) continue;
        const target = path.join(folder, ...file.split("/"));
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, text, { flag: "wx" });
      }
      const result = await loadAgent(folder, { providerNames: this.#folders.providerNames });
      const diagnostics = result.diagnostics.map((diagnostic) => relativeDiagnostic(diagnostic, folder));
      return { name, valid: result.agent !== undefined, diagnostics, files: stored.files, omitted: [] };
    });
  }

  /** Runs `work` with a fresh `.staging-<random>` folder inside the tenant's agents folder, removed after. */
  async #withStaging<T>(tenant: string, work: (scratch: string) => Promise<T>): Promise<T> {
    const agentsDir = this.#folders.directoryOf(tenant);
    const scratch = path.join(agentsDir, `${STAGING_PREFIX}${randomBytes(8).toString("hex")}`);
    await mkdir(scratch, { recursive: true });
    try {
      return await work(scratch);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }
}
