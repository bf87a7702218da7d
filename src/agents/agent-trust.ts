import { lstat } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_TENANT } from "../core/scope.js";

/**
 * How far an agent definition is trusted (docs/security.md): `operator` for files the operator put in the
 * agents folder on disk (today's freedom: any MCP command, any URL, any `cwd`); `tenant` for definitions
 * written through the admin API, every agent of a tenant other than the default one, and every agent that
 * comes from the agent store (`services.agents.backend: postgres`).
 */
export type AgentTrust = "operator" | "tenant";

/**
 * The file the admin API writes into every agent folder it creates or replaces. Its presence makes the
 * folder tenant-trust even in the default tenant's (operator's) agents folder; the admin API cannot write
 * or remove it (its layout allows only agent.yaml, the prompt files and skills/), so only someone with
 * access to the disk can.
 */
export const TENANT_WRITTEN_MARKER = ".written-through-admin-api";

/** Options of {@link agentTrust}. */
export interface AgentTrustOptions {
  /** The tenant the agent belongs to. */
  tenant: string;
  /** Absolute path of the agent folder (checked for {@link TENANT_WRITTEN_MARKER}). */
  directory: string;
  /** Whether definitions come from the agent store (`services.agents.backend: postgres`). */
  fromStore: boolean;
}

/** The trust of one agent; see {@link AgentTrust}. Never throws. */
export async function agentTrust(options: AgentTrustOptions): Promise<AgentTrust> {
  if (options.fromStore || options.tenant !== DEFAULT_TENANT) return "tenant";
  const marker = await lstat(path.join(options.directory, TENANT_WRITTEN_MARKER)).catch(() => undefined);
  return marker === undefined ? "operator" : "tenant";
}
