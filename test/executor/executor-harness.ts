import type { AgentDefinition } from "../../src/agents/agent-definition.js";
import type { RunEndEvent, SessionEvent } from "../../src/core/events.js";
import type { BeforeToolCall } from "../../src/executor/before-tool-call.js";
import { executeRun, type ResumeApprovals } from "../../src/executor/execute-run.js";
import { SessionWriter } from "../../src/executor/session-writer.js";
import type { ModelToolSpec, StreamStep } from "../../src/llm/model-step.js";
import { InMemorySessionStore } from "../../src/services/session/in-memory-session-store.js";
import type { SessionKey, SessionStore } from "../../src/services/session/session-store.js";
import type { Tool } from "../../src/tools/tool.js";

/** The session every executor test writes to. */
export const KEY: SessionKey = { tenant: "default", agent: "test-agent", session: "ses-1" };

/** Options of {@link runOnce}. */
export interface RunOnceOptions {
  agent: AgentDefinition;
  streamStep: StreamStep;
  input?: string;
  runId?: string;
  tools?: Tool[];
  store?: SessionStore;
  signal?: AbortSignal;
  system?: string;
  saveFullToolOutput?: (text: string, toolCallId: string) => Promise<string>;
  beforeToolCall?: BeforeToolCall;
  resume?: ResumeApprovals;
}

/** What {@link runOnce} observed. */
export interface RunOnceResult {
  end: RunEndEvent;
  /** The whole session log after the run, read back from the store. */
  events: SessionEvent[];
  /** Batches the writer reported durable, in order. */
  durable: SessionEvent[][];
  store: SessionStore;
}

/** Runs `executeRun` once over a real {@link SessionWriter} and {@link InMemorySessionStore}. */
export async function runOnce(options: RunOnceOptions): Promise<RunOnceResult> {
  const store = options.store ?? new InMemorySessionStore();
  const existing = await store.read(KEY);
  const durable: SessionEvent[][] = [];
  const writer = new SessionWriter({
    store,
    key: KEY,
    existing,
    onDurable: (events) => durable.push(events),
  });
  const tools = new Map((options.tools ?? []).map((tool) => [tool.name, tool]));
  const toolSpecs: ModelToolSpec[] = (options.tools ?? []).map((tool) => ({
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema,
  }));
  const end = await executeRun({
    agent: options.agent,
    runId: options.runId ?? "run-1",
    input: options.input ?? "Hello",
    writer,
    streamStep: options.streamStep,
    system: options.system ?? "SYSTEM",
    tools,
    toolSpecs,
    toolScope: { scope: { tenant: KEY.tenant, agent: KEY.agent }, sessionId: KEY.session },
    saveFullToolOutput:
      options.saveFullToolOutput ??
      (async () => {
        throw new Error("saveFullToolOutput was not expected in this test");
      }),
    signal: options.signal ?? new AbortController().signal,
    ...(options.beforeToolCall === undefined ? {} : { beforeToolCall: options.beforeToolCall }),
    ...(options.resume === undefined ? {} : { resume: options.resume }),
  });
  return { end, events: await store.read(KEY), durable, store };
}

/** Asserts `seq` runs 1..n without gaps and returns the event types in order. */
export function typesOf(events: readonly SessionEvent[]): string[] {
  return events.map((event) => event.type);
}
