import type { McpServerSpec } from "../config/mcp-server-spec.js";
import type { AgentSchedule } from "./agent-schedule.js";

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

/** What a tool policy does with a call: run it, refuse it, or wait for a human's decision. */
export type ToolPolicyAction = "allow" | "deny" | "ask";

/**
 * MCP tool annotations (MCP spec 2025-06-18, `ToolAnnotations`: `readOnlyHint`, `destructiveHint`,
 * `idempotentHint`, `openWorldHint`), as the server declares them. Hints only: a server may lie.
 */
export interface ToolAnnotations {
  readOnly?: boolean;
  destructive?: boolean;
  idempotent?: boolean;
  openWorld?: boolean;
}

/** One rule of `spec.tools.policy.rules`; every condition given must hold for the rule to match. */
export interface ToolPolicyRule {
  /** Glob on the tool's full name (`*` any run of characters, `?` one), e.g. `memory__*`. */
  tool: string;
  action: ToolPolicyAction;
  /** Shown to the model (deny) or to the human deciding (ask). */
  reason?: string;
  /** Top-level input fields and the value each must have; a string value is a glob on a string field. */
  when?: Record<string, string | number | boolean>;
  /** Annotation values the tool must declare (an undeclared annotation does not match). */
  annotations?: ToolAnnotations;
}

/** `spec.tools.policy`: ordered rules, first match wins; `default` applies when none matches. */
export interface ToolPolicy {
  /** @default pluto.yaml `policy.default`, else `allow` */
  default?: ToolPolicyAction;
  rules: ToolPolicyRule[];
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
  tools: {
    builtins: BuiltinToolName[];
    mcpServers: AgentMcpServer[];
    /** `spec.tools.policy`; absent means no rules (the configured default applies to every call). */
    policy?: ToolPolicy;
  };
  skills: SkillInfo[];
  /** `spec.schedules`, in file order; absent means none. */
  schedules?: AgentSchedule[];
  memory: {
    /** When false, no memory is loaded into context and memory tools are off. @default true */
    enabled: boolean;
  };
}
