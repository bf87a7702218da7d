import { type ChildProcess, spawn } from "node:child_process";
import { cp, mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CORPUS_DIR as CORPUS } from "../support/corpus.js";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { runPluto, tempProject } from "../support/pluto-process.js";

const MODULES = resolve(import.meta.dirname, "../../node_modules/@modelcontextprotocol");

function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      await fetch(url, { method: "GET" });
      return;
    } catch {
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

describe("an agent whose tools are real MCP reference servers and real skills", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let everything: ChildProcess;
  let env: Record<string, string>;
  let files: string;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    env = { OPENAI_API_KEY: "sk-test-mcp", OPENAI_BASE_URL: `${fake.url}/v1` };
    const port = await freePort();
    everything = spawn(
      process.execPath,
      [join(MODULES, "server-everything/dist/index.js"), "streamableHttp"],
      {
        env: { ...process.env, PORT: String(port) },
        stdio: "ignore",
      },
    );
    await waitForHttp(`http://127.0.0.1:${port}/mcp`, 15_000);

    files = join(project.dir, "files");
    await mkdir(files);
    await writeFile(join(files, "notes.txt"), "the quarterly numbers are in\n");
    const agent = join(project.dir, ".pluto/agents/tooluser");
    await mkdir(agent, { recursive: true });
    // A temporary copy (outside the repo): skill folders must live inside the agent folder.
    await cp(join(CORPUS, "skills"), join(agent, "skills"), { recursive: true });
    await writeFile(join(agent, "SYSTEM_PROMPT.md"), "You use tools.\n");
    await writeFile(join(agent, "INSTRUCTIONS.md"), "Read files when asked.\n");
    await writeFile(
      join(agent, "agent.yaml"),
      [
        "apiVersion: pluto/v1",
        "kind: Agent",
        "metadata:",
        "  name: tooluser",
        "spec:",
        "  model: openai/gpt-5-mini",
        "  tools:",
        "    mcp:",
        "      - name: fs",
        `        command: ${JSON.stringify(process.execPath)}`,
        `        args: [${JSON.stringify(join(MODULES, "server-filesystem/dist/index.js"))}, ${JSON.stringify(files)}]`,
        "      - name: everything",
        `        url: http://127.0.0.1:${port}/mcp`,
        "      - name: broken",
        `        command: ${JSON.stringify(process.execPath)}`,
        `        args: ["-e", "process.exit(3)"]`,
        "",
      ].join("\n"),
    );
  });
  afterAll(async () => {
    everything?.kill();
    await fake?.close();
    await project?.cleanup();
  });

  it("validates, then calls stdio and Streamable HTTP MCP tools and reads a skill, despite a broken server", async () => {
    const validate = await runPluto(["validate"], { cwd: project.dir, env });
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);

    fake.enqueue(
      { toolCalls: [{ name: "fs__list_directory", input: { path: files } }] },
      { toolCalls: [{ name: "everything__echo", input: { message: "ping from pluto" } }] },
      { toolCalls: [{ name: "read_skill", input: { name: "brand-guidelines" } }] },
      { toolCalls: [{ name: "fs__read_text_file", input: { path: "/etc/passwd" } }] },
      { text: "All done." },
    );
    const run = await runPluto(["run", "tooluser", "look around", "--json"], {
      cwd: project.dir,
      env,
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/MCP server "broken" failed to start.*without this server's tools/);
    const events = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    const results = events.filter((event) => event.type === "tool-result");
    expect(results).toHaveLength(4);
    expect(results[0]).toMatchObject({ toolName: "fs__list_directory", isError: false });
    expect(results[0].content).toContain("notes.txt");
    expect(results[1]).toMatchObject({ toolName: "everything__echo", isError: false });
    expect(results[1].content).toContain("ping from pluto");
    expect(results[2]).toMatchObject({ toolName: "read_skill", isError: false });
    expect(results[2].content).toMatch(/brand/i);
    expect(results[3]).toMatchObject({ toolName: "fs__read_text_file", isError: true });
    expect(events.at(-1)).toMatchObject({ type: "run-end", status: "completed", output: "All done." });

    const first = JSON.stringify(fake.requests.at(-5)!.body);
    expect(first).toContain("fs__list_directory");
    expect(first).toContain("everything__echo");
    expect(first).not.toContain("broken__");
    expect(first).toContain("brand-guidelines");
    const skillBodies = fake.requests.at(-2)!.body;
    expect(JSON.stringify(skillBodies)).toContain("read_skill");
  });
});
