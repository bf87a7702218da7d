import { realpath } from "node:fs/promises";
import path from "node:path";
import type { AgentMcpServer, McpServerSpec } from "../../agents/agent-definition.js";
import type { AgentTrust } from "../../agents/agent-trust.js";
import type { McpCatalogServer, PlutoConfig } from "../../config/pluto-config.js";
import { createNetworkPolicy, type NetworkPolicy } from "./network-policy.js";

/** What decides whether an agent's MCP server may be used (docs/security.md, "MCP servers"). */
export interface McpServerPolicy {
  /** The operator's catalogue (`mcp_servers` in pluto.yaml), by name. */
  catalog: Readonly<Record<string, McpCatalogServer>>;
  /** Tenants whose tenant-trust agents may start their own programs (`security.tenants.<t>.allow_mcp_commands`). */
  commandTenants: ReadonlySet<string>;
  /** Addresses tenant-trust URL servers may reach. */
  network: NetworkPolicy;
}

/** Who is asking: the agent's tenant, folder and trust. */
export interface McpServerRequester {
  tenant: string;
  /** Absolute path of the agent folder. */
  directory: string;
  trust: AgentTrust;
}

/** Why a server may not be used: the agent.yaml key at fault, the reason and how to fix it. */
export interface McpServerProblem {
  key: "server" | "command" | "cwd" | "url";
  message: string;
  fix: string;
}

/**
 * A usable server: the resolved spec, and for tenant-trust URL servers the policy every connection must
 * pass at connect time (`createGuardedFetch`).
 */
export interface AllowedMcpServer {
  spec: McpServerSpec;
  network?: NetworkPolicy;
}

/**
 * Resolves an agent's MCP server entry and decides whether it may be used; the one rule the MCP pool
 * applies before any process is spawned or connection opened, and the admin API applies at write time.
 * - A catalogue reference resolves to the operator's entry (operator-trust: no further checks), renamed as
 *   the agent names it; unknown names, and tenants the entry's `tenants` list leaves out, are problems.
 * - Operator-trust inline servers are used as written.
 * - Tenant-trust inline `command` is refused unless the tenant has `allow_mcp_commands`; its `cwd` must
 *   resolve (through symbolic links) inside the agent folder.
 * - Tenant-trust `url` is refused when its host is refused by name or as an IP literal; otherwise it is
 *   allowed with `network` set, so its resolved addresses are checked when connecting.
 * Never throws.
 */
export async function checkMcpServer(
  server: AgentMcpServer,
  requester: McpServerRequester,
  policy: McpServerPolicy,
): Promise<AllowedMcpServer | { problem: McpServerProblem }> {
  if (server.transport === "catalog") {
    const entry = policy.catalog[server.server];
    const names = Object.keys(policy.catalog);
    if (entry === undefined) {
      return problem(
        "server",
        `MCP server "${server.name}" names "${server.server}", which is not in mcp_servers of pluto.yaml (${names.length === 0 ? "the catalogue is empty" : `it has ${names.join(", ")}`})`,
        names.length === 0
          ? "Ask the operator to add the server under mcp_servers in pluto.yaml."
          : `Use one of ${names.join(", ")}, or ask the operator to add "${server.server}" under mcp_servers in pluto.yaml.`,
      );
    }
    if (entry.tenants !== undefined && !entry.tenants.includes(requester.tenant)) {
      return problem(
        "server",
        `MCP server "${server.server}" of pluto.yaml is not offered to tenant "${requester.tenant}"`,
        `Ask the operator to add "${requester.tenant}" to mcp_servers.${server.server}.tenants in pluto.yaml.`,
      );
    }
    const { tenants: _tenants, ...spec } = entry;
    return { spec: { ...spec, name: server.name } };
  }
  if (requester.trust === "operator") return { spec: server };
  if (server.transport === "stdio") {
    if (!policy.commandTenants.has(requester.tenant)) {
      return problem(
        "command",
        `MCP server "${server.name}" starts a program ("command"), which agents written through the API may not do`,
        `Use a server from the operator's catalogue instead: { name: ${server.name}, server: <name> } with a name from mcp_servers in pluto.yaml${catalogNames(policy)}; or ask the operator to set security.tenants.${requester.tenant}.allow_mcp_commands: true.`,
      );
    }
    if (server.cwd !== undefined && !(await isInside(requester.directory, server.cwd))) {
      return problem(
        "cwd",
        `MCP server "${server.name}" has a cwd outside the agent folder`,
        'Use a folder inside the agent folder, relative to it (for example "cwd: skills/tools"), or remove "cwd".',
      );
    }
    return { spec: server };
  }
  const refusal = policy.network.hostRefusal(hostOf(server.url));
  if (refusal !== undefined) {
    return problem(
      "url",
      `MCP server "${server.name}" may not be reached: ${refusal}`,
      "Use a public URL, or a server from the operator's catalogue ({ name, server }).",
    );
  }
  return { spec: server, network: policy.network };
}

function problem(key: McpServerProblem["key"], message: string, fix: string): { problem: McpServerProblem } {
  return { problem: { key, message, fix } };
}

function catalogNames(policy: McpServerPolicy): string {
  const names = Object.keys(policy.catalog);
  return names.length === 0 ? "" : ` (${names.join(", ")})`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

/** Whether `target` (absolute) lies in `folder` once both are resolved through symbolic links. */
async function isInside(folder: string, target: string): Promise<boolean> {
  const realFolder = await realpath(folder).catch(() => path.resolve(folder));
  // A missing cwd cannot be resolved; judge its nearest existing parent so links there still count.
  let existing = path.resolve(folder, target);
  let rest = "";
  for (;;) {
    const real = await realpath(existing).catch(() => undefined);
    if (real !== undefined) {
      const resolved = path.join(real, rest);
      return resolved === realFolder || resolved.startsWith(`${realFolder}${path.sep}`);
    }
    const parent = path.dirname(existing);
    if (parent === existing) return false;
    rest = path.join(path.basename(existing), rest);
    existing = parent;
  }
}

/**
 * The policy from pluto.yaml's `mcp_servers` and `security` (docs/security.md). Without arguments: an
 * empty catalogue, no allowances and the default network rules — the safe default of the admin API and
 * the MCP pool.
 */
export function createMcpServerPolicy(
  config: Pick<PlutoConfig, "mcpServers" | "security"> = {
    mcpServers: {},
    security: { network: { allow: [], deny: [] }, tenants: {} },
  },
): McpServerPolicy {
  return {
    catalog: config.mcpServers,
    commandTenants: new Set(
      Object.entries(config.security.tenants)
        .filter(([, allowance]) => allowance.allowMcpCommands)
        .map(([tenant]) => tenant),
    ),
    network: createNetworkPolicy(config.security.network),
  };
}
