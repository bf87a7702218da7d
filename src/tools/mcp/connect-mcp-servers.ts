import type { Implementation } from "@modelcontextprotocol/sdk/types.js";
import type { McpServerSpec } from "../../agents/agent-definition.js";
import { errorMessage } from "../../core/errors.js";
import type { Tool } from "../tool.js";
import {
  connectMcpServer,
  type McpLog,
  type McpServerConnection,
  type McpTransportKind,
} from "./connect-mcp-server.js";
import type { McpProgressEvent } from "./mcp-remote-tool.js";

/** Options of {@link connectMcpServers}. */
export interface ConnectMcpServersOptions {
  /** Name and version Pluto announces to every server, e.g. `{ name: "pluto", version: "0.1.0" }`. */
  clientInfo: Implementation;
  /** Receives connection events (connected, fallback to SSE, closed, errors). */
  log?: McpLog;
  /** Called for every progress notification of every tool call. */
  onProgress?: (event: McpProgressEvent) => void;
}

/** A server that could not be used; `message` says why and how to fix it. */
export interface McpServerFailure {
  server: string;
  message: string;
}

/** What {@link connectMcpServers} returns. */
export interface ConnectedMcpServers {
  /** Every connected server's tools, named `<server>__<tool>`, in spec order. */
  tools: Tool[];
  /** Servers that failed to start; the others still work. */
  failures: McpServerFailure[];
  /** The connected servers, in spec order. */
  servers: { name: string; transport: McpTransportKind; tools: number }[];
  /** Closes every connected server in parallel. Never throws; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Connects to all `specs` in parallel (see `connectMcpServer` for transports and timeouts). A server
 * that fails (command not found, exits at once, handshake timeout, HTTP error) is listed in `failures`
 * and logged at `error`; the rest are usable. A second spec with an already used name is a failure.
 * Never throws.
 */
export async function connectMcpServers(
  specs: readonly McpServerSpec[],
  options: ConnectMcpServersOptions,
): Promise<ConnectedMcpServers> {
  const names = new Set<string>();
  const settled = await Promise.allSettled(
    specs.map(async (spec): Promise<McpServerConnection> => {
      if (names.has(spec.name)) {
        throw new Error(`MCP server name "${spec.name}" is used twice; give each server its own name`);
      }
      names.add(spec.name);
      return connectMcpServer(spec, options);
    }),
  );
  const connections: McpServerConnection[] = [];
  const failures: McpServerFailure[] = [];
  settled.forEach((outcome, index) => {
    const server = specs[index]?.name ?? String(index);
    if (outcome.status === "fulfilled") {
      connections.push(outcome.value);
    } else {
      const message = errorMessage(outcome.reason);
      failures.push({ server, message });
      options.log?.("error", message, { server });
    }
  });
  let closed: Promise<void> | undefined;
  return {
    tools: connections.flatMap((connection) => connection.tools),
    failures,
    servers: connections.map((connection) => ({
      name: connection.name,
      transport: connection.transport,
      tools: connection.tools.length,
    })),
    close() {
      closed ??= Promise.all(connections.map((connection) => connection.close())).then(() => undefined);
      return closed;
    },
  };
}
