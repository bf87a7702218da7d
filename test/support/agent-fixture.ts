import os from "node:os";
import path from "node:path";
import type { AgentDefinition, AgentLimits } from "../../src/agents/agent-definition.js";

/** Overrides for {@link agentFixture}; `limits` and `memory` merge into the defaults field by field. */
export type AgentFixtureOverrides = Partial<Omit<AgentDefinition, "limits" | "memory">> & {
  limits?: Partial<AgentLimits>;
  memory?: Partial<AgentDefinition["memory"]>;
};

/**
 * A valid, fully resolved {@link AgentDefinition} for tests: agent `test-agent`, model
 * `scripted/test-model`, the documented default limits (20 steps, 600 s, 20000 chars, 60 s per tool call), no tools, no
 * skills, memory on. `directory` points below the OS temp dir and is never created.
 */
export function agentFixture(overrides: AgentFixtureOverrides = {}): AgentDefinition {
  const name = overrides.name ?? "test-agent";
  const { limits, memory, ...rest } = overrides;
  return {
    name,
    description: `Test agent ${name}`,
    labels: {},
    directory: path.join(os.tmpdir(), "pluto-agent-fixture", name),
    model: "scripted/test-model",
    fallbackModels: [],
    systemPrompt: "You are a test agent.",
    instructions: "Answer briefly.",
    parameters: {},
    tools: { builtins: [], mcpServers: [] },
    skills: [],
    ...rest,
    limits: {
      maxSteps: 20,
      maxRunSeconds: 600,
      maxToolResultChars: 20_000,
      toolTimeoutSeconds: 60,
      ...limits,
    },
    memory: { enabled: true, ...memory },
  };
}
