import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** A valid minimal agent.yaml for an agent folder named `bot`. */
export const VALID_AGENT_YAML = `apiVersion: pluto/v1
kind: Agent
metadata:
  name: bot
spec:
  model: openai/gpt-5-mini
`;

/** A temporary folder holding agent folders; `remove()` deletes it. */
export interface AgentSandbox {
  root: string;
  /** Writes `<root>/<name>/` with the given files (paths relative to the agent folder) and returns its path. */
  agent(files: Record<string, string>, name?: string): Promise<string>;
  remove(): Promise<void>;
}

/** Creates an {@link AgentSandbox} under the OS temp folder. */
export async function createAgentSandbox(): Promise<AgentSandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), "pluto-agents-"));
  return {
    root,
    async agent(files, name = "bot") {
      const directory = path.join(root, name);
      await mkdir(directory, { recursive: true });
      for (const [file, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(directory, file)), { recursive: true });
        await writeFile(path.join(directory, file), text);
      }
      return directory;
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** agent.yaml plus empty prompt files, the usual starting point of a test. */
export function withPrompts(agentYaml: string): Record<string, string> {
  return { "agent.yaml": agentYaml, "SYSTEM_PROMPT.md": "You are Bot.", "INSTRUCTIONS.md": "Be brief." };
}
