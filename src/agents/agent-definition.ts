import type { McpServerSpec } from "../config/mcp-server-spec.js";

/**
 * A loaded, validated agent (PAF v1, DESIGN.md "Agent format"): `agent.yaml` plus its Markdown files
 * and skills index, resolved into the camelCase shape the executor uses. Produced by `load-agent.ts`.
 */

export type { McpHttpServerSpec, McpServerSpec, McpStdioServerSpec } from "../config/mcp-server-spec.js";

/**
 * A server of the operator's catalogue (`mcp_servers` in pluto.yaml), referenced by an agent as
 * `{ name, server }`; the MCP pool resolves it when a run connects (see docs/security.md).
 */
export interface McpCatalogServerRef {
  /** The name in this agent (prefixes the tool names). */
  name: string;
  transport: "catalog";
  /** The catalogue entry's name. */
  server: string;
}

/** One entry of an agent's `spec.tools.mcp`, resolved. */
export type AgentMcpServer = McpServerSpec | McpCatalogServerRef;

/** Names of the built-in tools. */
export type BuiltinToolName =
  | "memory_write"
  | "memory_search"
  | "read_skill"
  | "artifact_write"
  | "artifact_read";

/** One discovered skill (Agent Skills front matter); the body is read on demand by `read_skill`. */
export interface SkillInfo {
  name: string;
  description: string;
  /** Absolute path of the SKILL.md file. */
  path: string;
}

/** Run limits from `spec.limits`. */
export interface AgentLimits {
  /** Model steps per run. @default 20 */
  maxSteps: number;
  /** Wall-clock seconds per run. @default 600 */
  maxRunSeconds: number;
  /** Characters of a tool result the model sees; the rest is saved as an artifact. @default 20000 */
  maxToolResultChars: number;
  /**
   * Wall-clock seconds the executor waits for one call of a tool without a timeout of its own (the
   * built-ins) before recording it as timed out. @default 60
   */
  toolTimeoutSeconds: number;
}

/** The resolved agent. */
export interface AgentDefinition {
  name: string;
  description: string;
  labels: Record<string, string>;
  /** Absolute path of the agent folder. */
  directory: string;
  /** `provider/model-id`. */
  model: string;
  fallbackModels: string[];
  /** Contents of the system prompt file (may be empty). */
  systemPrompt: string;
  /** Contents of the instructions file (may be empty). */
  instructions: string;
  parameters: { temperature?: number; maxOutputTokens?: number };
  limits: AgentLimits;
  tools: { builtins: BuiltinToolName[]; mcpServers: AgentMcpServer[] };
  skills: SkillInfo[];
  memory: {
    /** When false, no memory is loaded into context and memory tools are off. @default true */
    enabled: boolean;
  };
}
