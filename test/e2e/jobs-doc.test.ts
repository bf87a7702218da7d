import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { runPluto, type ServeProcess, startServe, tempProject } from "../support/pluto-process.js";

const run = promisify(execFile);

/** The curl commands of docs/jobs.md "Quick start" (continuation lines joined), in order. */
async function quickStartCommands(): Promise<string[]> {
  const docs = await readFile(resolve(import.meta.dirname, "../../docs/jobs.md"), "utf8");
  const block = /## Quick start\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(docs)?.[1] ?? "";
  const commands: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const last = commands.at(-1);
    if (last?.endsWith("\\")) commands[commands.length - 1] = `${last.slice(0, -1)}${line}`;
    else commands.push(line);
  }
  return commands;
}

/**
 * docs/jobs.md "Quick start": its curl lines run verbatim against `pluto serve` (only the host and port
 * are this server's, and `job_…` the id the first answer gave), and each answer is what its comment says.
 */
describe("docs/jobs.md quick start", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-jobs-doc", OPENAI_BASE_URL: `${fake.url}/v1` };
    const init = await runPluto(["init"], { cwd: project.dir, env });
    expect(init.code, init.stderr).toBe(0);
    server = await startServe({ cwd: project.dir, env });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await project?.cleanup();
  });

  it("creates a job that waits for approval, approves it, reads it and its events, pauses and resumes", async () => {
    const commands = await quickStartCommands();
    expect(commands[0]).toMatch(/^pluto serve/);
    const curls = commands.slice(1);
    expect(curls).toHaveLength(6);
    fake.enqueue({ text: "Your notes, summarised." });
    const host = new URL(server.url).host;
    let jobId = "";
    const answer = async (command: string): Promise<Record<string, unknown>> => {
      const line = command.split("  #")[0]!.replaceAll("localhost:7400", host).replaceAll("job_…", jobId);
      const { stdout } = await run("bash", ["-c", line]);
      return JSON.parse(stdout) as Record<string, unknown>;
    };

    const created = await answer(curls[0]!);
    expect(created).toMatchObject({ status: "needs_approval", agent: "assistant" });
    jobId = String(created.id);
    expect(jobId).toMatch(/^job_/);
    expect(created.session_id).toBe(jobId);

    expect((await answer(curls[1]!)).status).toMatch(/^(queued|running|completed)$/);
    let job = await answer(curls[2]!);
    for (let tries = 0; job.status !== "completed" && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      job = await answer(curls[2]!);
    }
    expect(job).toMatchObject({ status: "completed", output: "Your notes, summarised." });

    const events = (await answer(curls[3]!)) as unknown as { events?: { type: string }[] };
    const types = (Array.isArray(events) ? events : (events.events ?? [])).map((event) => event.type);
    expect(types).toContain("run-end");

    expect(await answer(curls[4]!)).toMatchObject({ paused: true });
    expect(await answer(curls[5]!)).toMatchObject({ paused: false });
  });
});
