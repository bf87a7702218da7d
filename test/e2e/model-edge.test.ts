import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { runPluto, tempProject } from "../support/pluto-process.js";

describe("pluto run at the model edge: unreadable answers and truncated steps", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    env = { OPENAI_API_KEY: "sk-test-e2e", OPENAI_BASE_URL: `${fake.url}/v1` };
    const init = await runPluto(["init", "demo"], { cwd: project.dir, env });
    expect(init.code, init.stderr).toBe(0);
  });
  afterAll(async () => {
    await fake?.close();
    await project?.cleanup();
  });

  it("exits 1 with MODEL_ERROR naming the base URL when the answer is a plain JSON body", async () => {
    fake.enqueue({ nonStreaming: true, text: "an answer the stream parser never sees" });
    const run = await runPluto(["run", "demo", "Hello"], { cwd: project.dir, env });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/Run failed: MODEL_ERROR/);
    expect(run.stderr).toContain("base_url");
  });

  it("does not run the tool calls of a step cut at the output limit, and shows why in the events", async () => {
    fake.enqueue(
      {
        toolCalls: [{ name: "memory_write", input: { text: "half a note", section: "fact" } }],
        finishReason: "length",
      },
      { text: "That was cut off; here is the short version." },
    );
    const run = await runPluto(["run", "demo", "Remember this", "--json"], { cwd: project.dir, env });
    expect(run.code, run.stderr).toBe(0);
    const events = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.find((event) => event.type === "step-end")).toMatchObject({ finishReason: "length" });
    const result = events.find((event) => event.type === "tool-result");
    expect(result).toMatchObject({
      toolName: "memory_write",
      isError: true,
      details: { notRun: true, reason: "output-limit" },
    });
    expect(String(result?.content)).toContain("max_output_tokens");
    expect(events.at(-1)).toMatchObject({ type: "run-end", status: "completed" });
    // memory_write never ran: no memory file was written.
    const memory = await readdir(join(project.dir, ".pluto", "memory", "demo")).catch(() => []);
    expect(memory).toEqual([]);
  });

  it("exits 1 the same way when the body is garbage", async () => {
    fake.enqueue({ rawBody: "<html><body>Welcome to nginx!</body></html>" });
    const run = await runPluto(["run", "demo", "Hello"], { cwd: project.dir, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Run failed: MODEL_ERROR/);
    expect(run.stderr).toContain("wire format");
  });
});
