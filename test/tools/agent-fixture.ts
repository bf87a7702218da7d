import type { AgentDefinition } from "../../src/agents/agent-definition.js";

/** A resolved agent for tool tests; override any field. */
export function agentFixture(overrides: Partial<AgentDefinition> = {}): AgentDefinition {
  return {
    name: "assistant",
    description: "",
    labels: {},
    directory: "/tmp/pluto-agents/assistant",
    model: "openai/gpt-5-mini",
    fallbackModels: [],
    systemPrompt: "",
    instructions: "",
    parameters: {},
    limits: { maxSteps: 20, maxRunSeconds: 600, maxToolResultChars: 20_000, toolTimeoutSeconds: 60 },
    tools: {
      builtins: ["memory_write", "memory_search", "read_skill", "artifact_write", "artifact_read"],
      mcpServers: [],
    },
    skills: [],
    memory: { enabled: true },
    ...overrides,
  };
}
