import type { AgentDefinition, BuiltinToolName } from "../agents/agent-definition.js";
import type { Scope } from "../core/scope.js";
import type { ModelToolSpec } from "../llm/model-step.js";
import type { ArtifactStore } from "../services/artifact/artifact-store.js";
import type { MemoryStore } from "../services/memory/memory-store.js";
import { createArtifactReadTool } from "./builtin/artifact-read-tool.js";
import { createArtifactWriteTool } from "./builtin/artifact-write-tool.js";
import { createMemorySearchTool } from "./builtin/memory-search-tool.js";
import { createMemoryWriteTool } from "./builtin/memory-write-tool.js";
import { createReadSkillTool } from "./builtin/read-skill-tool.js";
import type { Tool } from "./tool.js";

/** Inputs of {@link createToolset}. */
export interface ToolsetOptions {
  agent: AgentDefinition;
  /** The scope every built-in reads and writes (pinned, whatever the call's context says). */
  scope: Scope;
  memory: MemoryStore;
  artifacts: ArtifactStore;
  /** Tools of the agent's connected MCP servers (`connectMcpServers(...)` or `McpPool.connect(...)`). */
  mcp?: { tools: readonly Tool[] };
  /** Clock for `memory_write`'s day. @default () => new Date() */
  now?: () => Date;
}

/** Something about the toolset worth telling the operator: a dropped tool and why. */
export interface ToolsetDiagnostic {
  /** `collision`: two tools share a name, the later one was dropped; `omitted`: a built-in was left out. */
  kind: "collision" | "omitted";
  tool: string;
  message: string;
}

/** The tools one run may call. */
export interface Toolset {
  /** By name, for the executor's lookups. */
  tools: Map<string, Tool>;
  /** The same tools as the model sees them, built-ins first (in `agent.tools.builtins` order), then MCP tools. */
  specs: ModelToolSpec[];
  diagnostics: ToolsetDiagnostic[];
}

/**
 * Builds an agent's toolset: the built-ins listed in `agent.tools.builtins` plus the MCP tools.
 * Memory tools are left out when `agent.memory.enabled` is false, `read_skill` when the agent has no
 * skills; both are reported as `omitted` diagnostics. When two tools share a name the first one wins
 * (built-ins before MCP tools) and the other is reported as a `collision`. `artifact_read` returns at
 * most `agent.limits.maxToolResultChars` characters per call so its own output is never truncated.
 */
export function createToolset(options: ToolsetOptions): Toolset {
  const { agent, scope, memory, artifacts } = options;
  const diagnostics: ToolsetDiagnostic[] = [];
  const builtins: Tool[] = [];
  const factories: Record<BuiltinToolName, () => Tool | string> = {
    memory_write: () =>
      agent.memory.enabled
        ? createMemoryWriteTool({ memory, scope, ...(options.now === undefined ? {} : { now: options.now }) })
        : "memory is disabled for this agent (spec.memory.enabled: false)",
    memory_search: () =>
      agent.memory.enabled
        ? createMemorySearchTool({ memory, scope })
        : "memory is disabled for this agent (spec.memory.enabled: false)",
    read_skill: () =>
      agent.skills.length > 0 ? createReadSkillTool({ skills: agent.skills }) : "the agent has no skills",
    artifact_write: () => createArtifactWriteTool({ artifacts, scope }),
    artifact_read: () =>
      createArtifactReadTool({ artifacts, scope, maxChars: agent.limits.maxToolResultChars }),
  };
  for (const name of new Set(agent.tools.builtins)) {
    const built = factories[name]();
    if (typeof built === "string")
      diagnostics.push({ kind: "omitted", tool: name, message: `${name} is off: ${built}.` });
    else builtins.push(built);
  }

  const tools = new Map<string, Tool>();
  for (const tool of [...builtins, ...(options.mcp?.tools ?? [])]) {
    if (tools.has(tool.name)) {
      diagnostics.push({
        kind: "collision",
        tool: tool.name,
        message: `Two tools are named "${tool.name}"; the first is kept and the other dropped. Rename one of the MCP servers in agent.yaml so their tool names differ.`,
      });
      continue;
    }
    tools.set(tool.name, tool);
  }
  const specs: ModelToolSpec[] = [...tools.values()].map((tool) => ({
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema,
  }));
  return { tools, specs, diagnostics };
}
