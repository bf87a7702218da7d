import { TaskState } from "@a2a-js/sdk";
import { afterEach, describe, expect, it } from "vitest";
import type { SessionEvent } from "../../../src/core/events.js";
import { ZERO_USAGE } from "../../../src/core/events.js";
import { RunEventTranslator, taskStateForRun } from "../../../src/server/a2a/run-event-translator.js";
import { createApiKey } from "../../../src/services/auth/api-keys.js";
import { InMemoryApiKeyStore } from "../../../src/services/auth/in-memory-api-key-store.js";
import { scriptedStream } from "../../support/scripted-step.js";
import { postJson, sdkClient, sendRequest, startA2aApp, userMessage } from "./a2a-harness.js";

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

describe("A2A tenants", () => {
  it("a tenant's key never reaches another tenant's tasks; calls without a key get 401", async () => {
    const apiKeys = new InMemoryApiKeyStore();
    const keyA = await createApiKey(apiKeys, { tenant: "tenant-a", role: "member" });
    const keyB = await createApiKey(apiKeys, { tenant: "tenant-b", role: "member" });
    const app = await startA2aApp({ streamStep: scriptedStream([{ text: "secret" }]).streamStep, apiKeys });
    close = app.close;
    const clientA = await sdkClient(app.url, "test-agent", "JSONRPC", keyA.token);
    const clientB = await sdkClient(app.url, "test-agent", "HTTP+JSON", keyB.token);
    const task = await clientA.sendMessage(sendRequest(userMessage("mine")));
    if (!("status" in task)) throw new Error("expected a task");
    expect((await app.shared.tasks.list("tenant-a", "a2a")).total).toBe(1);

    await expect(clientB.getTask({ tenant: "", id: task.id, historyLength: undefined })).rejects.toThrow(
      /not found/i,
    );
    await expect(clientB.cancelTask({ tenant: "", id: task.id, metadata: undefined })).rejects.toThrow(
      /not found/i,
    );
    // The A2A `tenant` field is the client's and changes nothing.
    await expect(
      clientB.getTask({ tenant: "tenant-a", id: task.id, historyLength: undefined }),
    ).rejects.toThrow(/not found/i);
    const listed = await clientB.listTasks({
      tenant: "",
      contextId: "",
      status: TaskState.TASK_STATE_UNSPECIFIED,
      pageSize: 50,
      pageToken: "",
      historyLength: undefined,
      statusTimestampAfter: undefined,
      includeArtifacts: false,
    });
    expect(listed.totalSize).toBe(0);
    // Continuing tenant A's context from tenant B starts B's own session, never A's.
    await clientB
      .sendMessage(sendRequest(userMessage("peek", { contextId: task.contextId })))
      .catch(() => undefined);
    const aSession = await app.shared.sessions.read({
      tenant: "tenant-a",
      agent: "test-agent",
      session: task.contextId,
    });
    expect(aSession.filter((event) => event.type === "run-start")).toHaveLength(1);

    const anonymous = await postJson(`${app.url}/a2a/test-agent/jsonrpc`, {
      jsonrpc: "2.0",
      id: 1,
      method: "GetTask",
      params: { id: task.id },
    });
    expect(anonymous.status).toBe(401);
    // Cards stay public and declare the bearer scheme.
    const card = (await (
      await fetch(`${app.url}/a2a/test-agent/.well-known/agent-card.json`, {
        headers: { "A2A-Version": "1.0" },
      })
    ).json()) as { securitySchemes?: Record<string, unknown> };
    expect(card.securitySchemes).toHaveProperty("bearer");
  });
});

describe("run events → A2A updates", () => {
  const base = { runId: "run_1", time: "2026-01-01T00:00:00.000Z" };
  const end = (
    status: "completed" | "failed" | "aborted" | "awaiting-approval",
    extra = {},
  ): SessionEvent => ({
    ...base,
    seq: 9,
    type: "run-end",
    status,
    usage: ZERO_USAGE,
    steps: 1,
    ...extra,
  });

  it("maps every run status to a task state; awaiting-approval waits for input", () => {
    expect(taskStateForRun("completed")).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(taskStateForRun("failed")).toBe(TaskState.TASK_STATE_FAILED);
    expect(taskStateForRun("aborted")).toBe(TaskState.TASK_STATE_CANCELED);
    expect(taskStateForRun("awaiting-approval")).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
  });

  it("merges a batch of deltas into one chunk, ignores other runs, and ends with the reason", () => {
    const translator = new RunEventTranslator({ taskId: "t", contextId: "c", runId: "run_1" });
    const chunk = translator.translate([
      { ...base, seq: 1, type: "text-delta", step: 1, text: "a" },
      { ...base, seq: 2, type: "text-delta", step: 1, text: "b" },
      { ...base, runId: "run_other", seq: 3, type: "text-delta", step: 1, text: "x" },
    ]);
    expect(chunk).toHaveLength(1);
    expect(chunk[0]?.kind === "artifactUpdate" && chunk[0].data.artifact?.parts[0]?.content).toEqual({
      $case: "text",
      value: "ab",
    });
    const approval = translator.translate([
      {
        ...base,
        seq: 4,
        type: "tool-approval-request",
        step: 1,
        toolCallId: "c1",
        toolName: "shell",
        input: {},
      },
      end("awaiting-approval"),
    ]);
    const status = approval.at(-1);
    expect(status?.kind === "statusUpdate" && status.data.status?.state).toBe(
      TaskState.TASK_STATE_INPUT_REQUIRED,
    );
    const text = status?.kind === "statusUpdate" ? status.data.status?.message?.parts[0]?.content : undefined;
    expect(text?.$case === "text" && text.value).toContain("c1 (shell)");
    expect(translator.ended).toBe(true);
    expect(translator.translate([end("completed")])).toEqual([]);

    const failing = new RunEventTranslator({ taskId: "t", contextId: "c", runId: "run_1" });
    const failed = failing.translate([
      end("failed", { error: { code: "MODEL_ERROR", message: "provider down" } }),
    ]);
    const failure = failed.at(-1);
    expect(failure?.kind === "statusUpdate" && failure.data.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    const reason =
      failure?.kind === "statusUpdate" ? failure.data.status?.message?.parts[0]?.content : undefined;
    expect(reason).toEqual({ $case: "text", value: "MODEL_ERROR: provider down" });
  });
});
