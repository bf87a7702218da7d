import type { AgentDefinition } from "../../agents/agent-definition.js";
import { formatKeyPath, locateYamlPath, parseYamlSource } from "../../config/yaml-source.js";
import type { Diagnostic } from "../../core/diagnostic.js";
import { PlutoError } from "../../core/errors.js";
import { checkMcpServer, type McpServerPolicy } from "../../tools/mcp/mcp-server-policy.js";

/** Options of {@link assertAgentMcpServersAllowed}. */
export interface CheckAgentMcpServersOptions {
  tenant: string;
  /** The loaded agent (from its staging folder, so `cwd` is judged against the folder being written). */
  agent: Pick<AgentDefinition, "name" | "directory" | "tools">;
  /** The agent.yaml text as sent, for the line of each problem. */
  agentYaml: string;
  policy: McpServerPolicy;
}

/**
 * Applies the MCP rules for tenant-trust agents (`checkMcpServer`, docs/security.md) to an agent written
 * through the admin API, so the tenant admin learns at once what the run would refuse: nothing is
 * written when a server is refused.
 * @throws PlutoError `BAD_REQUEST` (400) naming each refused server with its agent.yaml line and fix, with
 *   `details.diagnostics` (files relative to the agent folder).
 */
export async function assertAgentMcpServersAllowed(options: CheckAgentMcpServersOptions): Promise<void> {
  const { agent, tenant, policy } = options;
  const source = parseYamlSource({ file: "agent.yaml", text: options.agentYaml });
  const diagnostics: Diagnostic[] = [];
  for (const [index, server] of agent.tools.mcpServers.entries()) {
    const checked = await checkMcpServer(
      server,
      { tenant, directory: agent.directory, trust: "tenant" },
      policy,
    );
    if (!("problem" in checked)) continue;
    const keyPath = ["spec", "tools", "mcp", index, checked.problem.key];
    const location = locateYamlPath(source, keyPath);
    diagnostics.push({
      file: "agent.yaml",
      line: location.line,
      column: location.column,
      path: formatKeyPath(keyPath),
      message: `${checked.problem.message}.`,
      fix: checked.problem.fix,
    });
  }
  if (diagnostics.length === 0) return;
  throw new PlutoError(
    "BAD_REQUEST",
    `Agent "${agent.name}" is refused; nothing was changed: ${diagnostics
      .map((diagnostic) => `agent.yaml:${diagnostic.line ?? 1}: ${diagnostic.message} ${diagnostic.fix}`)
      .join(" ")}`,
    { details: { agent: agent.name, diagnostics } },
  );
}
