import type { ToolAnnotations } from "../agents/agent-definition.js";
import type { Scope } from "../core/scope.js";

/** What the executor passes to every tool call. */
export interface ToolContext {
  scope: Scope;
  sessionId: string;
  runId: string;
  toolCallId: string;
  /** Aborted when the run is aborted or the tool's timeout passes. */
  signal: AbortSignal;
}

/**
 * A tool's outcome: `content` is the text the model sees; `details` is structured data for clients
 * (DESIGN.md, "Tool results keep two parts"). `isError` reports a failure to the model as a tool error.
 */
export interface ToolOutput {
  content: string;
  details?: unknown;
  isError?: boolean;
}

/**
 * A tool the model may call. `inputSchema` is a JSON Schema object describing the arguments;
 * `execute` receives them parsed (but not yet validated: validate with zod or the server does).
 * Throwing is allowed; the executor turns a thrown error into an `isError` result.
 */
export interface Tool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  /**
   * Milliseconds the executor waits for one call before recording it as timed out and moving on,
   * whether or not the tool honours `context.signal`. `Infinity` for a tool that bounds its own calls
   * (MCP tools: a per-request timeout reset on progress); the run's `max_run_seconds` still applies.
   * @default the agent's `spec.limits.tool_timeout_seconds` (60 s)
   */
  timeoutMs?: number;
  /** What the tool declares about itself (MCP tool annotations), for `spec.tools.policy` rules. */
  annotations?: ToolAnnotations;
  execute(input: unknown, context: ToolContext): Promise<ToolOutput>;
}
