import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { agentFileSchema } from "../../src/agents/agent-schema.js";
import { loadAgent } from "../../src/agents/load-agent.js";
import { agentTemplatesDir, scaffoldAgent } from "../../src/agents/scaffold-agent.js";
import { isPlutoError } from "../../src/core/errors.js";
import { type AgentSandbox, createAgentSandbox } from "./agent-fixture.js";

let sandbox: AgentSandbox;
beforeEach(async () => {
  sandbox = await createAgentSandbox();
});
afterEach(async () => {
  await sandbox.remove();
});

describe("scaffoldAgent", () => {
  it("creates an agent that loads as valid, with the default model", async () => {
    const agentsDir = path.join(sandbox.root, "nested", "agents");
    const directory = await scaffoldAgent({ agentsDir, name: "helper" });
    expect(directory).toBe(path.join(agentsDir, "helper"));
    expect((await readdir(directory)).sort()).toEqual(["INSTRUCTIONS.md", "SYSTEM_PROMPT.md", "agent.yaml"]);
    const result = await loadAgent(directory, { providerNames: [] });
    expect(result.diagnostics).toEqual([]);
    expect(result.agent).toMatchObject({
      name: "helper",
      model: "openai/gpt-5-mini",
      limits: { maxSteps: 20, maxRunSeconds: 600, maxToolResultChars: 20000, toolTimeoutSeconds: 60 },
      memory: { enabled: true },
    });
    expect(result.agent?.systemPrompt).toContain("You are helper");
    expect(result.agent?.instructions.length).toBeGreaterThan(50);
  });

  it("writes the given model, quoting it when needed", async () => {
    const directory = await scaffoldAgent({
      agentsDir: sandbox.root,
      name: "local",
      model: "ollama/llama3.2:latest",
    });
    const result = await loadAgent(directory, { providerNames: [] });
    expect(result.agent?.model).toBe("ollama/llama3.2:latest");
  });

  it("the agent.yaml template explains every key of the schema in comments", async () => {
    const text = await readFile(path.join(agentTemplatesDir(), "agent.yaml"), "utf8");
    const document = parseDocument(
      text.replaceAll("{{name}}", "x").replaceAll("{{model}}", "openai/gpt-5-mini"),
    );
    expect(document.errors).toEqual([]);
    expect(agentFileSchema.safeParse(document.toJS()).success).toBe(true);
    const keys = [
      "apiVersion",
      "kind",
      "metadata",
      "name",
      "description",
      "labels",
      "spec",
      "model",
      "fallback_models",
      "system_prompt",
      "instructions",
      "parameters",
      "temperature",
      "max_output_tokens",
      "limits",
      "max_steps",
      "max_run_seconds",
      "max_tool_result_chars",
      "tool_timeout_seconds",
      "tools",
      "builtin",
      "mcp",
      "command",
      "args",
      "env",
      "cwd",
      "url",
      "headers",
      "server",
      "timeout_seconds",
      "skills",
      "paths",
      "include",
      "exclude",
      "memory",
      "enabled",
    ];
    for (const key of keys) expect(text, key).toMatch(new RegExp(`^\\s*#?\\s*-?\\s*${key}:`, "m"));
    expect(text.split("\n").filter((line) => line.trim().startsWith("#")).length).toBeGreaterThan(30);
  });

  it("refuses to overwrite an existing agent", async () => {
    const directory = await scaffoldAgent({ agentsDir: sandbox.root, name: "taken" });
    await writeFile(path.join(directory, "SYSTEM_PROMPT.md"), "my own prompt");
    const error = await scaffoldAgent({ agentsDir: sandbox.root, name: "taken" }).catch(
      (caught: unknown) => caught,
    );
    expect(isPlutoError(error, "BAD_REQUEST")).toBe(true);
    expect(String((error as Error).message)).toContain("already exists");
    expect(String((error as Error).message)).toContain("Pick another name");
    expect(await readFile(path.join(directory, "SYSTEM_PROMPT.md"), "utf8")).toBe("my own prompt");
  });

  it("fills an existing empty folder", async () => {
    const directory = await sandbox.agent({}, "empty");
    await scaffoldAgent({ agentsDir: sandbox.root, name: "empty" });
    expect((await readdir(directory)).length).toBe(3);
  });

  it("rejects unsafe names and bad models before touching the disk", async () => {
    for (const name of ["../escape", "/abs", "a/b", "", "..", "a\0b"]) {
      const error = await scaffoldAgent({ agentsDir: sandbox.root, name }).catch((caught: unknown) => caught);
      expect(isPlutoError(error, "INVALID_NAME"), name).toBe(true);
    }
    const error = await scaffoldAgent({ agentsDir: sandbox.root, name: "ok", model: "gpt-5" }).catch(
      (caught: unknown) => caught,
    );
    expect(isPlutoError(error, "BAD_REQUEST")).toBe(true);
    expect(await readdir(sandbox.root)).toEqual([]);
  });
});
