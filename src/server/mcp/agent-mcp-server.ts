import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { AgentDefinition } from "../../agents/agent-definition.js";
import { DEFAULT_TENANT } from "../../core/scope.js";
import type { RunManager } from "../../runs/run-manager.js";
import type { ArtifactStore } from "../../services/artifact/artifact-store.js";
import { registerArtifactResources } from "./artifact-resources.js";
import { registerDecideApprovalTool } from "./decide-approval-tool.js";
import { registerSendMessageTool } from "./send-message-tool.js";

/** Version of the MCP interface Pluto's agent servers offer (reported as `serverInfo.version`). */
export const AGENT_MCP_SERVER_VERSION = "1.0.0";

/** Inputs of {@link createAgentMcpServer}. */
export interface AgentMcpServerOptions {
  agent: AgentDefinition;
  runs: RunManager;
  /** When absent, the server declares no `resources` capability. */
  artifacts?: ArtifactStore;
  /** @default "default" */
  tenant?: string;
}

/**
 * An MCP server (MCP SDK `McpServer`) for one agent: `serverInfo.name` is `pluto-<agent>`, the
 * instructions are the agent's description, the tools are `send_message` (see
 * `send-message-tool.ts`) and `decide_approval` (see `decide-approval-tool.ts`), and the agent's artifacts are resources (see `artifact-resources.ts`).
 * Cheap to build: the routes make one per HTTP request.
 */
export function createAgentMcpServer(options: AgentMcpServerOptions): McpServer {
  const { agent, artifacts } = options;
  const tenant = options.tenant ?? DEFAULT_TENANT;
  const server = new McpServer(
    { name: `pluto-${agent.name}`, title: agent.name, version: AGENT_MCP_SERVER_VERSION },
    {
      ...(artifacts === undefined ? {} : { capabilities: { resources: {} } }),
      ...(agent.description === "" ? {} : { instructions: agent.description }),
    },
  );
  registerSendMessageTool(server, { agent, runs: options.runs, tenant });
  registerDecideApprovalTool(server, { agent, runs: options.runs, tenant });
  if (artifacts !== undefined) {
    registerArtifactResources(server, { scope: { tenant, agent: agent.name }, artifacts });
  }
  return server;
}
