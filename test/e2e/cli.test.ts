import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import {
  jsonOf,
  parseSse,
  runPluto,
  type ServeProcess,
  startServe,
  tempProject,
} from "../support/pluto-process.js";

describe("pluto binary end to end: init → validate → run → chat → serve", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    env = { OPENAI_API_KEY: "sk-test-e2e", OPENAI_BASE_URL: `${fake.url}/v1` };
  });
  afterAll(async () => {
    await fake?.close();
    await project?.cleanup();
  });

  it("prints its version and help quickly", async () => {
    const version = await runPluto(["--version"], { cwd: project.dir });
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const command of ["init", "validate", "run", "chat", "serve"]) {
      const help = await runPluto([command, "--help"], { cwd: project.dir });
      expect(help.code, command).toBe(0);
      expect(help.stdout).toContain(`pluto ${command}`);
    }
  });

  it("init scaffolds an agent that validate accepts", async () => {
    const init = await runPluto(["init", "demo"], { cwd: project.dir, env });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('Created agent "demo"');
    const yaml = await readFile(join(project.dir, ".pluto/agents/demo/agent.yaml"), "utf8");
    expect(yaml).toContain("apiVersion: pluto/v1");
    expect(yaml).toMatch(/^#/m);
    const validate = await runPluto(["validate"], { cwd: project.dir, env });
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    const again = await runPluto(["init", "demo"], { cwd: project.dir, env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/i);
  });

  it("run prints the model's answer and records the session as JSONL", async () => {
    fake.enqueue({ text: ["Hello ", "from the ", "fake model."] });
    const run = await runPluto(["run", "demo", "Say hello"], { cwd: project.dir, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("Hello from the fake model.\n");
    const session = /session: (\S+)/.exec(run.stderr)?.[1];
    expect(session).toBeDefined();
    const log = await readFile(join(project.dir, `.pluto/sessions/demo/${session}.jsonl`), "utf8");
    const lines = log
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({ type: "session", id: session, agent: "demo" });
    expect(lines.slice(1).map((event) => event.seq)).toEqual(lines.slice(1).map((_, index) => index + 1));
    expect(lines.at(-1)).toMatchObject({
      type: "run-end",
      status: "completed",
      output: "Hello from the fake model.",
    });
    const sent = fake.requests.at(-1)!;
    expect(sent.path).toBe("/v1/responses");
    expect(sent.headers.authorization).toBe("Bearer sk-test-e2e");
    expect(JSON.stringify(sent.body)).toContain("Say hello");
  });

  it("run --json prints every event as JSONL and continues a session", async () => {
    fake.enqueue({ text: "first" }, { text: "second" });
    const first = await runPluto(["run", "demo", "one", "--json", "--session", "e2e-json"], {
      cwd: project.dir,
      env,
    });
    expect(first.code, first.stderr).toBe(0);
    const events = first.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events.map((event) => event.type)).toEqual([
      "run-start",
      "step-start",
      "text-delta",
      "step-end",
      "run-end",
    ]);
    const second = await runPluto(["run", "demo", "two", "--json", "--session", "e2e-json"], {
      cwd: project.dir,
      env,
    });
    const secondEvents = second.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(secondEvents[0].seq).toBe(6);
    const body = JSON.stringify(fake.requests.at(-1)!.body);
    expect(body).toContain("one");
    expect(body).toContain("first");
  });

  it("run exits non-zero when the model fails", async () => {
    fake.enqueue({
      error: {
        status: 400,
        body: { error: { message: "bad request from fake", type: "invalid_request_error" } },
      },
    });
    const run = await runPluto(["run", "demo", "fail please"], { cwd: project.dir, env });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/Run failed: MODEL_ERROR/);
  });

  it("chat reads messages from stdin, supports /new and /exit", async () => {
    fake.enqueue({ text: "answer one" }, { text: "answer two" }, { text: "answer three" });
    const chat = await runPluto(["chat", "demo"], {
      cwd: project.dir,
      env,
      input: "first question\nsecond question\n/new\nthird question\n/exit\nnever sent\n",
    });
    expect(chat.code, chat.stderr).toBe(0);
    expect(chat.stdout).toContain("answer one\n");
    expect(chat.stdout).toContain("answer two\n");
    expect(chat.stdout).toContain("answer three\n");
    expect(chat.stderr).toContain("Started a new session.");
    const lastBody = JSON.stringify(fake.requests.at(-1)!.body);
    expect(lastBody).toContain("third question");
    expect(lastBody).not.toContain("first question");
    expect(JSON.stringify(fake.requests.map((request) => request.body))).not.toContain("never sent");
  });

  describe("serve", () => {
    let server: ServeProcess;
    beforeAll(async () => {
      server = await startServe({ cwd: project.dir, env });
    });
    afterAll(async () => {
      expect(await server?.stop()).toBe(0);
    });

    it("answers health and agent listing", async () => {
      expect(await jsonOf(await fetch(`${server.url}/healthz`))).toEqual({ status: "ok" });
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const agents = await jsonOf(await fetch(`${server.url}/api/v1/agents`));
      expect(agents.agents.map((agent: { name: string }) => agent.name)).toContain("demo");
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    });

    it("runs over HTTP JSON and SSE, and replays the session", async () => {
      fake.enqueue({ text: "json answer" }, { text: ["sse ", "answer"] });
      const json = await fetch(`${server.url}/api/v1/agents/demo/runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: "over http" }),
      });
      expect(json.status).toBe(200);
      const result = await jsonOf(json);
      expect(result).toMatchObject({ status: "completed", output: "json answer" });

      const sse = await fetch(`${server.url}/api/v1/agents/demo/runs`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ input: "stream it", session_id: result.session_id, stream: true }),
      });
      expect(sse.headers.get("content-type")).toContain("text/event-stream");
      const frames = parseSse(await sse.text());
      expect(frames.map((frame) => frame.event)).toEqual([
        "run-start",
        "step-start",
        "text-delta",
        "text-delta",
        "step-end",
        "run-end",
      ]);
      for (const frame of frames) expect(JSON.parse(frame.data).seq).toBe(Number(frame.id));
      expect(frames[0]!.id).toBe("6");

      const replay = await jsonOf(
        await fetch(`${server.url}/api/v1/sessions/${result.session_id}/events?after=5`),
      );
      expect(replay.events.map((event: { seq: number }) => event.seq)).toEqual([6, 7, 8, 9, 10, 11]);
      const resumed = await fetch(`${server.url}/api/v1/sessions/${result.session_id}/events`, {
        headers: { accept: "text/event-stream", "last-event-id": "9" },
      });
      expect(parseSse(await resumed.text()).map((frame) => frame.id)).toEqual(["10", "11"]);
    });
  });
});
