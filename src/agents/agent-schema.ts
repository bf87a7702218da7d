import path from "node:path";
import { z } from "zod";
import { checkMcpServerKinds, mcpServerFields } from "../config/mcp-server-spec.js";
import type { BuiltinToolName } from "./agent-definition.js";
import { scheduleSchema } from "./schedule-schema.js";

/**
 * The zod 4 schema of `agent.yaml`, PAF v1 (DESIGN.md, "Agent format"). Keys are snake_case as written in
 * YAML; every object is strict (unknown keys are errors). `schemas/agent.schema.json` is generated from
 * this schema (`npm run schema`); `load-agent.ts` turns the parsed value into an `AgentDefinition`.
 * Checks that need context (the folder name, the providers declared in pluto.yaml, the files on disk)
 * live in `load-agent.ts`.
 */

/** The `apiVersion` this schema accepts. */
export const AGENT_API_VERSION = "pluto/v1";

/** Names of the built-in tools, in their default order. */
export const BUILTIN_TOOL_NAMES = [
  "memory_write",
  "memory_search",
  "read_skill",
  "artifact_write",
  "artifact_read",
] as const satisfies readonly BuiltinToolName[];

/** Agent names: like `assertSafeName` (letter or digit first, then letters, digits, `.`, `_`, `-`; no `..`). */
export const AGENT_NAME_PATTERN = /^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `provider/model-id`: a provider name, a `/`, then a model id without whitespace (it may contain `/`). */
export const MODEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\/[^\s/]\S*$/;

/** MCP server names: they prefix tool names, which providers limit to `[A-Za-z0-9_-]`, so 1-32 of those. */
export const MCP_SERVER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

const LABEL_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;

/** Default system prompt file, relative to the agent folder. */
export const DEFAULT_SYSTEM_PROMPT_FILE = "SYSTEM_PROMPT.md";
/** Default instructions file, relative to the agent folder. */
export const DEFAULT_INSTRUCTIONS_FILE = "INSTRUCTIONS.md";
/** Default skill folders, relative to the agent folder. */
export const DEFAULT_SKILL_PATHS = ["skills"];

/**
 * Why a relative path written in agent.yaml is not acceptable, or `undefined` when it is: it must be
 * non-empty, relative, free of NUL and backslashes, and must not climb out of the agent folder with `..`.
 */
export function relativePathProblem(value: string): { message: string; fix: string } | undefined {
  if (value.includes("\0")) return { message: "contains a NUL character", fix: "Remove the NUL character." };
  if (value.includes("\\")) {
    return { message: "contains a backslash", fix: "Use forward slashes ('/') to separate folders." };
  }
  if (path.posix.isAbsolute(value) || /^[A-Za-z]:/.test(value)) {
    return {
      message: "is an absolute path",
      fix: 'Use a path relative to the agent folder and keep the file inside it (for example "prompts/system.md").',
    };
  }
  const normalized = path.posix.normalize(value);
  if (normalized === ".." || normalized.startsWith("../")) {
    return {
      message: "points outside the agent folder",
      fix: "Move the file into the agent folder and use a path relative to it, without '..'.",
    };
  }
  return undefined;
}

function relativePath(description: string) {
  return z
    .string()
    .min(1)
    .max(512)
    .superRefine((value, context) => {
      const problem = relativePathProblem(value);
      if (problem !== undefined) {
        context.addIssue({
          code: "custom",
          message: `${JSON.stringify(value)} ${problem.message}`,
          params: problem,
        });
      }
    })
    .meta({ description });
}

const policyAction = z.enum(["allow", "deny", "ask"]);

/** `spec.tools.policy`: ordered rules, first match wins (see docs/approvals.md). */
const toolPolicySchema = z
  .strictObject({
    default: policyAction.optional().meta({
      description:
        "What happens to a call no rule matches: allow, deny or ask. Default: pluto.yaml policy.default, else allow.",
    }),
    rules: z
      .array(
        z
          .strictObject({
            tool: z.string().min(1).max(200).meta({
              description:
                'Glob on the full tool name, MCP tools included ("memory__*", "*write*"); * matches any characters, ? one.',
            }),
            action: policyAction.meta({
              description: "allow runs the call, deny refuses it (the model is told), ask waits for a human.",
            }),
            reason: z
              .string()
              .min(1)
              .max(500)
              .optional()
              .meta({ description: "Why: shown to the model on deny and to the approver on ask." }),
            when: z
              .record(z.string().min(1).max(100), z.union([z.string().max(500), z.number(), z.boolean()]))
              .optional()
              .meta({
                description:
                  "Input fields the call must have, by top-level name; a string value is a glob on a string field.",
              }),
            annotations: z
              .strictObject({
                read_only: z.boolean().optional(),
                destructive: z.boolean().optional(),
                idempotent: z.boolean().optional(),
                open_world: z.boolean().optional(),
              })
              .optional()
              .meta({
                description:
                  "MCP tool annotations the tool must declare (readOnlyHint, destructiveHint, idempotentHint, openWorldHint).",
              }),
          })
          .meta({ description: "One policy rule; every condition given must hold." }),
      )
      .max(256)
      .default([])
      .meta({ description: "Ordered rules; the first that matches decides. Default []." }),
  })
  .prefault({})
  .meta({
    description: "Which tool calls run, are refused, or wait for approval. Default: every call runs.",
  });

/**
 * One entry of `spec.tools.mcp`: a stdio server (`command`), an HTTP server (`url`), or a server of the
 * operator's catalogue (`server`, naming an entry of `mcp_servers` in pluto.yaml) — exactly one of them.
 */
export const mcpServerSchema = z
  .strictObject({
    name: z
      .string()
      .regex(MCP_SERVER_NAME_PATTERN, {
        error: "must be 1-32 letters, digits, '_' or '-', starting with a letter or digit",
      })
      .meta({
        description: "Server name, unique in this agent; prefixes its tool names. 1-32 of [A-Za-z0-9_-].",
      }),
    server: z
      .string()
      .regex(MCP_SERVER_NAME_PATTERN, { error: "must name an entry of mcp_servers" })
      .optional()
      .meta({
        description:
          "Catalogue server: the name of an entry of mcp_servers in pluto.yaml; how agents written through the admin API use local programs (see docs/security.md).",
      }),
    ...mcpServerFields,
  })
  .superRefine(checkMcpServerKinds(["command", "url", "server"]), { when: () => true })
  .meta({
    description:
      "An MCP server: set exactly one of `command` (stdio), `url` (HTTP) or `server` (from pluto.yaml).",
    oneOf: [{ required: ["command"] }, { required: ["url"] }, { required: ["server"] }],
  });

/** Adds an issue for every repeated entry of a string list (by `key`). */
function uniqueBy<T>(key: (item: T) => unknown, what: string) {
  return (items: T[], context: z.core.$RefinementCtx<T[]>) => {
    if (!Array.isArray(items)) return;
    const seen = new Set<unknown>();
    items.forEach((item, index) => {
      const value = key(item);
      if (value === undefined) return;
      if (seen.has(value)) {
        context.addIssue({
          code: "custom",
          path: [index],
          message: `repeats the ${what} ${JSON.stringify(value)}`,
          params: { fix: `Give each entry a different ${what}, or remove the duplicate.` },
        });
      }
      seen.add(value);
    });
  };
}

const limitsSchema = z
  .strictObject({
    max_steps: z
      .int()
      .min(1)
      .max(1000)
      .default(20)
      .meta({ description: "Model steps per run, 1-1000. Default 20." }),
    max_run_seconds: z
      .int()
      .min(1)
      .max(86_400)
      .default(600)
      .meta({ description: "Wall-clock seconds per run, 1-86400. Default 600." }),
    max_tool_result_chars: z.int().min(100).max(10_000_000).default(20_000).meta({
      description:
        "Characters of a tool result the model sees (the rest is saved as an artifact), 100-10000000. Default 20000.",
    }),
    tool_timeout_seconds: z.number().positive().max(86_400).default(60).meta({
      description:
        "Wall-clock seconds one built-in tool call may take before it is recorded as timed out, up to 86400. Default 60. MCP tools use their server's timeout_seconds instead.",
    }),
  })
  .meta({ description: "Run limits." });

/** The `agent.yaml` schema (input: YAML keys; output: the same keys with defaults applied). */
export const agentFileSchema = z
  .strictObject({
    apiVersion: z
      .literal(AGENT_API_VERSION)
      .meta({ description: `Format version; must be "${AGENT_API_VERSION}".` }),
    kind: z.literal("Agent").meta({ description: 'Must be "Agent".' }),
    metadata: z
      .strictObject({
        name: z
          .string()
          .regex(AGENT_NAME_PATTERN, {
            error:
              "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'",
          })
          .meta({ description: "Agent name; must equal the agent's folder name." }),
        description: z.string().max(1024).optional().meta({ description: "One line shown in agent lists." }),
        labels: z
          .record(
            z.string().regex(LABEL_KEY_PATTERN, { error: "label keys are 1-63 of [A-Za-z0-9._/-]" }),
            z.string().max(256),
          )
          .optional()
          .meta({
            description: "Free-form string labels for filtering (values must be strings; quote numbers).",
          }),
      })
      .meta({ description: "Identity of the agent." }),
    spec: z
      .strictObject({
        model: z
          .string()
          .regex(MODEL_PATTERN, { error: 'must be "provider/model-id", for example "openai/gpt-5-mini"' })
          .meta({
            description:
              'Model as "provider/model-id", e.g. "openai/gpt-5-mini"; the provider is openai, anthropic, openrouter, ollama or one declared in pluto.yaml',
          }),
        fallback_models: z
          .array(z.string().regex(MODEL_PATTERN, { error: 'must be "provider/model-id"' }))
          .max(8)
          .optional()
          .meta({
            description:
              "Models tried in order when the main model fails with a retryable error. Default [].",
          }),
        system_prompt: relativePath(
          `Persona file, relative to the agent folder. Default "${DEFAULT_SYSTEM_PROMPT_FILE}".`,
        ).default(DEFAULT_SYSTEM_PROMPT_FILE),
        instructions: relativePath(
          `How-to-work file, relative to the agent folder. Default "${DEFAULT_INSTRUCTIONS_FILE}".`,
        ).default(DEFAULT_INSTRUCTIONS_FILE),
        parameters: z
          .strictObject({
            temperature: z
              .number()
              .min(0)
              .max(2)
              .optional()
              .meta({ description: "Sampling temperature, 0-2." }),
            max_output_tokens: z
              .int()
              .positive()
              .optional()
              .meta({ description: "Most tokens the model may write per step (a positive whole number)." }),
          })
          .optional()
          .meta({ description: "Model call parameters; unset ones use the provider's defaults." }),
        limits: limitsSchema.prefault({}),
        tools: z
          .strictObject({
            builtin: z
              .array(z.enum(BUILTIN_TOOL_NAMES))
              .superRefine(
                uniqueBy((name: string) => name, "tool name"),
                { when: () => true },
              )
              .default([...BUILTIN_TOOL_NAMES])
              .meta({
                description: `Built-in tools to enable. Default all: ${BUILTIN_TOOL_NAMES.join(", ")}.`,
              }),
            mcp: z
              .array(mcpServerSchema)
              .max(64)
              .superRefine(
                uniqueBy((server: { name?: unknown }) => server?.name, "name"),
                { when: () => true },
              )
              .default([])
              .meta({ description: "MCP servers whose tools the agent may call. Default []." }),
            policy: toolPolicySchema,
          })
          .prefault({})
          .meta({ description: "Tools the agent may call." }),
        skills: z
          .strictObject({
            paths: z
              .array(relativePath("A folder of skill folders, relative to the agent folder."))
              .max(32)
              .default([...DEFAULT_SKILL_PATHS])
              .meta({
                description:
                  'Folders holding <skill>/SKILL.md, relative to the agent folder. Default ["skills"].',
              }),
            include: z
              .array(z.string().min(1))
              .optional()
              .meta({ description: "Only these skills (by name) are offered. Default: all discovered." }),
            exclude: z
              .array(z.string().min(1))
              .optional()
              .meta({ description: "Skills (by name) never offered. Default: none." }),
          })
          .prefault({})
          .meta({ description: "Agent Skills discovery (SKILL.md with name and description front matter)." }),
        memory: z
          .strictObject({
            enabled: z
              .boolean()
              .default(true)
              .meta({ description: "Load memory into context and enable the memory tools. Default true." }),
          })
          .prefault({})
          .meta({ description: "Long-term memory." }),
        schedules: z
          .array(scheduleSchema)
          .max(64)
          .superRefine(
            uniqueBy((schedule: { name?: unknown }) => schedule?.name, "name"),
            { when: () => true },
          )
          .default([])
          .meta({
            description: "When the agent runs by itself; each fire becomes a job (docs/jobs.md). Default [].",
          }),
      })
      .meta({ description: "What the agent runs with." }),
  })
  .meta({
    title: "Pluto agent (PAF v1)",
    description: "agent.yaml of a Pluto agent folder. See docs/agent-format.md.",
  });

/** `agent.yaml` as written (defaults not applied). */
export type AgentFileInput = z.input<typeof agentFileSchema>;
/** `agent.yaml` after validation, with defaults applied. */
export type AgentFile = z.output<typeof agentFileSchema>;
