import { toMcpServerSpec } from "../config/mcp-server-spec.js";
import type {
  AgentDefinition,
  AgentMcpServer,
  SkillInfo,
  ToolPolicy,
  ToolPolicyRule,
} from "./agent-definition.js";
import type { AgentSchedule, ScheduleTrigger } from "./agent-schedule.js";
import type { AgentFile } from "./agent-schema.js";
import { parseEvery } from "./schedule-times.js";

/** Options for {@link resolveAgent}. */
export interface ResolveAgentOptions {
  folder: string;
  file: AgentFile;
  systemPrompt: string;
  instructions: string;
  skills: SkillInfo[];
}

/**
 * Turns a validated agent.yaml (snake_case, defaults applied) plus the prompt texts and skills into the
 * camelCase {@link AgentDefinition}; MCP `timeout_seconds` become `timeoutMs`, a relative `cwd`
 * resolves against the agent folder, and `server` entries stay references into pluto.yaml's catalogue.
 */
export function resolveAgent(options: ResolveAgentOptions): AgentDefinition {
  const { folder, file } = options;
  const { spec, metadata } = file;
  const parameters: AgentDefinition["parameters"] = {};
  if (spec.parameters?.temperature !== undefined) parameters.temperature = spec.parameters.temperature;
  if (spec.parameters?.max_output_tokens !== undefined)
    parameters.maxOutputTokens = spec.parameters.max_output_tokens;
  const mcpServers = spec.tools.mcp.map(
    (server): AgentMcpServer =>
      server.server === undefined
        ? toMcpServerSpec(server.name, server, folder)
        : { name: server.name, transport: "catalog", server: server.server },
  );
  return {
    name: metadata.name,
    description: metadata.description ?? "",
    labels: { ...metadata.labels },
    directory: folder,
    model: spec.model,
    fallbackModels: [...(spec.fallback_models ?? [])],
    systemPrompt: options.systemPrompt,
    instructions: options.instructions,
    parameters,
    limits: {
      maxSteps: spec.limits.max_steps,
      maxRunSeconds: spec.limits.max_run_seconds,
      maxToolResultChars: spec.limits.max_tool_result_chars,
      toolTimeoutSeconds: spec.limits.tool_timeout_seconds,
    },
    tools: { builtins: [...spec.tools.builtin], mcpServers, policy: resolvePolicy(spec.tools.policy) },
    skills: options.skills,
    schedules: spec.schedules.map(resolveSchedule),
    memory: { enabled: spec.memory.enabled },
  };
}

function resolvePolicy(policy: AgentFile["spec"]["tools"]["policy"]): ToolPolicy {
  const rules = policy.rules.map((rule): ToolPolicyRule => {
    const resolved: ToolPolicyRule = { tool: rule.tool, action: rule.action };
    if (rule.reason !== undefined) resolved.reason = rule.reason;
    if (rule.when !== undefined) resolved.when = { ...rule.when };
    if (rule.annotations !== undefined) {
      const { read_only, destructive, idempotent, open_world } = rule.annotations;
      resolved.annotations = {
        ...(read_only === undefined ? {} : { readOnly: read_only }),
        ...(destructive === undefined ? {} : { destructive }),
        ...(idempotent === undefined ? {} : { idempotent }),
        ...(open_world === undefined ? {} : { openWorld: open_world }),
      };
    }
    return resolved;
  });
  return policy.default === undefined ? { rules } : { default: policy.default, rules };
}

function resolveSchedule(schedule: AgentFile["spec"]["schedules"][number]): AgentSchedule {
  const trigger: ScheduleTrigger =
    schedule.cron !== undefined
      ? { kind: "cron", cron: schedule.cron, timezone: schedule.timezone ?? "UTC" }
      : schedule.every !== undefined
        ? { kind: "every", every: schedule.every, everyMs: parseEvery(schedule.every) ?? 0 }
        : { kind: "at", at: schedule.at ?? "" };
  return {
    name: schedule.name,
    trigger,
    input: schedule.input,
    ...(schedule.session === "new" ? {} : { sessionId: schedule.session }),
    catchUp: schedule.catch_up,
  };
}
