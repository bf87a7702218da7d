import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadAgent } from "../../src/agents/load-agent.js";
import { type AgentSandbox, createAgentSandbox } from "./agent-fixture.js";

let sandbox: AgentSandbox;
beforeEach(async () => {
  sandbox = await createAgentSandbox();
});
afterEach(async () => {
  await sandbox.remove();
});

describe("docs/agent-format.md", () => {
  it("its minimal agent loads with the two Markdown files beside it", async () => {
    const docs = await readFile(path.resolve(import.meta.dirname, "../../docs/agent-format.md"), "utf8");
    const example = /## A minimal agent\n\n```yaml\n([\s\S]*?)```/.exec(docs)?.[1] ?? "";
    const directory = await sandbox.agent(
      { "agent.yaml": example, "SYSTEM_PROMPT.md": "", "INSTRUCTIONS.md": "" },
      "my-assistant",
    );
    const result = await loadAgent(directory, { providerNames: [] });
    expect(result.diagnostics).toEqual([]);
    expect(result.agent?.model).toBe("openai/gpt-5-mini");
  });
});
