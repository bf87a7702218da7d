import type { AgentDefinition } from "../../agents/agent-definition.js";
import { type ConnectedMcpServers, connectMcpServers } from "./connect-mcp-servers.js";

/** Options for {@link McpPool}. */
export interface McpPoolOptions {
  /** Receives one line per server that failed to start (the agent runs without it). */
  log: (message: string) => void;
  /** Name and version announced to servers. @default { name: "pluto", version: "0" } */
  clientInfo?: { name: string; version: string };
}

/**
 * Keeps each agent's MCP servers connected for the life of the process, so stdio servers start once
 * per agent rather than once per run. A changed server list (agent.yaml edited) reconnects.
 */
export class McpPool {
  readonly #options: McpPoolOptions;
  readonly #connections = new Map<string, { signature: string; connected: Promise<ConnectedMcpServers> }>();

  constructor(options: McpPoolOptions) {
    this.#options = options;
  }

  /** The agent's connected servers (connecting on first use). Never rejects: failures are listed and logged. */
  async connect(agent: AgentDefinition): Promise<ConnectedMcpServers | undefined> {
    if (agent.tools.mcpServers.length === 0) return undefined;
    const signature = JSON.stringify(agent.tools.mcpServers);
    const current = this.#connections.get(agent.name);
    if (current?.signature === signature) return current.connected;
    if (current !== undefined) void current.connected.then((old) => old.close()).catch(() => {});

    const connected = connectMcpServers(agent.tools.mcpServers, {
      clientInfo: this.#options.clientInfo ?? { name: "pluto", version: "0" },
    }).then((result) => {
      for (const failure of result.failures) {
        this.#options.log(
          `MCP server "${failure.server}" of agent "${agent.name}" is unavailable: ${failure.message}`,
        );
      }
      return result;
    });
    this.#connections.set(agent.name, { signature, connected });
    return connected;
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    const all = [...this.#connections.values()];
    this.#connections.clear();
    await Promise.allSettled(all.map(async (entry) => (await entry.connected).close()));
  }
}
