import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { Role, type StreamResponse, TaskState } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions } from "@a2a-js/sdk/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateResponse } from "../server/agent-protocol/agent-protocol-spec.js";
import { CORPUS_DIR as CORPUS } from "../support/corpus.js";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import {
  jsonOf,
  parseSse,
  runPluto,
  type ServeProcess,
  startServe,
  tempProject,
} from "../support/pluto-process.js";

/**
 * The four client families of the issue "Standard APIs", each used the way its README shows and
 * unmodified, against one real `pluto serve` (the built binary) with two agents and the fake model:
 * the `openai` npm client, the MCP SDK client over Streamable HTTP, the @a2a-js/sdk client over
 * JSON-RPC and HTTP+JSON (v1.0) plus raw v0.3 JSON-RPC, and the Agent Protocol compliance flow with
 * plain `fetch`. Simple mode (no keys), so no client needs credentials.
 */
describe("standard clients against pluto serve", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    const env = { OPENAI_API_KEY: "sk-test-standard-clients", OPENAI_BASE_URL: `${fake.url}/v1` };
    for (const name of ["alpha", "beta"]) {
      const init = await runPluto(["init", name], { cwd: project.dir, env });
      expect(init.code, init.stderr).toBe(0);
    }
    // The compliance collection's bodies name no agent: the configured default agent takes them.
    await writeFile(join(project.dir, "pluto.yaml"), "server:\n  default_agent: alpha\n");
    server = await startServe({ cwd: project.dir, env });
  }, 60_000);
  afterAll(async () => {
    expect(await server?.stop()).toBe(0);
    expect(server?.stderr() ?? "").not.toMatch(/^error:/m);
    await fake?.close();
    await project?.cleanup();
  });

  describe("the openai npm client", () => {
    it("lists both agents as models and retrieves one", async () => {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "none" });
      const models = await client.models.list();
      expect(models.data.map((model) => model.id).sort()).toEqual(["alpha", "beta"]);
      expect(await client.models.retrieve("beta")).toMatchObject({ id: "beta", object: "model" });
    });

    it("completes without and with streaming in one session keyed by `user`", async () => {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "none" });
      fake.enqueue({ text: "plain answer" }, { text: ["stream", "ed ", "answer"] });
      const completion = await client.chat.completions.create({
        model: "beta",
        user: "carol",
        messages: [
          { role: "system", content: "ignored: the agent's files decide its prompt" },
          { role: "user", content: "first question" },
        ],
      });
      expect(completion.object).toBe("chat.completion");
      expect(completion.model).toBe("beta");
      expect(completion.choices[0]?.message).toMatchObject({ role: "assistant", content: "plain answer" });
      expect(completion.choices[0]?.finish_reason).toBe("stop");
      expect(completion.usage?.total_tokens).toBeGreaterThan(0);
      expect(completion.id).toMatch(/^chatcmpl-run_/);

      const stream = await client.chat.completions.create({
        model: "beta",
        user: "carol",
        messages: [{ role: "user", content: "second question" }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "";
      let finish: string | null | undefined;
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        finish = chunk.choices[0]?.finish_reason ?? finish;
        usage = chunk.usage ?? usage;
      }
      expect(text).toBe("streamed answer");
      expect(finish).toBe("stop");
      expect(usage?.total_tokens).toBeGreaterThan(0);
      // Session beta.carol: the second turn's model request carried the first exchange.
      const history = JSON.stringify(fake.requests.at(-1)?.body);
      expect(history).toContain("first question");
      expect(history).toContain("plain answer");
      expect(history).not.toContain("ignored: the agent's files");
    });

    it("raises the client's own error for an unknown model", async () => {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "none", maxRetries: 0 });
      const failure = await client.chat.completions
        .create({ model: "nobody", messages: [{ role: "user", content: "hi" }] })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OpenAI.NotFoundError);
      expect((failure as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("AGENT_NOT_FOUND");
    });
  });

  describe("the MCP SDK client over Streamable HTTP", () => {
    async function connect(agent: string): Promise<Client> {
      const client = new Client({ name: "e2e-standard-clients", version: "1.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp/${agent}`)));
      return client;
    }

    it("lists send_message, calls it, and serves the artifact the run wrote as a resource", async () => {
      const alpha = await connect("alpha");
      const beta = await connect("beta");
      try {
        expect(alpha.getServerVersion()).toMatchObject({ name: "pluto-alpha" });
        const { tools } = await alpha.listTools();
        expect(tools.map((tool) => tool.name)).toEqual(["send_message", "decide_approval"]);

        fake.enqueue(
          {
            toolCalls: [
              { name: "artifact_write", input: { name: "reports/q1.md", content: "# Q1\nRevenue up.\n" } },
            ],
          },
          { text: "I saved reports/q1.md." },
        );
        const first = (await alpha.callTool({
          name: "send_message",
          arguments: { message: "write the Q1 report" },
        })) as CallToolResult;
        expect(first.isError).toBeFalsy();
        expect(first.content).toEqual([{ type: "text", text: "I saved reports/q1.md." }]);
        const structured = first.structuredContent as { session_id: string; run_id: string; status: string };
        expect(structured).toMatchObject({ status: "completed", run_id: expect.stringMatching(/^run_/) });

        const { resources } = await alpha.listResources();
        const report = resources.find((resource) => resource.name === "reports/q1.md");
        expect(report).toMatchObject({
          uri: "pluto-artifact://alpha/reports/q1.md",
          mimeType: "text/markdown",
        });
        const read = await alpha.readResource({ uri: "pluto-artifact://alpha/reports/q1.md" });
        expect(read.contents).toEqual([
          expect.objectContaining({
            uri: "pluto-artifact://alpha/reports/q1.md",
            text: "# Q1\nRevenue up.\n",
          }),
        ]);
        // Another agent's server neither lists nor reads alpha's artifacts.
        const betaResources = await beta.listResources();
        expect(betaResources.resources.map((resource) => resource.uri)).not.toContain(
          "pluto-artifact://alpha/reports/q1.md",
        );
        await expect(beta.readResource({ uri: "pluto-artifact://alpha/reports/q1.md" })).rejects.toThrow();

        // The same conversation continues through session_id.
        fake.enqueue({ text: "It was up." });
        const second = (await alpha.callTool({
          name: "send_message",
          arguments: { message: "and revenue?", session_id: structured.session_id },
        })) as CallToolResult;
        expect(second.structuredContent).toMatchObject({
          session_id: structured.session_id,
          status: "completed",
        });
        expect(JSON.stringify(fake.requests.at(-1)?.body)).toContain("write the Q1 report");
      } finally {
        await alpha.close();
        await beta.close();
      }
    });

    it("rejects connecting to an unknown agent", async () => {
      const client = new Client({ name: "e2e-standard-clients", version: "1.0.0" });
      await expect(
        client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp/nobody`))),
      ).rejects.toThrow(/AGENT_NOT_FOUND|404/);
    });
  });

  describe.each(["JSONRPC", "HTTP+JSON"] as const)(
    "the @a2a-js/sdk client over %s (A2A v1.0)",
    (transport) => {
      async function client() {
        const factory = new ClientFactory(
          ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { preferredTransports: [transport] }),
        );
        return factory.createFromUrl(server.url, "/a2a/beta/.well-known/agent-card.json");
      }
      function message(text: string, contextId = "") {
        return {
          tenant: "",
          message: {
            messageId: crypto.randomUUID(),
            contextId,
            taskId: "",
            role: Role.ROLE_USER,
            parts: [
              {
                content: { $case: "text" as const, value: text },
                metadata: undefined,
                filename: "",
                mediaType: "text/plain",
              },
            ],
            metadata: undefined,
            extensions: [],
            referenceTaskIds: [],
          },
          configuration: undefined,
          metadata: undefined,
        };
      }

      it("sends a message, gets the task back by id, and streams a second turn in the same context", async () => {
        const a2a = await client();
        expect(a2a.protocolVersion).toBe("1.0");
        fake.enqueue({ text: `answer over ${transport}` });
        const sent = await a2a.sendMessage(message(`hello over ${transport}`));
        if (!("status" in sent)) throw new Error("expected a task, got a message");
        expect(sent.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
        const text = sent.artifacts.flatMap((artifact) => artifact.parts);
        expect(text.at(-1)?.content).toEqual({ $case: "text", value: `answer over ${transport}` });

        const fetched = await a2a.getTask({ tenant: "", id: sent.id, historyLength: undefined });
        expect(fetched).toMatchObject({ id: sent.id, contextId: sent.contextId });
        expect(fetched.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);

        fake.enqueue({ text: ["part one, ", "part two"], chunkDelayMs: 5 });
        const events: StreamResponse[] = [];
        for await (const event of a2a.sendMessageStream(message("stream please", sent.contextId))) {
          events.push(event);
        }
        expect(events[0]?.payload?.$case).toBe("task");
        const last = events.at(-1)?.payload;
        expect(last?.$case === "statusUpdate" && last.value.status?.state).toBe(
          TaskState.TASK_STATE_COMPLETED,
        );
        const final = events.findLast((event) => event.payload?.$case === "artifactUpdate")?.payload;
        expect(final?.$case === "artifactUpdate" && final.value.artifact?.parts[0]?.content).toEqual({
          $case: "text",
          value: "part one, part two",
        });
        // The context is one Pluto session: the streamed turn's model request saw the first turn.
        expect(JSON.stringify(fake.requests.at(-1)?.body)).toContain(`hello over ${transport}`);
      });
    },
  );

  describe("raw A2A v0.3 JSON-RPC with fetch", () => {
    const post = (body: unknown) =>
      fetch(`${server.url}/a2a/beta/jsonrpc`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });

    it("message/send, tasks/get and message/stream answer v0.3 objects", async () => {
      const request = JSON.parse(
        await readFile(resolve(CORPUS, "a2a/v0.3/jsonrpc/message-send.request.json"), "utf8"),
      ) as { params: { message: { messageId: string } } };
      request.params.message.messageId = crypto.randomUUID();
      fake.enqueue({ text: "Why did the chicken cross the road?" });
      const sent = await post(request);
      expect(sent.status).toBe(200);
      const body = await jsonOf(sent);
      expect(body).toMatchObject({
        jsonrpc: "2.0",
        id: 1,
        result: {
          kind: "task",
          status: { state: "completed" },
          artifacts: [{ parts: [{ kind: "text", text: "Why did the chicken cross the road?" }] }],
        },
      });

      const got = await jsonOf(
        await post({ jsonrpc: "2.0", id: "g", method: "tasks/get", params: { id: body.result.id } }),
      );
      expect(got).toMatchObject({
        id: "g",
        result: { kind: "task", id: body.result.id, status: { state: "completed" } },
      });

      const stream = await post({
        jsonrpc: "2.0",
        id: "s",
        method: "message/stream",
        params: {
          message: {
            kind: "message",
            role: "user",
            messageId: crypto.randomUUID(),
            contextId: body.result.contextId,
            parts: [{ kind: "text", text: "another" }],
          },
        },
      });
      expect(stream.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const results = parseSse(await stream.text()).map(
        (frame) =>
          (
            JSON.parse(frame.data) as {
              result: { kind: string; status?: { state: string }; final?: boolean };
            }
          ).result,
      );
      expect(results[0]?.kind).toBe("task");
      expect(results.at(-1)).toMatchObject({
        kind: "status-update",
        status: { state: "completed" },
        final: true,
      });
    });
  });

  describe("the Agent Protocol compliance flow with fetch", () => {
    const example = async (name: string) =>
      readFile(resolve(CORPUS, "agent-protocol/examples", name), "utf8");
    /** One request, with the response validated against the Agent Protocol spec's schemas. */
    async function call<T>(
      method: string,
      path: string,
      init: RequestInit = {},
    ): Promise<{ status: number; body: T }> {
      const response = await fetch(`${server.url}${path}`, { method, ...init });
      const pathname = new URL(path, server.url).pathname;
      return { status: response.status, body: (await validateResponse(method, pathname, response)) as T };
    }
    const jsonBody = (text: string): RequestInit => ({
      headers: { "content-type": "application/json" },
      body: text,
    });

    interface TaskJson {
      task_id: string;
      input: string | null;
      additional_input: unknown;
      artifacts: unknown[];
    }
    interface StepJson {
      step_id: string;
      status: string;
      input: string;
      output: string | null;
      is_last: boolean;
    }
    interface Pagination {
      total_items: number;
      total_pages: number;
      current_page: number;
      page_size: number;
    }

    it("lists, creates, runs two steps and one after the last, and pages tasks", async () => {
      const before = await call<{ tasks: TaskJson[]; pagination: Pagination }>("GET", "/ap/v1/agent/tasks");
      expect(before.status).toBe(200);
      expect(before.body.pagination).toMatchObject({ current_page: 1, page_size: 10 });

      const created = await call<TaskJson>(
        "POST",
        "/ap/v1/agent/tasks",
        jsonBody(await example("create-task.request.json")),
      );
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({
        input: "Write the word 'Washington' to a .txt file",
        additional_input: { test_run_id: "123" },
        artifacts: [],
      });
      const taskPath = `/ap/v1/agent/tasks/${created.body.task_id}`;

      fake.enqueue({ text: "Step one done" }, { text: "Step two done" }, { text: "Still done" });
      const first = await call<StepJson>(
        "POST",
        `${taskPath}/steps`,
        jsonBody(JSON.stringify({ input: created.body.input })),
      );
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ status: "completed", output: "Step one done", is_last: true });
      const second = await call<StepJson>(
        "POST",
        `${taskPath}/steps`,
        jsonBody(await example("execute-step.request.json")),
      );
      expect(second.status).toBe(200);
      expect(second.body).toMatchObject({ input: "y", output: "Step two done" });
      const after = await call<StepJson>("POST", `${taskPath}/steps`);
      expect(after.status).toBe(200);
      expect(after.body).toMatchObject({ input: "continue", output: "Still done", status: "completed" });

      const steps = await call<{ steps: StepJson[] }>("GET", `${taskPath}/steps`);
      expect(steps.body.steps.map((step) => step.step_id)).toEqual([
        first.body.step_id,
        second.body.step_id,
        after.body.step_id,
      ]);
      const one = await call<StepJson>("GET", `${taskPath}/steps/${second.body.step_id}`);
      expect(one.body).toMatchObject({ step_id: second.body.step_id, output: "Step two done" });

      // A second task, then the collection's pagination check.
      const other = await call<TaskJson>(
        "POST",
        "/ap/v1/agent/tasks",
        jsonBody(await example("create-task-minimal.request.json")),
      );
      expect(other.status).toBe(200);
      const paged = await call<{ tasks: TaskJson[]; pagination: Pagination }>(
        "GET",
        "/ap/v1/agent/tasks?page_size=1&current_page=1",
      );
      expect(paged.body.tasks).toHaveLength(1);
      expect(paged.body.pagination).toMatchObject({ page_size: 1, current_page: 1 });
      expect(paged.body.pagination.total_items).toBe(before.body.pagination.total_items + 2);
      // The `/api/v1` alias serves the same tasks.
      const alias = await call<TaskJson>("GET", `/api/v1/agent/tasks/${created.body.task_id}`);
      expect(alias.body.task_id).toBe(created.body.task_id);
    });

    it("answers GET of a task and the task list within 500 ms while a step is running", async () => {
      const created = await call<TaskJson>(
        "POST",
        "/ap/v1/agent/tasks",
        jsonBody(JSON.stringify({ input: "slow one" })),
      );
      const taskPath = `/ap/v1/agent/tasks/${created.body.task_id}`;
      fake.enqueue({ text: "finally", delayMs: 2_000 });
      const running = call<StepJson>("POST", `${taskPath}/steps`);
      await new Promise((done) => setTimeout(done, 300));
      let started = performance.now();
      const task = await call<TaskJson>("GET", taskPath);
      expect(performance.now() - started).toBeLessThan(500);
      expect(task.body).toMatchObject({
        task_id: created.body.task_id,
        input: "slow one",
        additional_input: {},
        artifacts: [],
      });
      started = performance.now();
      const list = await call<{ tasks: TaskJson[] }>("GET", "/ap/v1/agent/tasks?page_size=100");
      expect(performance.now() - started).toBeLessThan(500);
      expect(list.body.tasks.map((entry) => entry.task_id)).toContain(created.body.task_id);
      expect((await running).body).toMatchObject({ output: "finally", status: "completed" });
    });

    it("uploads a file with and without relative_path and downloads its exact bytes", async () => {
      const created = await call<TaskJson>(
        "POST",
        "/ap/v1/agent/tasks",
        jsonBody(JSON.stringify({ input: "files" })),
      );
      const artifactsPath = `/ap/v1/agent/tasks/${created.body.task_id}/artifacts`;
      const bytes = new Uint8Array([0, 1, 2, 250, 255, 10, 13, 0x7f]);
      const plain = new FormData();
      plain.append("file", new Blob([bytes]), "data.bin");
      const uploaded = await call<{ artifact_id: string; file_name: string; relative_path: string | null }>(
        "POST",
        artifactsPath,
        { body: plain },
      );
      expect(uploaded.status).toBe(200);
      expect(uploaded.body).toMatchObject({
        file_name: "data.bin",
        relative_path: null,
        agent_created: false,
      });

      const withPath = new FormData();
      withPath.append("file", new Blob(["print('hi')\n"], { type: "text/x-python" }), "main.py");
      withPath.append("relative_path", "python/code/");
      const second = await call<{ artifact_id: string; relative_path: string | null }>(
        "POST",
        artifactsPath,
        {
          body: withPath,
        },
      );
      expect(second.body).toMatchObject({ file_name: "main.py", relative_path: "python/code/" });

      const listed = await call<{ artifacts: { artifact_id: string }[]; pagination: Pagination }>(
        "GET",
        artifactsPath,
      );
      expect(listed.body.artifacts.map((artifact) => artifact.artifact_id)).toEqual([
        uploaded.body.artifact_id,
        second.body.artifact_id,
      ]);
      const download = await call<Uint8Array>("GET", `${artifactsPath}/${uploaded.body.artifact_id}`);
      expect(download.status).toBe(200);
      expect(Array.from(download.body)).toEqual(Array.from(bytes));
      const code = await call<Uint8Array>("GET", `${artifactsPath}/${second.body.artifact_id}`);
      expect(new TextDecoder().decode(code.body)).toBe("print('hi')\n");
    });
  });

  it("serves the OpenAPI 3.1 document and its docs page", async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = await jsonOf(response);
    expect(document.openapi).toMatch(/^3\.1\./);
    for (const path of [
      "/v1/chat/completions",
      "/mcp/{agent}",
      "/ap/v1/agent/tasks",
      "/a2a/{agent}/jsonrpc",
    ]) {
      expect(Object.keys(document.paths), path).toContain(path);
    }
    const docs = await fetch(`${server.url}/docs`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await docs.text()).toContain("/openapi.json");
  });
});
