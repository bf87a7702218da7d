import { afterEach, describe, expect, it } from "vitest";
import { createApiKey } from "../../../src/services/auth/api-keys.js";
import { InMemoryApiKeyStore } from "../../../src/services/auth/in-memory-api-key-store.js";
import { FsTaskStore } from "../../../src/services/task/fs-task-store.js";
import { tempDataDir } from "../../services/temp-dir.js";
import { agentFixture } from "../../support/agent-fixture.js";
import { scriptedStream } from "../../support/scripted-step.js";
import {
  type ArtifactJson,
  createAgentProtocolHarness,
  json,
  type PaginationJson,
  type StepJson,
  type TaskJson,
  upload,
} from "./agent-protocol-harness.js";

interface ErrorJson {
  error: { code: string; message: string; details?: Record<string, unknown> };
  message?: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
});

async function withTask(
  options: Parameters<typeof createAgentProtocolHarness>[0] = { streamStep: scriptedStream().streamStep },
) {
  const harness = createAgentProtocolHarness(options);
  const task = (await harness.request<TaskJson>("POST", "/ap/v1/agent/tasks", json({ input: "hi" }))).body;
  return { ...harness, task };
}

describe("Agent Protocol: malformed, oversized and hostile requests change nothing", () => {
  it("rejects bad task bodies with 400 in Pluto's error format and creates no task", async () => {
    const { request, tasks } = createAgentProtocolHarness({ streamStep: scriptedStream().streamStep });
    const bad: RequestInit[] = [
      json("{not json"),
      json("[1, 2]"),
      json({ input: 42 }),
      json({ input: "ok", additional_input: [1] }),
      json({ input: "ok", additional_input: "text" }),
      json({ input: "x".repeat(200_001) }),
      { headers: { "content-type": "text/plain" }, body: JSON.stringify({ input: "hi" }) },
      { headers: { "content-type": "application/x-www-form-urlencoded" }, body: "input=hi" },
    ];
    const harnessWithRoom = createAgentProtocolHarness({
      streamStep: scriptedStream().streamStep,
      maxBodyBytes: 1_000_000,
    });
    for (const init of bad) {
      const target = init === bad[5] ? harnessWithRoom : { request, tasks };
      const response = await target.request<ErrorJson>("POST", "/ap/v1/agent/tasks", init);
      expect(response.status, String(init.body).slice(0, 40)).toBe(400);
      expect(response.body.error.code).toBe("BAD_REQUEST");
      expect(response.body.message).toBe(response.body.error.message);
      expect((await target.tasks.list("default", "agent-protocol")).total).toBe(0);
    }
  });

  it("answers 413 for an oversized body and 400 for bad step bodies, running nothing", async () => {
    const script = scriptedStream();
    const { request, task, tasks, sessions } = await withTask({
      streamStep: script.streamStep,
      maxBodyBytes: 1024,
    });
    const tooBig = await request<ErrorJson>("POST", "/ap/v1/agent/tasks", json({ input: "x".repeat(2000) }));
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe("PAYLOAD_TOO_LARGE");
    const stepsPath = `/ap/v1/agent/tasks/${task.task_id}/steps`;
    const bigStep = await request<ErrorJson>("POST", stepsPath, json({ input: "x".repeat(2000) }));
    expect(bigStep.status).toBe(413);
    for (const init of [json("{"), json({ input: ["a"] }), json({ additional_input: 5 })]) {
      const response = await request<ErrorJson>("POST", stepsPath, init);
      expect(response.status).toBe(400);
    }
    expect(script.requests).toHaveLength(0);
    expect(
      await sessions.info({ tenant: "default", agent: "test-agent", session: task.task_id }),
    ).toBeUndefined();
    expect((await tasks.list("default", "agent-protocol")).total).toBe(1);
  });

  it("answers 404 with the spec's message for unknown and hostile task, step and artifact ids", async () => {
    const { request, task } = await withTask();
    const base = "/ap/v1/agent/tasks";
    for (const id of ["nope", "%2E%2E%2F%2E%2E%2Fetc", "a%00b", "x".repeat(300), "%2Fetc%2Fpasswd"]) {
      for (const [method, path, init] of [
        ["GET", `${base}/${id}`, {}],
        ["GET", `${base}/${id}/steps`, {}],
        ["POST", `${base}/${id}/steps`, json({ input: "hi" })],
        ["GET", `${base}/${id}/steps/run_1`, {}],
        ["GET", `${base}/${id}/artifacts`, {}],
        ["POST", `${base}/${id}/artifacts`, upload("x", "x.txt")],
        ["GET", `${base}/${id}/artifacts/a1`, {}],
      ] as const) {
        const response = await request<ErrorJson>(method, path, init);
        expect(response.status, `${method} ${path}`).toBe(404);
        expect(response.body.error.code).toBe("NOT_FOUND");
        expect(response.body.message).toContain("No task");
      }
    }
    const step = await request<ErrorJson>("GET", `${base}/${task.task_id}/steps/run_missing`);
    expect(step.status).toBe(404);
    expect(step.body.error.details).toMatchObject({ step_id: "run_missing" });
    const artifact = await request<ErrorJson>("GET", `${base}/${task.task_id}/artifacts/%2E%2E%2F%2E%2E%2Fx`);
    expect(artifact.status).toBe(404);
    const missing = await request<ErrorJson>("GET", `${base}/${task.task_id}/artifacts/missing`);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("ARTIFACT_NOT_FOUND");
  });

  it("rejects path-escaping file names and relative paths with 400 and stores nothing", async () => {
    const { request, task, artifacts, tasks } = await withTask();
    const artifactsPath = `/ap/v1/agent/tasks/${task.task_id}/artifacts`;
    const cases: [string, string | undefined][] = [
      ["..", undefined],
      [".", undefined],
      ["a\\..\\b.txt", undefined],
      ["ok.txt", "../outside"],
      ["ok.txt", "/etc"],
      ["ok.txt", "a/../../b"],
      ["ok.txt", "a//b"],
      ["ok.txt", "./a"],
      ["ok.txt", "C:\\windows"],
      ["ok.txt", "a\\b"],
      ["ok.txt", "a\u0000b"],
      ["ok.txt", "x/".repeat(300)],
    ];
    for (const [fileName, relativePath] of cases) {
      const response = await request<ErrorJson>(
        "POST",
        artifactsPath,
        upload("bytes", fileName, relativePath),
      );
      expect(response.status, `${fileName} ${relativePath}`).toBe(400);
      expect(response.body.error.code).toBe("INVALID_NAME");
    }
    const noFile = new FormData();
    noFile.append("relative_path", "a/");
    noFile.append("file", "just text, not a file part");
    const wrong = [
      { body: noFile },
      json({ file: "x" }),
      { headers: { "content-type": "multipart/form-data; boundary=zzz" }, body: "--zzz\r\ngarbage" },
    ];
    for (const init of wrong) {
      const response = await request<ErrorJson>("POST", artifactsPath, init);
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe("BAD_REQUEST");
    }
    expect(await artifacts.list({ tenant: "default", agent: "test-agent" })).toEqual([]);
    expect((await tasks.get("default", "agent-protocol", task.task_id))?.data).toMatchObject({
      artifacts: [],
    });
  });

  it("keeps an unusual but harmless file name exactly and stores it under a safe name", async () => {
    const { request, task, artifacts } = await withTask();
    const artifactsPath = `/ap/v1/agent/tasks/${task.task_id}/artifacts`;
    const created = await request<ArtifactJson>(
      "POST",
      artifactsPath,
      upload("pdf", "résumé 2024 (final).pdf", "docs/"),
    );
    expect(created.body).toMatchObject({ file_name: "résumé 2024 (final).pdf", relative_path: "docs/" });
    const download = await request<Uint8Array>("GET", `${artifactsPath}/${created.body.artifact_id}`);
    expect(download.headers.get("content-disposition")).toBe(
      `attachment; filename="r_sum_ 2024 (final).pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024%20%28final%29.pdf`,
    );
    const [info] = await artifacts.list({ tenant: "default", agent: "test-agent" });
    expect(info?.name).toBe(`tasks/${task.task_id}/${created.body.artifact_id}/r_sum__2024__final_.pdf`);
  });

  it("rejects bad pagination parameters with 400 and caps page_size at 100", async () => {
    const { request, task } = await withTask();
    for (const query of [
      "page_size=0",
      "page_size=-1",
      "page_size=abc",
      "current_page=0",
      "current_page=1.5",
      "page_size=1e3",
    ]) {
      for (const path of [
        "/ap/v1/agent/tasks",
        `/ap/v1/agent/tasks/${task.task_id}/steps`,
        `/ap/v1/agent/tasks/${task.task_id}/artifacts`,
      ]) {
        const response = await request<ErrorJson>("GET", `${path}?${query}`);
        expect(response.status, `${path}?${query}`).toBe(400);
      }
    }
    const capped = await request<{ pagination: PaginationJson }>("GET", "/ap/v1/agent/tasks?page_size=5000");
    expect(capped.body.pagination).toEqual({
      total_items: 1,
      total_pages: 1,
      current_page: 1,
      page_size: 100,
    });
  });
});

describe("Agent Protocol: which agent runs a task", () => {
  const agents = [agentFixture({ name: "writer" }), agentFixture({ name: "coder" })];

  it("needs a name when the tenant has several agents, and lists them in the 400", async () => {
    const { request, tasks } = createAgentProtocolHarness({
      streamStep: scriptedStream().streamStep,
      agents,
    });
    const response = await request<ErrorJson>("POST", "/ap/v1/agent/tasks", json({ input: "hi" }));
    expect(response.status).toBe(400);
    expect(response.body.error.message).toContain("x-pluto-agent");
    expect(response.body.error.message).toContain("writer, coder");
    expect(response.body.error.details).toEqual({ agents: ["writer", "coder"] });
    expect((await tasks.list("default", "agent-protocol")).total).toBe(0);
  });

  it("takes the x-pluto-agent header, then additional_input.agent, then the default agent", async () => {
    const { request, tasks } = createAgentProtocolHarness({
      streamStep: scriptedStream().streamStep,
      agents,
      defaultAgent: "writer",
    });
    const byHeader = await request<TaskJson>(
      "POST",
      "/ap/v1/agent/tasks",
      json({ input: "a", additional_input: { agent: "writer" } }, { "x-pluto-agent": "coder" }),
    );
    const byBody = await request<TaskJson>(
      "POST",
      "/ap/v1/agent/tasks",
      json({ input: "b", additional_input: { agent: "coder" } }),
    );
    const byDefault = await request<TaskJson>("POST", "/ap/v1/agent/tasks", json({ input: "c" }));
    const agentOf = async (task: TaskJson) =>
      (await tasks.get("default", "agent-protocol", task.task_id))?.agent;
    expect(await agentOf(byHeader.body)).toBe("coder");
    expect(await agentOf(byBody.body)).toBe("coder");
    expect(await agentOf(byDefault.body)).toBe("writer");
    const unknown = await request<ErrorJson>(
      "POST",
      "/ap/v1/agent/tasks",
      json({ input: "d" }, { "x-pluto-agent": "nobody" }),
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("AGENT_NOT_FOUND");
    const hostile = await request<ErrorJson>(
      "POST",
      "/ap/v1/agent/tasks",
      json({ additional_input: { agent: "../x" } }),
    );
    expect(hostile.status).toBe(404);
    const notString = await request<ErrorJson>(
      "POST",
      "/ap/v1/agent/tasks",
      json({ additional_input: { agent: 7 } }),
    );
    expect(notString.status).toBe(400);
    expect((await tasks.list("default", "agent-protocol")).total).toBe(3);
  });
});

describe("Agent Protocol: tenants", () => {
  it("never shows or touches another tenant's task, steps or artifacts (404), and lists only the caller's", async () => {
    const apiKeys = new InMemoryApiKeyStore();
    const acme = (await createApiKey(apiKeys, { tenant: "acme", role: "member" })).token;
    const globex = (await createApiKey(apiKeys, { tenant: "globex", role: "member" })).token;
    const script = scriptedStream([{ text: "acme answer" }]);
    const { request, tasks, artifacts } = createAgentProtocolHarness({
      streamStep: script.streamStep,
      apiKeys,
    });
    const as = (token: string, init: RequestInit = {}): RequestInit => ({
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
    });
    const anonymous = await request<ErrorJson>("GET", "/ap/v1/agent/tasks");
    expect(anonymous.status).toBe(401);

    const task = (await request<TaskJson>("POST", "/ap/v1/agent/tasks", as(acme, json({ input: "secret" }))))
      .body;
    const step = (
      await request<StepJson>("POST", `/ap/v1/agent/tasks/${task.task_id}/steps`, as(acme, json({})))
    ).body;
    const artifact = (
      await request<ArtifactJson>(
        "POST",
        `/ap/v1/agent/tasks/${task.task_id}/artifacts`,
        as(acme, upload("s3cret", "s.txt")),
      )
    ).body;
    expect(step.output).toBe("acme answer");

    const base = `/api/v1/agent/tasks/${task.task_id}`;
    for (const [method, path, init] of [
      ["GET", base, {}],
      ["GET", `${base}/steps`, {}],
      ["POST", `${base}/steps`, json({ input: "leak?" })],
      ["GET", `${base}/steps/${step.step_id}`, {}],
      ["GET", `${base}/artifacts`, {}],
      ["POST", `${base}/artifacts`, upload("x", "x.txt")],
      ["GET", `${base}/artifacts/${artifact.artifact_id}`, {}],
    ] as const) {
      const response = await request<ErrorJson>(method, path, as(globex, init));
      expect(response.status, `${method} ${path}`).toBe(404);
    }
    expect(
      (await request<{ tasks: TaskJson[] }>("GET", "/ap/v1/agent/tasks", as(globex))).body.tasks,
    ).toEqual([]);
    expect(
      (await request<{ tasks: TaskJson[] }>("GET", "/ap/v1/agent/tasks", as(acme))).body.tasks,
    ).toHaveLength(1);
    expect(script.requests).toHaveLength(1);
    expect((await tasks.get("acme", "agent-protocol", task.task_id))?.data).toMatchObject({
      artifacts: [expect.objectContaining({ artifact_id: artifact.artifact_id })],
    });
    expect(await artifacts.list({ tenant: "globex", agent: "test-agent" })).toEqual([]);
    expect(await tasks.list("globex", "agent-protocol")).toEqual({ tasks: [], total: 0 });
  });
});

describe("Agent Protocol over the filesystem task store", () => {
  it("keeps tasks as files and serves them from a new app on the same data directory", async () => {
    const { dataDir, cleanup } = await tempDataDir("ap-tasks");
    cleanups.push(cleanup);
    const first = createAgentProtocolHarness({
      streamStep: scriptedStream([{ text: "one" }]).streamStep,
      tasks: new FsTaskStore({ dataDir, fsync: "never" }),
    });
    const task = (await first.request<TaskJson>("POST", "/ap/v1/agent/tasks", json({ input: "persist me" })))
      .body;
    await first.request<ArtifactJson>(
      "POST",
      `/ap/v1/agent/tasks/${task.task_id}/artifacts`,
      upload("x", "x.txt"),
    );
    const second = createAgentProtocolHarness({
      streamStep: scriptedStream().streamStep,
      tasks: new FsTaskStore({ dataDir, fsync: "never" }),
    });
    const got = await second.request<TaskJson>("GET", `/ap/v1/agent/tasks/${task.task_id}`);
    expect(got.body).toMatchObject({
      task_id: task.task_id,
      input: "persist me",
      artifacts: [{ file_name: "x.txt" }],
    });
  });
});
