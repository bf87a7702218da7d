import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { ErrorCode, McpError, type Tool as McpTool } from "@modelcontextprotocol/sdk/types.js";
import type { ToolAnnotations } from "../../agents/agent-definition.js";
import { errorMessage } from "../../core/errors.js";
import { toolError } from "../define-tool.js";
import type { Tool, ToolContext, ToolOutput } from "../tool.js";
import { type McpCallResult, type McpToolDetails, mcpResultToToolOutput } from "./mcp-result.js";
import { mcpToolName } from "./mcp-tool-name.js";

/** A progress notification received while an MCP tool runs. */
export interface McpProgressEvent {
  server: string;
  tool: string;
  toolCallId: string;
  progress: number;
  total?: number;
  message?: string;
}

/** What {@link createMcpRemoteTool} needs. */
export interface McpRemoteToolOptions {
  server: string;
  client: Client;
  tool: McpTool;
  /** Per-request timeout in milliseconds, reset whenever the server reports progress. */
  timeoutMs: number;
  /** Called for every progress notification. */
  onProgress?: (event: McpProgressEvent) => void;
  /** Extra text for connection failures (the stdio server's stderr tail). */
  diagnostics?: () => string;
}

/**
 * Wraps one tool of a connected MCP server as a Pluto {@link Tool} named `<server>__<tool>`
 * (see `mcpToolName`). `execute` sends `tools/call` with the spec's timeout, `resetTimeoutOnProgress`
 * and the context's abort signal. The result becomes a {@link ToolOutput} (`mcpResultToToolOutput`);
 * a timeout, a closed connection or a protocol error becomes an `isError` output saying what happened.
 * When the context's signal is aborted the SDK's error is rethrown for the executor.
 */
export function createMcpRemoteTool(options: McpRemoteToolOptions): Tool {
  const { server, client, tool, timeoutMs } = options;
  return {
    name: mcpToolName(server, tool.name),
    description: tool.description ?? tool.title ?? `Tool ${tool.name} of MCP server ${server}.`,
    inputSchema: tool.inputSchema as Record<string, unknown>,
    // The call's own `timeout_seconds` (reset on progress) bounds it; no second, fixed executor timeout.
    timeoutMs: Number.POSITIVE_INFINITY,
    annotations: toolAnnotations(tool.annotations),
    async execute(input: unknown, context: ToolContext): Promise<ToolOutput> {
      const args = input ?? {};
      if (typeof args !== "object" || Array.isArray(args)) {
        return toolError(`The arguments of ${mcpToolName(server, tool.name)} must be a JSON object.`);
      }
      let progress: McpToolDetails["progress"];
      try {
        const result = (await client.callTool(
          { name: tool.name, arguments: args as Record<string, unknown> },
          undefined,
          {
            timeout: timeoutMs,
            resetTimeoutOnProgress: true,
            signal: context.signal,
            onprogress: (notification) => {
              progress = {
                notifications: (progress?.notifications ?? 0) + 1,
                progress: notification.progress,
                ...(notification.total === undefined ? {} : { total: notification.total }),
                ...(notification.message === undefined ? {} : { message: notification.message }),
              };
              options.onProgress?.({
                server,
                tool: tool.name,
                toolCallId: context.toolCallId,
                progress: notification.progress,
                ...(notification.total === undefined ? {} : { total: notification.total }),
                ...(notification.message === undefined ? {} : { message: notification.message }),
              });
            },
          },
        )) as McpCallResult;
        return mcpResultToToolOutput(result, { server, tool: tool.name, progress });
      } catch (error) {
        if (context.signal.aborted) throw error;
        return describeCallFailure(error, {
          server,
          tool: tool.name,
          timeoutMs,
          diagnostics: options.diagnostics,
        });
      }
    },
  };
}

/** The MCP `ToolAnnotations` hints as Pluto names them; hints the server left out stay undefined. */
function toolAnnotations(hints: McpTool["annotations"]): ToolAnnotations {
  const annotations: ToolAnnotations = {};
  if (typeof hints?.readOnlyHint === "boolean") annotations.readOnly = hints.readOnlyHint;
  if (typeof hints?.destructiveHint === "boolean") annotations.destructive = hints.destructiveHint;
  if (typeof hints?.idempotentHint === "boolean") annotations.idempotent = hints.idempotentHint;
  if (typeof hints?.openWorldHint === "boolean") annotations.openWorld = hints.openWorldHint;
  return annotations;
}

function describeCallFailure(
  error: unknown,
  source: { server: string; tool: string; timeoutMs: number; diagnostics?: (() => string) | undefined },
): ToolOutput {
  const details = { server: source.server, tool: source.tool, code: "TOOL_ERROR" };
  if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
    return toolError(
      `Tool ${source.tool} of MCP server "${source.server}" timed out after ${source.timeoutMs} ms without reporting progress. Try a smaller request; raise the server's timeout_seconds in agent.yaml if the tool needs longer.`,
      { ...details, timeoutMs: source.timeoutMs },
    );
  }
  if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) {
    const tail = source.diagnostics?.() ?? "";
    return toolError(
      `MCP server "${source.server}" is no longer connected, so ${source.tool} could not run.${tail === "" ? "" : ` Server stderr: ${tail}`}`,
      details,
    );
  }
  return toolError(
    `MCP server "${source.server}" failed to run ${source.tool}: ${errorMessage(error)}`,
    details,
  );
}
