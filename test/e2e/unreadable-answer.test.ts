import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { runPluto, tempProject } from "../support/pluto-process.js";

describe("pluto run against a provider that does not stream", () => {
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

  it("exits 1 the same way when the body is garbage", async () => {
    fake.enqueue({ rawBody: "<html><body>Welcome to nginx!</body></html>" });
    const run = await runPluto(["run", "demo", "Hello"], { cwd: project.dir, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Run failed: MODEL_ERROR/);
    expect(run.stderr).toContain("wire format");
  });
});
