import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

const MEMORY_SERVER = resolve(
  import.meta.dirname,
  "../../node_modules/@modelcontextprotocol/server-memory/dist/index.js",
);

/**
 * Writes agent `butler` into `projectDir`: its tools are the real MCP memory server (its graph in
 * `memory.jsonl` of the project), and its policy asks before `memory__create_*`, then applies
 * `extraRules` (agent.yaml lines of further rules, indented as rules). Returns the agent folder and how
 * to read the side effect: how many entities named `name` the memory server stored.
 */
export async function writeMemoryApprovalAgent(
  projectDir: string,
  options: { extraRules?: readonly string[] } = {},
): Promise<{ folder: string; stored(name: string): Promise<number> }> {
  const memoryFile = join(projectDir, "memory.jsonl");
  const agent = join(projectDir, ".pluto/agents/butler");
  await mkdir(agent, { recursive: true });
  await writeFile(join(agent, "SYSTEM_PROMPT.md"), "You keep a knowledge graph.\n");
  await writeFile(join(agent, "INSTRUCTIONS.md"), "Save what you are told.\n");
  await writeFile(
    join(agent, "agent.yaml"),
    [
      "apiVersion: pluto/v1",
      "kind: Agent",
      "metadata:",
      "  name: butler",
      "spec:",
      "  model: openai/gpt-5-mini",
      "  tools:",
      "    builtin: []",
      "    mcp:",
      "      - name: memory",
      `        command: ${JSON.stringify(process.execPath)}`,
      `        args: [${JSON.stringify(MEMORY_SERVER)}]`,
      "        env:",
      `          MEMORY_FILE_PATH: ${JSON.stringify(memoryFile)}`,
      "    policy:",
      "      default: allow",
      "      rules:",
      "        - tool: memory__create_*",
      "          action: ask",
      "          reason: Writes to the knowledge graph",
      ...(options.extraRules ?? []),
      "",
    ].join("\n"),
  );
  return {
    folder: agent,
    async stored(name: string) {
      const text = await readFile(memoryFile, "utf8").catch(() => "");
      return text
        .split("\n")
        .filter((line) => line.trim() !== "")
        .map((line) => JSON.parse(line))
        .filter((record) => record.type === "entity" && record.name === name).length;
    },
  };
}

/** A fake-model tool call of `memory__create_entities` that stores one person named `name`. */
export function createEntityCall(id: string, name: string) {
  return {
    id,
    name: "memory__create_entities",
    input: { entities: [{ name, entityType: "person", observations: ["likes tea"] }] },
  };
}
