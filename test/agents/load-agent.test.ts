import { chmod, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { assertAgent, loadAgent } from "../../src/agents/load-agent.js";
import { type Diagnostic, formatDiagnostic } from "../../src/core/diagnostic.js";
import { isPlutoError } from "../../src/core/errors.js";
import { type AgentSandbox, createAgentSandbox, VALID_AGENT_YAML, withPrompts } from "./agent-fixture.js";

let sandbox: AgentSandbox;
beforeEach(async () => {
  sandbox = await createAgentSandbox();
});
afterEach(async () => {
  await sandbox.remove();
});

const noProviders = { providerNames: [] };

/** Loads `<sandbox>/bot` written from `yaml` (plus prompt files) and returns the diagnostics. */
async function problems(yaml: string, extra: Record<string, string> = {}): Promise<Diagnostic[]> {
  const directory = await sandbox.agent({ ...withPrompts(yaml), ...extra });
  const result = await loadAgent(directory, noProviders);
  expect(result.agent).toBeUndefined();
  return result.diagnostics;
}

/** The one diagnostic whose message includes `text`. */
function only(diagnostics: Diagnostic[], text: string): Diagnostic {
  const found = diagnostics.filter((diagnostic) => diagnostic.message.includes(text));
  expect(
    found,
    `no single diagnostic mentions ${JSON.stringify(text)} in:\n${diagnostics.map((d) => formatDiagnostic(d)).join("\n")}`,
  ).toHaveLength(1);
  return found[0] as Diagnostic;
}

function agentYaml(
  spec: string,
  header = "apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: bot\n",
): string {
  return `${header}spec:\n${spec}`;
}

describe("loadAgent: valid agents", () => {
  it("loads a minimal agent with every default", async () => {
    const directory = await sandbox.agent(withPrompts(VALID_AGENT_YAML));
    const result = await loadAgent(directory, noProviders);
    expect(result.diagnostics).toEqual([]);
    expect(result.agent).toEqual({
      name: "bot",
      description: "",
      labels: {},
      directory,
      model: "openai/gpt-5-mini",
      fallbackModels: [],
      systemPrompt: "You are Bot.",
      instructions: "Be brief.",
      parameters: {},
      limits: { maxSteps: 20, maxRunSeconds: 600, maxToolResultChars: 20000, toolTimeoutSeconds: 60 },
      tools: {
        builtins: ["memory_write", "memory_search", "read_skill", "artifact_write", "artifact_read"],
        mcpServers: [],
        policy: { rules: [] },
      },
      skills: [],
      schedules: [],
      memory: { enabled: true },
    });
  });

  it("resolves every key of a full agent.yaml", async () => {
    const yaml = `apiVersion: pluto/v1
kind: Agent
metadata:
  name: bot
  description: Does things
  labels: { team: core, tier: "1" }
spec:
  model: local/llama-3:8b
  fallback_models: [openrouter/anthropic/claude-sonnet-4, ollama/llama3.2]
  system_prompt: prompts/persona.md
  instructions: prompts/how.md
  parameters: { temperature: 0.5, max_output_tokens: 2048 }
  limits: { max_steps: 5, max_run_seconds: 30, max_tool_result_chars: 1000, tool_timeout_seconds: 2.5 }
  tools:
    builtin: [read_skill]
    mcp:
      - name: files
        command: npx
        args: ["-y", "server"]
        env: { LEVEL: "3" }
        cwd: work
      - name: web
        url: https://mcp.example.com/mcp
        headers: { Authorization: Bearer x }
        timeout_seconds: 2.5
      - name: shared
        server: files
    policy:
      default: ask
      rules:
        - { tool: "files__read_*", action: allow, annotations: { read_only: true } }
        - tool: web__fetch
          action: deny
          reason: No browsing
          when: { url: "http://*", retries: 0 }
  skills:
    paths: [skills, more]
    exclude: [beta]
  memory: { enabled: false }
`;
    const skill = (name: string) =>
      `---\nname: ${name}\ndescription: The ${name} skill.\n---\nBody of ${name}.\n`;
    const directory = await sandbox.agent({
      "agent.yaml": yaml,
      "prompts/persona.md": "P",
      "prompts/how.md": "H",
      "skills/alpha/SKILL.md": skill("alpha"),
      "more/beta/SKILL.md": skill("beta"),
    });
    const result = await loadAgent(directory, { providerNames: ["local"] });
    expect(result.diagnostics).toEqual([]);
    const agent = result.agent;
    expect(agent).toMatchObject({
      description: "Does things",
      labels: { team: "core", tier: "1" },
      model: "local/llama-3:8b",
      fallbackModels: ["openrouter/anthropic/claude-sonnet-4", "ollama/llama3.2"],
      systemPrompt: "P",
      instructions: "H",
      parameters: { temperature: 0.5, maxOutputTokens: 2048 },
      limits: { maxSteps: 5, maxRunSeconds: 30, maxToolResultChars: 1000, toolTimeoutSeconds: 2.5 },
      memory: { enabled: false },
    });
    expect(agent?.tools).toEqual({
      builtins: ["read_skill"],
      mcpServers: [
        {
          name: "files",
          transport: "stdio",
          command: "npx",
          args: ["-y", "server"],
          env: { LEVEL: "3" },
          cwd: path.join(directory, "work"),
          timeoutMs: 60_000,
        },
        {
          name: "web",
          transport: "http",
          url: "https://mcp.example.com/mcp",
          headers: { Authorization: "Bearer x" },
          timeoutMs: 2500,
        },
        { name: "shared", transport: "catalog", server: "files" },
      ],
      policy: {
        default: "ask",
        rules: [
          { tool: "files__read_*", action: "allow", annotations: { readOnly: true } },
          {
            tool: "web__fetch",
            action: "deny",
            reason: "No browsing",
            when: { url: "http://*", retries: 0 },
          },
        ],
      },
    });
    expect(agent?.skills).toEqual([
      { name: "alpha", description: "The alpha skill.", path: path.join(directory, "skills/alpha/SKILL.md") },
    ]);
  });

  it("accepts a provider declared in pluto.yaml and rejects it when undeclared", async () => {
    const yaml = VALID_AGENT_YAML.replace("openai/gpt-5-mini", "acme/model-1");
    const directory = await sandbox.agent(withPrompts(yaml));
    expect((await loadAgent(directory, { providerNames: ["acme"] })).agent?.model).toBe("acme/model-1");
    const diagnostic = only((await loadAgent(directory, noProviders)).diagnostics, 'Unknown provider "acme"');
    expect(diagnostic).toMatchObject({
      file: path.join(directory, "agent.yaml"),
      line: 6,
      column: 10,
      path: "spec.model",
    });
    expect(diagnostic.message).toContain("openai, anthropic, openrouter, ollama");
    expect(diagnostic.fix).toContain('declare "acme" under providers: in pluto.yaml');
  });
});

describe("loadAgent: each rule broken in turn", () => {
  const file = () => path.join(sandbox.root, "bot", "agent.yaml");

  it("wrong apiVersion", async () => {
    const diagnostic = only(await problems(VALID_AGENT_YAML.replace("pluto/v1", "pluto/v2")), "apiVersion");
    expect(diagnostic).toMatchObject({ file: file(), line: 1, column: 13, path: "apiVersion" });
    expect(diagnostic.fix).toContain('Use "pluto/v1"');
  });

  it("wrong kind", async () => {
    const diagnostic = only(await problems(VALID_AGENT_YAML.replace("kind: Agent", "kind: Agents")), "kind");
    expect(diagnostic).toMatchObject({ file: file(), line: 2, column: 7 });
    expect(diagnostic.fix).toContain('Did you mean "Agent"?');
  });

  it("missing metadata.name points at the metadata key", async () => {
    const yaml = VALID_AGENT_YAML.replace("  name: bot\n", "  description: x\n");
    const diagnostic = only(await problems(yaml), "metadata.name");
    expect(diagnostic).toMatchObject({
      file: file(),
      line: 3,
      column: 1,
      message: 'Missing required key "metadata.name".',
    });
    expect(diagnostic.fix).toContain('Add "name:" under "metadata"');
  });

  it("metadata.name different from the folder", async () => {
    const diagnostic = only(
      await problems(VALID_AGENT_YAML.replace("name: bot", "name: robot")),
      "does not match",
    );
    expect(diagnostic).toMatchObject({ file: file(), line: 4, column: 9, path: "metadata.name" });
    expect(diagnostic.fix).toBe('Set metadata.name to "bot" or rename the folder to "robot".');
  });

  it("model without a provider", async () => {
    const diagnostic = only(await problems(agentYaml("  model: gpt-5-mini\n")), "spec.model");
    expect(diagnostic).toMatchObject({ file: file(), line: 6, column: 10 });
    expect(diagnostic.message).toContain('"provider/model-id"');
    expect(diagnostic.fix).toContain("openai/gpt-5-mini");
  });

  it("unknown provider lists the known ones and suggests a close one", async () => {
    const diagnostic = only(await problems(agentYaml("  model: opnai/gpt-5-mini\n")), "Unknown provider");
    expect(diagnostic).toMatchObject({ file: file(), line: 6 });
    expect(diagnostic.fix).toContain('Did you mean "openai/gpt-5-mini"?');
  });

  it("unknown provider in fallback_models", async () => {
    const diagnostic = only(
      await problems(agentYaml("  model: openai/gpt-5-mini\n  fallback_models:\n    - nowhere/x\n")),
      "Unknown provider",
    );
    expect(diagnostic).toMatchObject({ line: 8, column: 7, path: "spec.fallback_models[0]" });
  });

  it("temperature 5", async () => {
    const yaml = agentYaml("  model: openai/gpt-5-mini\n  parameters:\n    temperature: 5\n");
    const diagnostic = only(await problems(yaml), "temperature");
    expect(diagnostic).toMatchObject({
      file: file(),
      line: 8,
      column: 18,
      path: "spec.parameters.temperature",
    });
    expect(diagnostic.message).toContain("above the maximum of 2");
    expect(diagnostic.fix).toContain("a number from 0 to 2");
  });

  it("tool policy rule with an unknown action", async () => {
    const yaml = agentYaml(
      "  model: openai/gpt-5-mini\n  tools:\n    policy:\n      rules:\n        - tool: fs__write_file\n          action: maybe\n",
    );
    const diagnostic = only(await problems(yaml), "action");
    expect(diagnostic).toMatchObject({ file: file(), line: 11, path: "spec.tools.policy.rules[0].action" });
    expect(diagnostic.fix).toMatch(/allow.*deny.*ask/);
  });

  it("tool policy rule without a tool glob, and with an unknown key", async () => {
    const yaml = agentYaml(
      "  model: openai/gpt-5-mini\n  tools:\n    policy:\n      default: never\n      rules:\n        - action: deny\n          tools: x\n",
    );
    const found = await problems(yaml);
    expect(found.find((problem) => problem.path === "spec.tools.policy.default")).toMatchObject({
      file: file(),
      line: 9,
    });
    const missing = found.find((problem) => problem.message.includes("spec.tools.policy.rules[0].tool"));
    expect(missing).toMatchObject({ file: file(), line: 11 });
    const unknown = found.find((problem) => problem.message.includes('Unknown key "tools"'));
    expect(unknown).toMatchObject({ file: file(), line: 12 });
    expect(unknown?.fix).toContain('Did you mean "tool"?');
  });

  it("max_steps 0", async () => {
    const yaml = agentYaml("  model: openai/gpt-5-mini\n  limits:\n    max_steps: 0\n");
    const diagnostic = only(await problems(yaml), "max_steps");
    expect(diagnostic).toMatchObject({ file: file(), line: 8, column: 16, path: "spec.limits.max_steps" });
    expect(diagnostic.fix).toContain("a whole number from 1 to 1000");
  });

  it("max_steps 2.5 is not a whole number", async () => {
    const yaml = agentYaml("  model: openai/gpt-5-mini\n  limits:\n    max_steps: 2.5\n");
    const diagnostic = only(await problems(yaml), "max_steps");
    expect(diagnostic).toMatchObject({ line: 8 });
    expect(diagnostic.fix).toContain("whole number");
  });

  it("exclusive bounds are described as such", async () => {
    const yaml = agentYaml("  model: openai/gpt-5-mini\n  parameters:\n    max_output_tokens: 0\n");
    const diagnostic = only(await problems(yaml), "max_output_tokens");
    expect(diagnostic.message).toContain("must be greater than 0");
    expect(diagnostic.fix).toContain("a whole number greater than 0");
  });

  it("a tool timeout that is not a positive number of seconds up to a day is refused with its line", async () => {
    for (const value of ["0", "-1", "90000", "soon"]) {
      const yaml = agentYaml(`  model: openai/gpt-5-mini\n  limits:\n    tool_timeout_seconds: ${value}\n`);
      const diagnostic = only(await problems(yaml), "tool_timeout_seconds");
      expect(diagnostic, value).toMatchObject({
        file: file(),
        line: 8,
        path: "spec.limits.tool_timeout_seconds",
      });
      expect(diagnostic.fix, value).not.toBe("");
    }
  });

  it("unknown key with the closest valid key suggested", async () => {
    const yaml = agentYaml("  model: openai/gpt-5-mini\n  limits:\n    max_step: 5\n");
    const diagnostic = only(await problems(yaml), "Unknown key");
    expect(diagnostic).toMatchObject({ file: file(), line: 8, column: 5, path: "spec.limits.max_step" });
    expect(diagnostic.message).toBe('Unknown key "max_step" in spec.limits.');
    expect(diagnostic.fix).toContain('Did you mean "max_steps"?');
    expect(diagnostic.fix).toContain(
      "Valid keys here: max_steps, max_run_seconds, max_tool_result_chars, tool_timeout_seconds.",
    );
  });

  it("unknown key that belongs one level down, and camelCase spelling", async () => {
    const yaml = agentYaml("  model: openai/gpt-5-mini\n  temperature: 1\n  fallbackModels: []\n");
    const diagnostics = await problems(yaml);
    expect(only(diagnostics, '"temperature"').fix).toContain('Did you mean "parameters.temperature"?');
    expect(only(diagnostics, '"fallbackModels"').fix).toContain('Did you mean "fallback_models"?');
  });

  it("unknown top-level key without a close match", async () => {
    const diagnostic = only(await problems(`${VALID_AGENT_YAML}zzzzzz: 1\n`), "Unknown key");
    expect(diagnostic).toMatchObject({
      line: 7,
      column: 1,
      message: 'Unknown key "zzzzzz" at the top level.',
    });
    expect(diagnostic.fix).toMatch(/^Remove "zzzzzz"\. Valid keys here: apiVersion, kind, metadata, spec\.$/);
  });

  it("mcp server with both command and url", async () => {
    const yaml = agentYaml(
      "  model: openai/gpt-5-mini\n  tools:\n    mcp:\n      - name: both\n        command: npx\n        url: http://localhost:1/mcp\n",
    );
    const diagnostic = only(await problems(yaml), "both");
    expect(diagnostic).toMatchObject({ file: file(), line: 9, column: 9, path: "spec.tools.mcp[0]" });
    expect(diagnostic.fix).toContain("not both");
  });

  it("mcp server from the catalogue: only name and server, nothing of a transport", async () => {
    const yaml = agentYaml(
      "  model: openai/gpt-5-mini\n  tools:\n    mcp:\n      - name: files\n        server: files\n        args: [x]\n      - name: both\n        server: files\n        url: http://localhost:1/mcp\n",
    );
    const diagnostics = await problems(yaml);
    expect(only(diagnostics, "does not apply to a catalogue server")).toMatchObject({
      line: 11,
      path: "spec.tools.mcp[0].args",
    });
    expect(only(diagnostics, 'has both "url" and "server"')).toMatchObject({ line: 12 });
  });

  it("mcp server naming a catalogue entry pluto.yaml does not have", async () => {
    const directory = await sandbox.agent(
      withPrompts(
        agentYaml(
          "  model: openai/gpt-5-mini\n  tools:\n    mcp:\n      - name: files\n        server: file\n",
        ),
      ),
    );
    const result = await loadAgent(directory, { providerNames: [], mcpServerNames: ["files", "web"] });
    expect(result.agent).toBeUndefined();
    const diagnostic = only(result.diagnostics, "not in mcp_servers");
    expect(diagnostic).toMatchObject({ line: 10, path: "spec.tools.mcp[0].server" });
    expect(diagnostic.fix).toContain('Did you mean "files"?');
    const unchecked = await loadAgent(directory, { providerNames: [] });
    expect(unchecked.agent?.tools.mcpServers).toEqual([
      { name: "files", transport: "catalog", server: "file" },
    ]);
  });

  it("mcp server with neither command nor url, and stdio keys on an http server", async () => {
    const yaml = agentYaml(
      "  model: openai/gpt-5-mini\n  tools:\n    mcp:\n      - name: none\n      - name: web\n        url: http://localhost:1/mcp\n        args: [x]\n",
    );
    const diagnostics = await problems(yaml);
    expect(only(diagnostics, 'needs either "command" or "url"')).toMatchObject({ line: 9 });
    expect(only(diagnostics, "applies only to stdio")).toMatchObject({
      line: 12,
      path: "spec.tools.mcp[1].args",
    });
  });

  it("duplicate mcp server names", async () => {
    const yaml = agentYaml(
      "  model: openai/gpt-5-mini\n  tools:\n    mcp:\n      - name: one\n        command: a\n      - name: one\n        command: b\n",
    );
    const diagnostic = only(await problems(yaml), "repeats the name");
    expect(diagnostic).toMatchObject({ file: file(), line: 11, column: 9, path: "spec.tools.mcp[1]" });
    expect(diagnostic.fix).toContain("different name");
  });

  it("unsafe mcp server name and non-http url", async () => {
    const yaml = agentYaml(
      "  model: openai/gpt-5-mini\n  tools:\n    mcp:\n      - name: ../evil\n        url: file:///etc/passwd\n",
    );
    const diagnostics = await problems(yaml);
    expect(only(diagnostics, "spec.tools.mcp[0].name")).toMatchObject({ line: 9 });
    expect(only(diagnostics, "http:// or https://")).toMatchObject({ line: 10 });
  });

  it("unquoted number in mcp env", async () => {
    const yaml = agentYaml(
      "  model: openai/gpt-5-mini\n  tools:\n    mcp:\n      - name: x\n        command: a\n        env: { PORT: 8080 }\n",
    );
    const diagnostic = only(await problems(yaml), "PORT");
    expect(diagnostic).toMatchObject({ line: 11, path: "spec.tools.mcp[0].env.PORT" });
    expect(diagnostic.fix).toContain("Quote the value");
  });

  it("bad builtin tool name", async () => {
    const yaml = agentYaml(
      "  model: openai/gpt-5-mini\n  tools:\n    builtin: [memory_write, memory_serch]\n",
    );
    const diagnostic = only(await problems(yaml), "memory_serch");
    expect(diagnostic).toMatchObject({ file: file(), line: 8, column: 29, path: "spec.tools.builtin[1]" });
    expect(diagnostic.fix).toContain('Did you mean "memory_search"?');
  });

  it("system_prompt escaping the folder with ../ is rejected and never read", async () => {
    await writeFile(path.join(sandbox.root, "secret.md"), "TOP SECRET");
    const yaml = agentYaml("  model: openai/gpt-5-mini\n  system_prompt: ../secret.md\n");
    const diagnostic = only(await problems(yaml), "outside the agent folder");
    expect(diagnostic).toMatchObject({ file: file(), line: 7, column: 18, path: "spec.system_prompt" });
    expect(diagnostic.fix).toContain("without '..'");
  });

  it("a sneaky a/../../ path is rejected too", async () => {
    const yaml = agentYaml("  model: openai/gpt-5-mini\n  instructions: prompts/../../x.md\n");
    expect(only(await problems(yaml), "outside the agent folder")).toMatchObject({ line: 7 });
  });

  it("absolute instructions path", async () => {
    const yaml = agentYaml("  model: openai/gpt-5-mini\n  instructions: /etc/passwd\n");
    const diagnostic = only(await problems(yaml), "absolute path");
    expect(diagnostic).toMatchObject({ file: file(), line: 7, column: 17, path: "spec.instructions" });
    expect(diagnostic.fix).toContain("relative to the agent folder");
  });

  it("NUL and backslashes in a path", async () => {
    const nul = only(
      await problems(agentYaml('  model: openai/gpt-5-mini\n  system_prompt: "a\\0b.md"\n')),
      "NUL",
    );
    expect(nul).toMatchObject({ line: 7 });
    const backslash = only(
      await problems(agentYaml('  model: openai/gpt-5-mini\n  system_prompt: "..\\\\x.md"\n')),
      "backslash",
    );
    expect(backslash.fix).toContain("forward slashes");
  });

  it("a prompt file that is a symlink to outside the folder", async () => {
    await writeFile(path.join(sandbox.root, "outside.md"), "secret");
    const directory = await sandbox.agent({ "agent.yaml": VALID_AGENT_YAML, "INSTRUCTIONS.md": "" });
    await symlink(path.join(sandbox.root, "outside.md"), path.join(directory, "SYSTEM_PROMPT.md"));
    const result = await loadAgent(directory, noProviders);
    const diagnostic = only(result.diagnostics, "outside the agent folder");
    expect(diagnostic.file).toBe(path.join(directory, "SYSTEM_PROMPT.md"));
    expect(diagnostic.fix).toContain("Copy the file into the agent folder");
  });

  it("missing default SYSTEM_PROMPT.md is reported at the expected path", async () => {
    const directory = await sandbox.agent({ "agent.yaml": VALID_AGENT_YAML, "INSTRUCTIONS.md": "" });
    const result = await loadAgent(directory, noProviders);
    expect(result.agent).toBeUndefined();
    const diagnostic = only(result.diagnostics, "SYSTEM_PROMPT.md");
    expect(diagnostic.file).toBe(path.join(directory, "SYSTEM_PROMPT.md"));
    expect(diagnostic.line).toBeUndefined();
    expect(diagnostic.fix).toContain("Create SYSTEM_PROMPT.md in the agent folder (it may be empty)");
  });

  it("empty prompt files are fine", async () => {
    const directory = await sandbox.agent({
      "agent.yaml": VALID_AGENT_YAML,
      "SYSTEM_PROMPT.md": "",
      "INSTRUCTIONS.md": "",
    });
    const result = await loadAgent(directory, noProviders);
    expect(result.agent?.systemPrompt).toBe("");
    expect(result.agent?.instructions).toBe("");
  });

  it("missing explicitly named instructions file points at its key in agent.yaml", async () => {
    const yaml = agentYaml("  model: openai/gpt-5-mini\n  instructions: docs/how.md\n");
    const diagnostic = only(await problems(yaml), "docs/how.md");
    expect(diagnostic).toMatchObject({ file: file(), line: 7, column: 17, path: "spec.instructions" });
    expect(diagnostic.fix).toContain("Create docs/how.md in the agent folder (it may be empty)");
  });

  it("unreadable SYSTEM_PROMPT.md (chmod 000, or a folder in its place when running as root)", async () => {
    const directory = await sandbox.agent(withPrompts(VALID_AGENT_YAML));
    const promptFile = path.join(directory, "SYSTEM_PROMPT.md");
    const isRoot = process.getuid?.() === 0;
    if (isRoot) {
      // chmod does not stop root from reading, so make the path unreadable as a file instead.
      await rm(promptFile);
      await mkdir(promptFile);
    } else {
      await chmod(promptFile, 0o000);
    }
    try {
      const result = await loadAgent(directory, noProviders);
      expect(result.agent).toBeUndefined();
      const diagnostic = only(result.diagnostics, "cannot be read");
      expect(diagnostic.file).toBe(promptFile);
      expect(diagnostic.line).toBeUndefined();
      expect(diagnostic.message).toContain(isRoot ? "it is a directory, not a file" : "permission denied");
      expect(diagnostic.fix).toContain("readable regular file");
    } finally {
      if (!isRoot) await chmod(promptFile, 0o644);
    }
  });

  it("YAML syntax error with its line", async () => {
    const yaml =
      "apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: bot\nspec:\n  model: [openai/gpt-5-mini\n  limits: {}\n";
    const diagnostics = await problems(yaml);
    expect(diagnostics.length).toBeGreaterThan(0);
    const diagnostic = diagnostics[0] as Diagnostic;
    expect(diagnostic.file).toBe(file());
    expect(diagnostic.message).toMatch(/^YAML syntax error: /);
    expect(diagnostic.line).toBeGreaterThanOrEqual(6);
    expect(diagnostic.fix).toContain("indentation");
  });

  it("duplicate key is a syntax error on the second occurrence", async () => {
    const diagnostic = only(
      await problems(`${VALID_AGENT_YAML}  model: openai/gpt-5\n`),
      "YAML syntax error",
    );
    expect(diagnostic).toMatchObject({ file: file(), line: 7, column: 3 });
    expect(diagnostic.fix).toContain("Keep only one");
  });

  it("tabs used for indentation", async () => {
    const diagnostics = await problems("apiVersion: pluto/v1\nkind: Agent\nmetadata:\n\tname: bot\n");
    expect(diagnostics[0]).toMatchObject({ line: 4 });
  });

  it("missing agent.yaml", async () => {
    const directory = await sandbox.agent({ "SYSTEM_PROMPT.md": "" });
    const result = await loadAgent(directory, noProviders);
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({ file: path.join(directory, "agent.yaml") });
    expect(result.diagnostics[0]?.fix).toContain("pluto init bot");
  });

  it("missing agent folder", async () => {
    const result = await loadAgent(path.join(sandbox.root, "ghost"), noProviders);
    expect(result.diagnostics[0]?.message).toContain("cannot be opened: not found");
  });

  it("empty and non-mapping agent.yaml", async () => {
    expect(only(await problems(""), "empty")).toMatchObject({ line: 1 });
    expect(only(await problems("- a\n- b\n"), "must be a mapping")).toMatchObject({ line: 1 });
    expect(
      only(
        await problems(`${VALID_AGENT_YAML.replace("spec:\n  model: openai/gpt-5-mini\n", "spec:\n")}`),
        '"spec" is empty',
      ),
    ).toMatchObject({ line: 5 });
  });

  it("oversized agent.yaml is refused without parsing", async () => {
    const diagnostic = only(
      await problems(`${VALID_AGENT_YAML}# ${"x".repeat(300 * 1024)}\n`),
      "larger than",
    );
    expect(diagnostic.fix).toContain("SYSTEM_PROMPT.md");
  });

  it("YAML alias bombs are reported, not expanded", async () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
      "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
      "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
      "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
      "",
    ].join("\n");
    const diagnostics = await problems(`${VALID_AGENT_YAML}${bomb}`);
    expect(only(diagnostics, "cannot be expanded").fix).toContain("aliases");
  });

  it("collects every problem of a badly broken file at once", async () => {
    const yaml = `apiVersion: pluto/v2
kind: Agent
metadata:
  name: other
spec:
  model: nobody/x
  system_prompt: /abs.md
  parameters: { temperature: 5 }
  limits: { max_steps: 0, max_run_secs: 5 }
  tools: { builtin: [bogus] }
`;
    const diagnostics = await problems(yaml, { "INSTRUCTIONS.md": "" });
    expect(diagnostics.map((diagnostic) => diagnostic.line)).toEqual([1, 4, 6, 7, 8, 9, 9, 10]);
    for (const diagnostic of diagnostics) expect(diagnostic.fix.length).toBeGreaterThan(10);
  });
});

describe("loadAgent: skills", () => {
  const skill = (name: string, description = `Use ${name} for tests.`) =>
    `---\nname: ${name}\ndescription: ${description}\n---\n# ${name}\n`;

  it("a skill error makes the agent invalid, a warning does not", async () => {
    const directory = await sandbox.agent({
      ...withPrompts(VALID_AGENT_YAML),
      "skills/good/SKILL.md": skill("good"),
      "skills/renamed/SKILL.md": skill("other-name"),
    });
    const warned = await loadAgent(directory, noProviders);
    expect(warned.agent?.skills.map((entry) => entry.name)).toEqual(["good", "other-name"]);
    expect(only(warned.diagnostics, "does not match its folder").severity).toBe("warning");

    await writeFile(path.join(directory, "skills/bad/SKILL.md"), "no front matter").catch(async () => {
      await mkdir(path.join(directory, "skills/bad"));
      await writeFile(path.join(directory, "skills/bad/SKILL.md"), "no front matter");
    });
    const failed = await loadAgent(directory, noProviders);
    expect(failed.agent).toBeUndefined();
    expect(only(failed.diagnostics, "no YAML front matter")).toMatchObject({
      file: path.join(directory, "skills/bad/SKILL.md"),
      line: 1,
    });
  });

  it("include filters and reports unknown names; exclude of an unknown name warns", async () => {
    const yaml = agentYaml(
      "  model: openai/gpt-5-mini\n  skills:\n    include: [alpha, gama]\n    exclude: [zeta]\n",
    );
    const directory = await sandbox.agent({
      ...withPrompts(yaml),
      "skills/alpha/SKILL.md": skill("alpha"),
      "skills/beta/SKILL.md": skill("beta"),
      "skills/gamma/SKILL.md": skill("gamma"),
    });
    const result = await loadAgent(directory, noProviders);
    expect(result.agent).toBeUndefined();
    const include = only(result.diagnostics, '"gama"');
    expect(include).toMatchObject({ line: 8, path: "spec.skills.include[1]" });
    expect(include.fix).toContain('Did you mean "gamma"?');
    expect(only(result.diagnostics, '"zeta"').severity).toBe("warning");

    await writeFile(path.join(directory, "agent.yaml"), yaml.replace("gama", "gamma"));
    const fixed = await loadAgent(directory, noProviders);
    expect(fixed.agent?.skills.map((entry) => entry.name)).toEqual(["alpha", "gamma"]);
  });

  it("an explicit skills path that does not exist is an error; the default one may be absent", async () => {
    const yaml = agentYaml("  model: openai/gpt-5-mini\n  skills:\n    paths: [skills, extra]\n");
    const diagnostic = only(await problems(yaml), '"extra" does not exist');
    expect(diagnostic).toMatchObject({ line: 8, path: "spec.skills.paths[1]" });
  });

  it("skills path escaping the folder", async () => {
    const yaml = agentYaml("  model: openai/gpt-5-mini\n  skills:\n    paths: [../shared]\n");
    expect(only(await problems(yaml), "outside the agent folder")).toMatchObject({ line: 8 });
  });

  it("a skill folder symlinked from outside the agent folder is rejected", async () => {
    await mkdir(path.join(sandbox.root, "elsewhere/evil"), { recursive: true });
    await writeFile(path.join(sandbox.root, "elsewhere/evil/SKILL.md"), skill("evil"));
    const directory = await sandbox.agent({
      ...withPrompts(VALID_AGENT_YAML),
      "skills/ok/SKILL.md": skill("ok"),
    });
    await symlink(path.join(sandbox.root, "elsewhere/evil"), path.join(directory, "skills/evil"));
    const result = await loadAgent(directory, noProviders);
    expect(only(result.diagnostics, "outside the agent folder").file).toBe(
      path.join(directory, "skills/evil/SKILL.md"),
    );
  });
});

describe("assertAgent", () => {
  it("returns the agent or throws AGENT_INVALID with every diagnostic", async () => {
    const good = await sandbox.agent(withPrompts(VALID_AGENT_YAML));
    expect((await assertAgent(good, noProviders)).name).toBe("bot");
    const bad = await sandbox.agent(withPrompts(VALID_AGENT_YAML.replace("pluto/v1", "v0")), "bad");
    const error = await assertAgent(bad, noProviders).catch((caught: unknown) => caught);
    expect(isPlutoError(error, "AGENT_INVALID")).toBe(true);
    if (!isPlutoError(error)) return;
    expect(error.message).toContain(`${path.join(bad, "agent.yaml")}:1:13:`);
    expect(error.message).toContain("does not match the folder name");
    const details = error.details as { diagnostics: Diagnostic[] };
    expect(details.diagnostics).toHaveLength(2);
  });
});
