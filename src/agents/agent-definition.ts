/**
 * A loaded, validated agent (PAF v1, DESIGN.md "Agent format"): `agent.yaml` plus its Markdown files
 * and skills index, resolved into the camelCase shape the executor uses. Produced by `load-agent.ts`.
 */

/** An MCP server started over stdio (`command`, `args`, `env`, `cwd`). */
export interface McpStdioServerSpec {
  name: string;
  transport: "stdio";
  command: string;
  args: string[];
  env: Record<string, string>;
  /** Absolute working directory (relative paths in agent.yaml resolve against the agent folder). */
  cwd?: string;
  /** Per-request timeout in milliseconds; reset on progress notifications. */
  timeoutMs: number;
}

/** An MCP server over Streamable HTTP, falling back to the legacy SSE transport. */
export interface McpHttpServerSpec {
  name: string;
  transport: "http";
  url: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

export type McpServerSpec = McpStdioServerSpec | McpHttpServerSpec;

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
  tools: { builtins: BuiltinToolName[]; mcpServers: McpServerSpec[] };
  skills: SkillInfo[];
  memory: {
    /** When false, no memory is loaded into context and memory tools are off. @default true */
    enabled: boolean;
  };
}
