import type { AgentDefinition } from "../agents/agent-definition.js";

/** The memory documents loaded into context for one run; absent documents are `undefined`. */
export interface MemoryContext {
  today: { day: string; markdown: string | undefined };
  yesterday: { day: string; markdown: string | undefined };
  longTerm: string | undefined;
}

/**
 * Assembles the system prompt: the agent's SYSTEM_PROMPT.md and INSTRUCTIONS.md verbatim, then the
 * date, long-term memory (MEMORY.md), yesterday's and today's notes, and the skills index (name and
 * description only; bodies are read with `read_skill`). The scaffolding Pluto adds around the user's
 * own text is kept small (DESIGN.md budget: under 300 tokens; measured in bench/).
 */
export function buildSystemPrompt(agent: AgentDefinition, memory: MemoryContext | undefined): string {
  const parts: string[] = [];
  if (agent.systemPrompt.trim() !== "") parts.push(agent.systemPrompt.trim());
  if (agent.instructions.trim() !== "") parts.push(agent.instructions.trim());
  parts.push(`Today is ${memory?.today.day ?? new Date().toISOString().slice(0, 10)}.`);

  if (memory !== undefined) {
    const notes: string[] = [];
    if (memory.longTerm?.trim()) notes.push(`### MEMORY.md\n${memory.longTerm.trim()}`);
    if (memory.yesterday.markdown?.trim()) notes.push(memory.yesterday.markdown.trim());
    if (memory.today.markdown?.trim()) notes.push(memory.today.markdown.trim());
    if (notes.length > 0) {
      parts.push(
        `## Memory\nYour notes from earlier conversations (save new ones with memory_write):\n\n${notes.join("\n\n")}`,
      );
    }
  }

  if (agent.skills.length > 0 && agent.tools.builtins.includes("read_skill")) {
    const index = agent.skills.map((skill) => `- ${skill.name}: ${skill.description}`).join("\n");
    parts.push(
      `## Skills\nCall read_skill with a skill's name to read its instructions before using it.\n${index}`,
    );
  }
  return parts.join("\n\n");
}
