import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { lastUserText } from "../../runs/run-harness.js";
import { agentFixture } from "../../support/agent-fixture.js";
import { corpusPath } from "../../support/corpus.js";
import { deferred, scriptedStream } from "../../support/scripted-step.js";
import {
  type ArtifactJson,
  createAgentProtocolHarness,
  json,
  type PaginationJson,
  type StepJson,
  type TaskJson,
  upload,
} from "./agent-protocol-harness.js";

/**
 * The checks of the Agent Protocol's official compliance collection (`testing_suite/agent_protocol_v1.json`
 * of AI-Engineer-Foundation/agent-protocol), written as Pluto tests against both mount points. Every
 * response is validated against the spec's schemas by the harness.
 */

const examples = corpusPath("agent-protocol/examples");
const example = (name: string) => readFileSync(resolve(examples, name), "utf8");

for (const prefix of ["/ap/v1", "/api/v1"]) {
  describe(`Agent Protocol compliance at ${prefix}`, () => {
    const tasksPath = `${prefix}/agent/tasks`;

    it("lists tasks (empty at first) with a pagination object", async () => {
      const { request } = createAgentProtocolHarness({ streamStep: scriptedStream().streamStep });
      const { status, body } = await request<{ tasks: TaskJson[]; pagination: PaginationJson }>(
        "GET",
        tasksPath,
      );
      expect(status).toBe(200);
      expect(body).toEqual({
        tasks: [],
        pagination: { total_items: 0, total_pages: 0, current_page: 1, page_size: 10 },
      });
    });

    it("creates a task with input and additional_input (the collection's body) and answers 200", async () => {
      const { request, tasks } = createAgentProtocolHarness({ streamStep: scriptedStream().streamStep });
      const created = await request<TaskJson>("POST", tasksPath, json(example("create-task.request.json")));
      expect(created.status).toBe(200);
      expect(created.body).toEqual({
        task_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        input: "Write the word 'Washington' to a .txt file",
        additional_input: { test_run_id: "123" },
        artifacts: [],
      });
      const minimal = await request<TaskJson>(
        "POST",
        tasksPath,
        json(example("create-task-minimal.request.json")),
      );
      expect(minimal.body).toMatchObject({
        input: "Write the word 'Washington' to a .txt file",
        additional_input: {},
      });
      const stored = await tasks.get("default", "agent-protocol", created.body.task_id);
      expect(stored).toMatchObject({ agent: "test-agent", session: created.body.task_id, version: 1 });
      const listed = await request<{ tasks: TaskJson[] }>("GET", tasksPath);
      expect(listed.body.tasks.map((task) => task.task_id)).toEqual([
        created.body.task_id,
        minimal.body.task_id,
      ]);
    });

    it("executes two steps, then a step after the last one, all 200; the steps are listed and fetched", async () => {
      const script = scriptedStream([
        { text: "Wrote output.txt" },
        { text: "Done already" },
        { text: "Still done" },
      ]);
      const { request } = createAgentProtocolHarness({ streamStep: script.streamStep });
      const task = (
        await request<TaskJson>("POST", tasksPath, json(example("create-task-minimal.request.json")))
      ).body;
      const stepsPath = `${tasksPath}/${task.task_id}/steps`;

      const first = await request<StepJson>("POST", stepsPath, json({ input: task.input }));
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({
        task_id: task.task_id,
        step_id: expect.stringMatching(/^run_/),
        name: "Write the word 'Washington' to a .txt file",
        status: "completed",
        input: "Write the word 'Washington' to a .txt file",
        output: "Wrote output.txt",
        additional_output: {
          status: "completed",
          usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
        },
        artifacts: [],
        is_last: true,
      });
      const second = await request<StepJson>("POST", stepsPath, json(example("execute-step.request.json")));
      expect(second.body).toMatchObject({
        status: "completed",
        input: "y",
        output: "Done already",
        is_last: true,
      });
      const after = await request<StepJson>("POST", stepsPath, { method: "POST" });
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ status: "completed", input: "continue", output: "Still done" });
      expect(script.requests.map(lastUserText)).toEqual([
        "Write the word 'Washington' to a .txt file",
        "y",
        "continue",
      ]);
      // One session: the third turn saw the whole conversation.
      expect(script.requests[2]?.messages.filter((message) => message.role === "user")).toHaveLength(3);

      const listed = await request<{ steps: StepJson[]; pagination: PaginationJson }>("GET", stepsPath);
      expect(listed.body.steps.map((step) => step.step_id)).toEqual([
        first.body.step_id,
        second.body.step_id,
        after.body.step_id,
      ]);
      expect(listed.body.steps[0]).toEqual(first.body);
      expect(listed.body.pagination).toEqual({
        total_items: 3,
        total_pages: 1,
        current_page: 1,
        page_size: 10,
      });
      const paged = await request<{ steps: StepJson[]; pagination: PaginationJson }>(
        "GET",
        `${stepsPath}?page_size=2&current_page=2`,
      );
      expect(paged.body.steps.map((step) => step.step_id)).toEqual([after.body.step_id]);
      expect(paged.body.pagination).toEqual({
        total_items: 3,
        total_pages: 2,
        current_page: 2,
        page_size: 2,
      });
      const one = await request<StepJson>("GET", `${stepsPath}/${second.body.step_id}`);
      expect(one.body).toEqual(second.body);
    });

    it("sends the task's input when the first step has no input, and keeps a step's additional_input", async () => {
      const script = scriptedStream([{ text: "first" }, { text: "second" }]);
      const { request } = createAgentProtocolHarness({ streamStep: script.streamStep });
      const task = (await request<TaskJson>("POST", tasksPath, json({ input: "Summarise the report" }))).body;
      const stepsPath = `${tasksPath}/${task.task_id}/steps`;
      const first = await request<StepJson>("POST", stepsPath, json({}));
      expect(first.body.input).toBe("Summarise the report");
      const second = await request<StepJson>(
        "POST",
        stepsPath,
        json({ input: null, additional_input: { file_to_refactor: "models.py" } }),
      );
      expect(second.body).toMatchObject({
        input: "continue",
        additional_input: { file_to_refactor: "models.py" },
      });
      expect((await request<StepJson>("GET", `${stepsPath}/${second.body.step_id}`)).body).toEqual(
        second.body,
      );
      expect(script.requests.map(lastUserText)).toEqual(["Summarise the report", "continue"]);
    });

    it("answers GET task and the task list within 500 ms while a step is running", async () => {
      const gate = deferred();
      const script = scriptedStream([{ text: "slow answer", gate: gate.promise }]);
      const { request, runs } = createAgentProtocolHarness({ streamStep: script.streamStep });
      const task = (await request<TaskJson>("POST", tasksPath, json(example("create-task.request.json"))))
        .body;
      const running = request<StepJson>("POST", `${tasksPath}/${task.task_id}/steps`, json({ input: "go" }));
      await expect.poll(() => script.requests.length).toBe(1);
      expect(runs.activeCount).toBe(1);

      const startedAt = performance.now();
      const got = await request<TaskJson>("GET", `${tasksPath}/${task.task_id}`);
      expect(performance.now() - startedAt).toBeLessThan(500);
      expect(got.status).toBe(200);
      expect(Object.keys(got.body)).toEqual(
        expect.arrayContaining(["task_id", "input", "additional_input", "artifacts"]),
      );
      expect(got.body).toEqual(task);

      const listStartedAt = performance.now();
      const listed = await request<{ tasks: TaskJson[] }>("GET", tasksPath);
      expect(performance.now() - listStartedAt).toBeLessThan(500);
      expect(listed.body.tasks).toEqual([task]);

      const steps = await request<{ steps: StepJson[] }>("GET", `${tasksPath}/${task.task_id}/steps`);
      expect(steps.body.steps).toEqual([
        expect.objectContaining({
          status: "running",
          output: null,
          is_last: false,
          additional_output: { status: "running" },
        }),
      ]);

      gate.resolve();
      const step = await running;
      expect(step.body).toMatchObject({ status: "completed", output: "slow answer", is_last: true });
    });

    it("pages tasks: with two tasks, ?page_size=1&current_page=1 returns one task and page_size 1", async () => {
      const { request } = createAgentProtocolHarness({ streamStep: scriptedStream().streamStep });
      const first = (await request<TaskJson>("POST", tasksPath, json({ input: "one" }))).body;
      const second = (await request<TaskJson>("POST", tasksPath, json({ input: "two" }))).body;
      const page = await request<{ tasks: TaskJson[]; pagination: PaginationJson }>(
        "GET",
        `${tasksPath}?page_size=1&current_page=1`,
      );
      expect(page.status).toBe(200);
      expect(page.body.tasks).toHaveLength(1);
      expect(page.body.pagination).toEqual({ total_items: 2, total_pages: 2, current_page: 1, page_size: 1 });
      const next = await request<{ tasks: TaskJson[] }>("GET", `${tasksPath}?page_size=1&current_page=2`);
      expect([page.body.tasks[0]?.task_id, next.body.tasks[0]?.task_id].sort()).toEqual(
        [first.task_id, second.task_id].sort(),
      );
      const beyond = await request<{ tasks: TaskJson[]; pagination: PaginationJson }>(
        "GET",
        `${tasksPath}?current_page=9`,
      );
      expect(beyond.body).toEqual({
        tasks: [],
        pagination: { total_items: 2, total_pages: 1, current_page: 9, page_size: 10 },
      });
    });

    it("uploads a file with and without relative_path and downloads its exact bytes", async () => {
      const { request, artifacts } = createAgentProtocolHarness({ streamStep: scriptedStream().streamStep });
      const task = (await request<TaskJson>("POST", tasksPath, json({ input: "use the files" }))).body;
      const artifactsPath = `${tasksPath}/${task.task_id}/artifacts`;
      const bytes = new Uint8Array(256).map((_, index) => index);

      const plain = await request<ArtifactJson>("POST", artifactsPath, upload(bytes, "data.bin"));
      expect(plain.status).toBe(200);
      expect(plain.body).toEqual({
        artifact_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        agent_created: false,
        file_name: "data.bin",
        relative_path: null,
      });
      const nested = await request<ArtifactJson>(
        "POST",
        artifactsPath,
        upload("print('hi')\n", "main.py", "python/code/"),
      );
      expect(nested.body).toMatchObject({
        file_name: "main.py",
        relative_path: "python/code/",
        agent_created: false,
      });

      const download = await request<Uint8Array>("GET", `${artifactsPath}/${plain.body.artifact_id}`);
      expect(download.status).toBe(200);
      expect(Buffer.from(download.body).equals(Buffer.from(bytes))).toBe(true);
      expect(download.headers.get("content-type")).toBe("application/octet-stream");
      expect(download.headers.get("content-disposition")).toBe(
        `attachment; filename="data.bin"; filename*=UTF-8''data.bin`,
      );
      const script = await request<Uint8Array>("GET", `${artifactsPath}/${nested.body.artifact_id}`);
      expect(new TextDecoder().decode(script.body)).toBe("print('hi')\n");

      const listed = await request<{ artifacts: ArtifactJson[]; pagination: PaginationJson }>(
        "GET",
        artifactsPath,
      );
      expect(listed.body).toEqual({
        artifacts: [plain.body, nested.body],
        pagination: { total_items: 2, total_pages: 1, current_page: 1, page_size: 10 },
      });
      const page = await request<{ artifacts: ArtifactJson[] }>(
        "GET",
        `${artifactsPath}?page_size=1&current_page=2`,
      );
      expect(page.body.artifacts).toEqual([nested.body]);
      expect((await request<TaskJson>("GET", `${tasksPath}/${task.task_id}`)).body.artifacts).toEqual([
        plain.body,
        nested.body,
      ]);
      const stored = await artifacts.list({ tenant: "default", agent: "test-agent" });
      expect(stored.map((info) => info.name).sort()).toEqual(
        [
          `tasks/${task.task_id}/${plain.body.artifact_id}/data.bin`,
          `tasks/${task.task_id}/${nested.body.artifact_id}/main.py`,
        ].sort(),
      );
    });
  });
}

describe("Agent Protocol steps and Pluto runs", () => {
  it("answers 200 for a failed run: status completed, is_last false, the error in additional_output", async () => {
    const { request } = createAgentProtocolHarness({
      streamStep: scriptedStream([{ text: "recovered" }]).streamStep,
      agents: [agentFixture()],
    });
    const task = (await request<TaskJson>("POST", "/ap/v1/agent/tasks", json({ input: "x" }))).body;
    const stepsPath = `/ap/v1/agent/tasks/${task.task_id}/steps`;
    const ok = await request<StepJson>("POST", stepsPath, json({ input: "hello" }));
    expect(ok.body.is_last).toBe(true);
    // The script is exhausted: the next run fails with MODEL_ERROR.
    const failed = await request<StepJson>("POST", stepsPath, json({ input: "again" }));
    expect(failed.status).toBe(200);
    expect(failed.body).toMatchObject({
      status: "completed",
      is_last: false,
      output: "",
      additional_output: { status: "failed", error: { code: "MODEL_ERROR" } },
    });
    const listed = await request<{ steps: StepJson[] }>("GET", stepsPath);
    expect(listed.body.steps.map((step) => step.additional_output.status)).toEqual(["completed", "failed"]);
  });

  it("lists the files the agent wrote during a step as agent-created artifacts of that step", async () => {
    const script = scriptedStream([
      {
        toolCalls: [
          {
            toolCallId: "call-1",
            toolName: "artifact_write",
            input: { name: "out/output.txt", content: "Washington" },
          },
        ],
      },
      { text: "Wrote out/output.txt" },
    ]);
    const { request } = createAgentProtocolHarness({
      streamStep: script.streamStep,
      artifactWriteTool: true,
    });
    const task = (await request<TaskJson>("POST", "/ap/v1/agent/tasks", json({ input: "write it" }))).body;
    const step = await request<StepJson>("POST", `/ap/v1/agent/tasks/${task.task_id}/steps`, json({}));
    expect(step.body.output).toBe("Wrote out/output.txt");
    expect(step.body.artifacts).toEqual([
      {
        artifact_id: expect.any(String),
        agent_created: true,
        file_name: "output.txt",
        relative_path: "out/",
      },
    ]);
    const artifactId = step.body.artifacts[0]?.artifact_id ?? "";
    const download = await request<Uint8Array>(
      "GET",
      `/api/v1/agent/tasks/${task.task_id}/artifacts/${artifactId}`,
    );
    expect(new TextDecoder().decode(download.body)).toBe("Washington");
    const got = await request<TaskJson>("GET", `/ap/v1/agent/tasks/${task.task_id}`);
    expect(got.body.artifacts).toEqual(step.body.artifacts);
    const again = await request<StepJson>(
      "GET",
      `/ap/v1/agent/tasks/${task.task_id}/steps/${step.body.step_id}`,
    );
    expect(again.body.artifacts).toEqual(step.body.artifacts);
  });
});
