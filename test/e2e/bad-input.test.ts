import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { jsonOf, runPluto, type ServeProcess, startServe, tempProject } from "../support/pluto-process.js";

describe("bad input through the pluto binary", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    env = { OPENAI_API_KEY: "sk-test-bad", OPENAI_BASE_URL: `${fake.url}/v1` };
    expect((await runPluto(["init", "good"], { cwd: project.dir, env })).code).toBe(0);
  });
  afterAll(async () => {
    await fake?.close();
    await project?.cleanup();
  });

  it("an unknown agent names the agents that exist", async () => {
    const run = await runPluto(["run", "nosuch", "hi"], { cwd: project.dir, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("AGENT_NOT_FOUND");
    expect(run.stderr).toContain("good");
  });

  it("hostile agent and session names never reach the filesystem", async () => {
    for (const name of ["../good", "/etc", "a/b", ".."]) {
      const run = await runPluto(["run", name, "hi"], { cwd: project.dir, env });
      expect(run.code, name).toBe(1);
      expect(run.stderr, name).toMatch(/INVALID_NAME|AGENT_NOT_FOUND/);
    }
    const session = await runPluto(["run", "good", "hi", "--session", "../../escape"], {
      cwd: project.dir,
      env,
    });
    expect(session.code).toBe(1);
    expect(session.stderr).toContain("INVALID_NAME");
  });

  it("a missing provider key names the variable", async () => {
    const run = await runPluto(["run", "good", "hi"], {
      cwd: project.dir,
      env: { OPENAI_BASE_URL: `${fake.url}/v1` },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("OPENAI_API_KEY");
  });

  it("an unknown provider is reported by validate and run", async () => {
    const dir = join(project.dir, ".pluto/agents/weird");
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "SYSTEM_PROMPT.md"), "");
    await writeFile(join(dir, "INSTRUCTIONS.md"), "");
    await writeFile(
      join(dir, "agent.yaml"),
      "apiVersion: pluto/v1\nkind: Agent\nmetadata:\n  name: weird\nspec:\n  model: madeup/model-1\n",
    );
    const validate = await runPluto(["validate", dir], { cwd: project.dir, env });
    expect(validate.code).toBe(1);
    expect(validate.stdout + validate.stderr).toMatch(/agent\.yaml:6/);
    expect(validate.stdout + validate.stderr).toContain("madeup");
    const run = await runPluto(["run", "weird", "hi"], { cwd: project.dir, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("AGENT_INVALID");
  });

  it("validate of a missing path fails with a fix", async () => {
    const validate = await runPluto(["validate", "no/such/dir"], { cwd: project.dir, env });
    expect(validate.code).toBe(1);
    expect(validate.stdout + validate.stderr).toMatch(/no\/such\/dir/);
  });

  it("a pluto.yaml with an unknown key or a missing variable is refused with file and key", async () => {
    const other = await tempProject();
    try {
      await writeFile(join(other.dir, "pluto.yaml"), "server:\n  prot: 8080\n");
      const typo = await runPluto(["serve"], { cwd: other.dir, env });
      expect(typo.code).toBe(1);
      expect(typo.stderr).toContain("pluto.yaml");
      expect(typo.stderr).toContain("prot");
      await writeFile(
        join(other.dir, "pluto.yaml"),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: pluto.yaml interpolation syntax
        "server:\n  auth:\n    token: ${PLUTO_SECRET_NOT_SET}\n",
      );
      const missing = await runPluto(["serve"], { cwd: other.dir, env });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("PLUTO_SECRET_NOT_SET");
    } finally {
      await other.cleanup();
    }
  });

  it("serve refuses a non-loopback address without a token and says why", async () => {
    const serve = await runPluto(["serve", "--host", "0.0.0.0", "--port", "0"], { cwd: project.dir, env });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain("server.auth.token");
  });

  describe("HTTP edges", () => {
    let server: ServeProcess;
    let other: Awaited<ReturnType<typeof tempProject>>;
    beforeAll(async () => {
      other = await tempProject();
      await writeFile(
        join(other.dir, "pluto.yaml"),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: pluto.yaml interpolation syntax
        "server:\n  max_body_bytes: 2048\n  auth:\n    token: ${TEST_TOKEN}\n",
      );
      const withToken = { ...env, TEST_TOKEN: "secret-token-123" };
      expect((await runPluto(["init", "web"], { cwd: other.dir, env: withToken })).code).toBe(0);
      server = await startServe({ cwd: other.dir, env: withToken });
    });
    afterAll(async () => {
      await server?.stop();
      await other?.cleanup();
    });
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer secret-token-123", ...headers },
        body,
      });

    it("requires the bearer token on the API but not on health checks", async () => {
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const none = await fetch(`${server.url}/api/v1/agents`);
      expect(none.status).toBe(401);
      expect((await jsonOf(none)).error.code).toBe("UNAUTHORIZED");
      const wrong = await fetch(`${server.url}/api/v1/agents`, { headers: { authorization: "Bearer nope" } });
      expect(wrong.status).toBe(401);
      const query = await fetch(`${server.url}/api/v1/agents?token=secret-token-123`);
      expect(query.status).toBe(401);
      const right = await fetch(`${server.url}/api/v1/agents`, {
        headers: { authorization: "Bearer secret-token-123" },
      });
      expect(right.status).toBe(200);
    });

    it("answers malformed, oversized and hostile bodies with the error format", async () => {
      const malformed = await post("/api/v1/agents/web/runs", "{not json");
      expect(malformed.status).toBe(400);
      expect((await jsonOf(malformed)).error.code).toBe("BAD_REQUEST");
      const oversized = await post("/api/v1/agents/web/runs", JSON.stringify({ input: "x".repeat(10_000) }));
      expect(oversized.status).toBe(413);
      expect((await jsonOf(oversized)).error.code).toBe("PAYLOAD_TOO_LARGE");
      const unknown = await post("/api/v1/agents/nope/runs", JSON.stringify({ input: "hi" }));
      expect(unknown.status).toBe(404);
      const body = await jsonOf(unknown);
      expect(body.error.code).toBe("AGENT_NOT_FOUND");
      expect(JSON.stringify(body.error)).toContain("web");
      const traversal = await post(
        "/api/v1/agents/web/runs",
        JSON.stringify({ input: "hi", session_id: "../../etc" }),
      );
      expect(traversal.status).toBe(400);
      expect((await jsonOf(traversal)).error.code).toBe("INVALID_NAME");
      const dotted = await post("/api/v1/agents/..%2F..%2Fetc/runs", JSON.stringify({ input: "hi" }));
      expect([400, 404]).toContain(dotted.status);
      const wrongType = await post("/api/v1/agents/web/runs", JSON.stringify({ input: 42 }));
      expect(wrongType.status).toBe(400);
      const array = await post("/api/v1/agents/web/runs", "[]");
      expect(array.status).toBe(400);
      const missingSession = await fetch(`${server.url}/api/v1/sessions/nope/events`, {
        headers: { authorization: "Bearer secret-token-123" },
      });
      expect(missingSession.status).toBe(404);
    });
  });
});
