import { Role, TaskState } from "@a2a-js/sdk";
import { ClientFactory, ClientFactoryOptions } from "@a2a-js/sdk/client";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionEvent } from "../../src/core/events.js";
import type { ServerMessage } from "../../src/server/websocket/websocket-protocol.js";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { createEntityCall, writeMemoryApprovalAgent } from "../support/memory-approval-project.js";
import { jsonOf, type ServeProcess, startServe, tempProject } from "../support/pluto-process.js";

/**
 * Approvals through each protocol route of the built server (issue 8 items 2-3): the agent's policy
 * asks before the real MCP memory server's `create_entities`; the side effect is read from the memory
 * server's own file, so "not run before approval, run exactly once after" is observed, not assumed.
 */
describe("approvals on every protocol route of pluto serve", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess;
  let stored: (name: string) => Promise<number>;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    ({ stored } = await writeMemoryApprovalAgent(project.dir));
    server = await startServe({
      cwd: project.dir,
      env: { OPENAI_API_KEY: "sk-test-approval-routes", OPENAI_BASE_URL: `${fake.url}/v1` },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await project?.cleanup();
  });

  describe("MCP server: send_message answers awaiting-approval, decide_approval decides", () => {
    let client: Client;
    beforeAll(async () => {
      client = new Client({ name: "approval-test", version: "0.0.0" });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp/butler`)));
    });
    afterAll(async () => {
      await client?.close();
    });
    const call = async (name: string, args: Record<string, unknown>) =>
      (await client.callTool({ name, arguments: args })) as CallToolResult;
    const text = (result: CallToolResult) =>
      result.content.map((part) => (part.type === "text" ? part.text : "")).join("");

    it("lists decide_approval next to send_message", async () => {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(["decide_approval", "send_message"]);
    });

    it("waits with the call id, runs the call once after approve, and refuses a second decision", async () => {
      fake.enqueue({ toolCalls: [createEntityCall("call_mcp_ann", "Ann")] });
      const paused = await call("send_message", { message: "remember Ann" });
      expect(paused.isError).toBeFalsy();
      const structured = paused.structuredContent as {
        session_id: string;
        status: string;
        approvals: unknown[];
      };
      expect(structured).toMatchObject({
        status: "awaiting-approval",
        approvals: [
          {
            tool_call_id: "call_mcp_ann",
            tool_name: "memory__create_entities",
            reason: "Writes to the knowledge graph",
          },
        ],
      });
      expect(text(paused)).toContain("call_mcp_ann");
      expect(text(paused)).toContain("decide_approval");
      expect(await stored("Ann")).toBe(0);

      fake.enqueue({ text: "Saved Ann." });
      const approved = await call("decide_approval", {
        session_id: structured.session_id,
        tool_call_id: "call_mcp_ann",
        decision: "approve",
      });
      expect(approved.isError).toBeFalsy();
      expect(text(approved)).toBe("Saved Ann.");
      expect(approved.structuredContent).toMatchObject({
        status: "completed",
        session_id: structured.session_id,
      });
      expect(await stored("Ann")).toBe(1);

      const again = await call("decide_approval", {
        session_id: structured.session_id,
        tool_call_id: "call_mcp_ann",
        decision: "approve",
      });
      expect(again.isError).toBe(true);
      expect(text(again)).toContain("APPROVAL_DECIDED");
      expect(await stored("Ann")).toBe(1);
    });

    it("denies: the model hears the refusal and nothing is stored; unknown sessions are refused", async () => {
      fake.enqueue({ toolCalls: [createEntityCall("call_mcp_ben", "Ben")] });
      const paused = await call("send_message", { message: "remember Ben" });
      const session = (paused.structuredContent as { session_id: string }).session_id;
      fake.enqueue({ text: "Not saved." });
      const denied = await call("decide_approval", {
        session_id: session,
        tool_call_id: "call_mcp_ben",
        decision: "deny",
        reason: "not Ben",
      });
      expect(text(denied)).toBe("Not saved.");
      const seen = JSON.stringify(fake.requests.at(-1)?.body);
      expect(seen).toContain("the user refused this call of memory__create_entities");
      expect(seen).toContain("not Ben");
      expect(await stored("Ben")).toBe(0);

      const unknown = await call("decide_approval", {
        session_id: "no-such-session",
        tool_call_id: "call_mcp_ben",
        decision: "approve",
      });
      expect(unknown.isError).toBe(true);
      expect(text(unknown)).toContain("SESSION_NOT_FOUND");
    });
  });

  describe("WebSocket: a decide-approval message decides and streams the continued run", () => {
    const endOfRun = (message: ServerMessage) =>
      message.type === "error" || (message.type === "event" && message.event.type === "run-end");
    /** Opens a socket, sends `message` and collects what comes back until `until` (a run-end or an error). */
    const exchange = async (
      message: Record<string, unknown>,
      until: (message: ServerMessage) => boolean = endOfRun,
    ): Promise<ServerMessage[]> => {
      const socket = new WebSocket(`${server.url.replace(/^http/, "ws")}/api/v1/ws`);
      const messages: ServerMessage[] = [];
      const done = new Promise<void>((resolve, reject) => {
        socket.addEventListener("message", (frame) => {
          const parsed = JSON.parse(String(frame.data)) as ServerMessage;
          messages.push(parsed);
          if (until(parsed)) resolve();
        });
        socket.addEventListener("error", () => reject(new Error("socket error")));
      });
      await new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
      socket.send(JSON.stringify(message));
      await done;
      socket.close();
      return messages;
    };
    const eventsOf = (messages: ServerMessage[]): SessionEvent[] =>
      messages.flatMap((message) => (message.type === "event" ? [message.event] : []));

    it("pauses a run with the call id, runs the call once after approve, refuses a second decision", async () => {
      fake.enqueue({ toolCalls: [createEntityCall("call_ws_cat", "Cat")] });
      const paused = eventsOf(
        await exchange({ type: "run", agent: "butler", input: "remember Cat", session_id: "ws-cat" }),
      );
      expect(paused.find((event) => event.type === "tool-approval-request")).toMatchObject({
        toolCallId: "call_ws_cat",
        toolName: "memory__create_entities",
      });
      expect(paused.at(-1)).toMatchObject({ type: "run-end", status: "awaiting-approval" });
      expect(await stored("Cat")).toBe(0);

      fake.enqueue({ text: "Saved Cat." });
      const continued = eventsOf(
        await exchange({
          type: "decide-approval",
          session_id: "ws-cat",
          tool_call_id: "call_ws_cat",
          decision: "approve",
        }),
      );
      expect(continued.at(-1)).toMatchObject({ type: "run-end", status: "completed", output: "Saved Cat." });
      expect(continued[0]).toMatchObject({
        type: "tool-approval-response",
        toolCallId: "call_ws_cat",
        approved: true,
      });
      expect(
        continued.some((event) => event.type === "tool-result" && event.toolCallId === "call_ws_cat"),
      ).toBe(true);
      expect(await stored("Cat")).toBe(1);

      const again = await exchange({
        type: "decide-approval",
        id: 9,
        session_id: "ws-cat",
        tool_call_id: "call_ws_cat",
        decision: "approve",
      });
      expect(again).toMatchObject([{ type: "error", id: 9, error: { code: "APPROVAL_DECIDED" } }]);
      expect(await stored("Cat")).toBe(1);
    });

    it("denies: nothing is stored and the model hears the refusal; a decision that leaves one waiting sends its response", async () => {
      fake.enqueue({
        toolCalls: [createEntityCall("call_ws_dan", "Dan"), createEntityCall("call_ws_eva", "Eva")],
      });
      await exchange({ type: "run", agent: "butler", input: "remember Dan and Eva", session_id: "ws-dan" });
      const first = await exchange(
        { type: "decide-approval", session_id: "ws-dan", tool_call_id: "call_ws_eva", decision: "deny" },
        (message) =>
          message.type === "error" ||
          (message.type === "event" && message.event.type === "tool-approval-response"),
      );
      expect(eventsOf(first)).toMatchObject([
        { type: "tool-approval-response", toolCallId: "call_ws_eva", approved: false },
      ]);
      fake.enqueue({ text: "Not saved." });
      const continued = eventsOf(
        await exchange({
          type: "decide-approval",
          session_id: "ws-dan",
          tool_call_id: "call_ws_dan",
          decision: "deny",
          reason: "not Dan",
        }),
      );
      expect(continued.at(-1)).toMatchObject({ type: "run-end", status: "completed", output: "Not saved." });
      expect(JSON.stringify(fake.requests.at(-1)?.body)).toContain("not Dan");
      expect(await stored("Dan")).toBe(0);
    });
  });

  describe("OpenAI-compatible route: the completion ends naming the call id and the route that decides it", () => {
    const complete = (session: string, input: string, stream: boolean) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-pluto-session-id": session },
        body: JSON.stringify({ model: "butler", messages: [{ role: "user", content: input }], stream }),
      });
    const decideOverHttp = (session: string, call: string, decision: string) =>
      fetch(`${server.url}/api/v1/sessions/${session}/approvals/${call}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ decision }),
      });

    it("answers finish_reason stop and a text naming the call and the route; the named route runs it once", async () => {
      fake.enqueue({ toolCalls: [createEntityCall("call_oa_eli", "Eli")], text: "Let me save that." });
      const response = await complete("oa-eli", "remember Eli", false);
      expect(response.status).toBe(200);
      const completion = (await response.json()) as {
        choices: { finish_reason: string; message: { content: string } }[];
      };
      expect(completion.choices[0]?.finish_reason).toBe("stop");
      const content = completion.choices[0]?.message.content ?? "";
      expect(content).toContain("call_oa_eli (memory__create_entities)");
      expect(content).toContain("POST /api/v1/sessions/oa-eli/approvals/call_oa_eli");
      expect(await stored("Eli")).toBe(0);

      fake.enqueue({ text: "Saved Eli." });
      const approved = await decideOverHttp("oa-eli", "call_oa_eli", "approve");
      expect(await approved.json()).toMatchObject({ status: "completed", output: "Saved Eli." });
      expect(await stored("Eli")).toBe(1);
    });

    it("streams the same notice as the last content chunk before finish_reason; deny runs nothing", async () => {
      fake.enqueue({ toolCalls: [createEntityCall("call_oa_fay", "Fay")] });
      const response = await complete("oa-fay", "remember Fay", true);
      const chunks = (await response.text())
        .split("\n")
        .filter((line) => line.startsWith("data: ") && line !== "data: [DONE]")
        .map(
          (line) =>
            JSON.parse(line.slice(6)) as {
              choices: { delta: { content?: string }; finish_reason: string | null }[];
            },
        );
      const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
      expect(text).toContain("POST /api/v1/sessions/oa-fay/approvals/call_oa_fay");
      expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("stop");
      expect(await stored("Fay")).toBe(0);

      fake.enqueue({ text: "Not saved." });
      const denied = await decideOverHttp("oa-fay", "call_oa_fay", "deny");
      expect(await denied.json()).toMatchObject({ status: "completed", output: "Not saved." });
      expect(await stored("Fay")).toBe(0);
    });
  });

  describe("Agent Protocol: a step whose additional_input is a decision decides", () => {
    const apPost = async (path: string, body: unknown) => {
      const response = await fetch(`${server.url}/ap/v1${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-pluto-agent": "butler" },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: await jsonOf(response) };
    };

    it("shows the waiting call in the step, runs it once after an approve step (oldest call without an id)", async () => {
      const task = await apPost("/agent/tasks", { input: "remember Gil" });
      expect(task.status).toBe(200);
      const taskId = task.body.task_id as string;
      fake.enqueue({ toolCalls: [createEntityCall("call_ap_gil", "Gil")] });
      const paused = await apPost(`/agent/tasks/${taskId}/steps`, {});
      expect(paused.body).toMatchObject({
        is_last: false,
        additional_output: {
          status: "awaiting-approval",
          approvals: [{ tool_call_id: "call_ap_gil", tool_name: "memory__create_entities" }],
        },
      });
      expect(paused.body.output).toContain("call_ap_gil");
      expect(await stored("Gil")).toBe(0);
      const listed = await jsonOf(await fetch(`${server.url}/ap/v1/agent/tasks/${taskId}/steps`));
      expect(listed.steps.at(-1).additional_output.approvals[0].tool_call_id).toBe("call_ap_gil");

      fake.enqueue({ text: "Saved Gil." });
      const approved = await apPost(`/agent/tasks/${taskId}/steps`, {
        additional_input: { decision: "approve" },
      });
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({
        output: "Saved Gil.",
        is_last: true,
        additional_output: { status: "completed" },
      });
      expect(await stored("Gil")).toBe(1);

      const again = await apPost(`/agent/tasks/${taskId}/steps`, {
        additional_input: { decision: "approve", tool_call_id: "call_ap_gil" },
      });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe("APPROVAL_DECIDED");
      const nothing = await apPost(`/agent/tasks/${taskId}/steps`, {
        additional_input: { decision: "approve" },
      });
      expect(nothing.status).toBe(404);
      expect(await stored("Gil")).toBe(1);
    });

    it("answers the waiting step with the calls left while others of the step still wait", async () => {
      const task = await apPost("/agent/tasks", { input: "remember Ivo and Lea" });
      const taskId = task.body.task_id as string;
      fake.enqueue({
        toolCalls: [createEntityCall("call_ap_ivo", "Ivo"), createEntityCall("call_ap_lea", "Lea")],
      });
      const paused = await apPost(`/agent/tasks/${taskId}/steps`, {});
      const first = await apPost(`/agent/tasks/${taskId}/steps`, {
        additional_input: { decision: "approve" },
      });
      expect(first.body).toMatchObject({
        step_id: paused.body.step_id,
        is_last: false,
        additional_output: { status: "awaiting-approval", approvals: [{ tool_call_id: "call_ap_lea" }] },
      });
      expect(first.body.additional_output.approvals).toHaveLength(1);
      expect(await stored("Ivo")).toBe(0);
      fake.enqueue({ text: "Saved Ivo only." });
      const second = await apPost(`/agent/tasks/${taskId}/steps`, {
        additional_input: { decision: "deny" },
      });
      expect(second.body).toMatchObject({ output: "Saved Ivo only.", is_last: true });
      expect(await stored("Ivo")).toBe(1);
      expect(await stored("Lea")).toBe(0);
    });

    it("denies by id; a malformed decision is 400 and decides nothing", async () => {
      const task = await apPost("/agent/tasks", { input: "remember Hoa" });
      const taskId = task.body.task_id as string;
      fake.enqueue({ toolCalls: [createEntityCall("call_ap_hoa", "Hoa")] });
      await apPost(`/agent/tasks/${taskId}/steps`, {});
      const bad = await apPost(`/agent/tasks/${taskId}/steps`, { additional_input: { decision: "maybe" } });
      expect(bad.status).toBe(400);
      fake.enqueue({ text: "Not saved." });
      const denied = await apPost(`/agent/tasks/${taskId}/steps`, {
        additional_input: { decision: "deny", tool_call_id: "call_ap_hoa", reason: "not Hoa" },
      });
      expect(denied.body).toMatchObject({ output: "Not saved.", additional_output: { status: "completed" } });
      expect(JSON.stringify(fake.requests.at(-1)?.body)).toContain("not Hoa");
      expect(await stored("Hoa")).toBe(0);
    });
  });

  describe("A2A: the task goes input-required; a message on it decides", () => {
    const client = () =>
      new ClientFactory(
        ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { preferredTransports: ["JSONRPC"] }),
      ).createFromUrl(server.url, "/a2a/butler/.well-known/agent-card.json");
    type Content = { $case: "text"; value: string } | { $case: "data"; value: Record<string, unknown> };
    const send = async (content: Content, on?: { taskId: string; contextId: string }) => {
      const task = await (await client()).sendMessage({
        tenant: "",
        message: {
          messageId: crypto.randomUUID(),
          contextId: on?.contextId ?? "",
          taskId: on?.taskId ?? "",
          role: Role.ROLE_USER,
          parts: [{ content, metadata: undefined, filename: "", mediaType: "" }],
          metadata: undefined,
          extensions: [],
          referenceTaskIds: [],
        },
        configuration: undefined,
        metadata: undefined,
      });
      if (!("status" in task)) throw new Error("expected a task, got a message");
      return task;
    };
    const statusText = (task: Awaited<ReturnType<typeof send>>) => {
      const part = task.status?.message?.parts[0]?.content;
      return part?.$case === "text" ? part.value : "";
    };

    it("pauses input-required naming the call, and the text approve runs it exactly once", async () => {
      fake.enqueue({ toolCalls: [createEntityCall("call_a2a_ida", "Ida")] });
      const paused = await send({ $case: "text", value: "remember Ida" });
      expect(paused.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      expect(statusText(paused)).toContain(
        "call_a2a_ida (memory__create_entities: Writes to the knowledge graph)",
      );
      expect(await stored("Ida")).toBe(0);

      fake.enqueue({ text: "Saved Ida." });
      const approved = await send(
        { $case: "text", value: "approve" },
        { taskId: paused.id, contextId: paused.contextId },
      );
      expect(approved.id).toBe(paused.id);
      expect(approved.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(JSON.stringify(approved.artifacts)).toContain("Saved Ida.");
      expect(await stored("Ida")).toBe(1);
    });

    it("decides one of two waiting calls by a data part (still input-required), then denies the other", async () => {
      fake.enqueue({
        toolCalls: [createEntityCall("call_a2a_jo", "Jo"), createEntityCall("call_a2a_kim", "Kim")],
      });
      const paused = await send({ $case: "text", value: "remember Jo and Kim" });
      expect(paused.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      const on = { taskId: paused.id, contextId: paused.contextId };
      const first = await send(
        { $case: "data", value: { decision: "approve", tool_call_id: "call_a2a_kim" } },
        on,
      );
      expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
      expect(statusText(first)).toContain("call_a2a_jo");
      expect(statusText(first)).not.toContain("call_a2a_kim");
      expect(await stored("Kim")).toBe(0);

      fake.enqueue({ text: "Saved Kim only." });
      const second = await send(
        { $case: "data", value: { decision: "deny", tool_call_id: "call_a2a_jo" } },
        on,
      );
      expect(second.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(await stored("Kim")).toBe(1);
      expect(await stored("Jo")).toBe(0);
      expect(JSON.stringify(fake.requests.at(-1)?.body)).toContain(
        "the user refused this call of memory__create_entities",
      );
    });
  });
});
