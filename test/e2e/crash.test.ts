import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { jsonOf, runPluto, type ServeProcess, startServe, tempProject } from "../support/pluto-process.js";

describe("kill -9 of pluto serve in the middle of a streaming run", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let env: Record<string, string>;
  let server: ServeProcess | undefined;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    env = { OPENAI_API_KEY: "sk-test-crash", OPENAI_BASE_URL: `${fake.url}/v1` };
    expect((await runPluto(["init", "crashy"], { cwd: project.dir, env })).code).toBe(0);
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await project?.cleanup();
  });

  it("leaves readable logs, marks the cut-off run, and the session goes on", async () => {
    server = await startServe({ cwd: project.dir, env });
    fake.enqueue({ text: Array.from({ length: 200 }, (_, index) => `chunk${index} `), chunkDelayMs: 20 });
    const response = await fetch(`${server.url}/api/v1/agents/crashy/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "tell me a long story", session_id: "crash-session", stream: true }),
    });
    const reader = response.body!.getReader();
    let received = "";
    while ((received.match(/event: text-delta/g) ?? []).length < 5) {
      const { value, done } = await reader.read();
      if (done) break;
      received += new TextDecoder().decode(value);
    }
    expect(received).toContain("event: run-start");
    await server.kill();
    await reader.cancel().catch(() => {});
    server = undefined;

    const sessionsDir = join(project.dir, ".pluto/sessions/crashy");
    for (const file of await readdir(sessionsDir)) {
      const text = await readFile(join(sessionsDir, file), "utf8");
      const lines = text.split("\n").filter((line) => line !== "");
      // Every complete line parses; at most the final line may be torn by the kill.
      for (const line of lines.slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();
    }

    server = await startServe({ cwd: project.dir, env });
    const replay = await jsonOf(await fetch(`${server.url}/api/v1/sessions/crash-session/events`));
    const events = replay.events as {
      type: string;
      seq: number;
      status?: string;
      error?: { code: string };
    }[];
    expect(events.map((event) => event.seq)).toEqual(events.map((_, index) => index + 1));
    expect(events[0]!.type).toBe("run-start");
    expect(events.some((event) => event.type === "text-delta")).toBe(true);
    expect(events.at(-1)).toMatchObject({
      type: "run-end",
      status: "failed",
      error: { code: "RUN_INTERRUPTED" },
    });

    fake.clear();
    fake.enqueue({ text: "I am back." });
    const next = await fetch(`${server.url}/api/v1/agents/crashy/runs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ input: "are you there?", session_id: "crash-session" }),
    });
    expect(await jsonOf(next)).toMatchObject({ status: "completed", output: "I am back." });
    const log = await readFile(join(project.dir, ".pluto/sessions/crashy/crash-session.jsonl"), "utf8");
    for (const line of log.trim().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
    const sent = JSON.stringify(fake.requests.at(-1)!.body);
    expect(sent).toContain("tell me a long story");
    expect(sent).toContain("are you there?");
  });
});
