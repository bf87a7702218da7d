import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { createEntityCall, writeMemoryApprovalAgent } from "../support/memory-approval-project.js";
import {
  jsonOf,
  parseSse,
  runPluto,
  type ServeProcess,
  startServe,
  tempProject,
} from "../support/pluto-process.js";

/**
 * Tool policy and approvals through the built binary (issue 8 items 1-3): the agent's policy asks
 * before the real MCP memory server's `create_entities`, refuses `delete_entities`, allows the rest.
 * The side effect is observed in the memory server's own file.
 */
describe("tool policy and approvals through pluto serve", () => {
  let fake: FakeModel;
  let project: Awaited<ReturnType<typeof tempProject>>;
  let server: ServeProcess;
  let env: Record<string, string>;
  let stored: (name: string) => Promise<number>;

  const post = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const startRun = async (session: string, input = "remember Alice") =>
    jsonOf(await post("/api/v1/agents/butler/runs", { input, session_id: session }));
  const decide = (session: string, call: string, body: Record<string, unknown>) =>
    post(`/api/v1/sessions/${session}/approvals/${call}`, body);
  const createEntity = createEntityCall;

  beforeAll(async () => {
    fake = await startFakeModel();
    project = await tempProject();
    env = { OPENAI_API_KEY: "sk-test-approvals", OPENAI_BASE_URL: `${fake.url}/v1` };
    const memory = await writeMemoryApprovalAgent(project.dir, {
      extraRules: [
        // Matched by the annotation the real server declares (delete_entities: destructiveHint true).
        '        - tool: "memory__*"',
        "          action: deny",
        "          reason: Nothing is ever forgotten",
        "          annotations: { destructive: true }",
      ],
    });
    stored = memory.stored;
    const agent = memory.folder;
    // An agent without a policy of its own gets pluto.yaml's default for every call.
    const plain = join(project.dir, ".pluto/agents/plain");
    await mkdir(plain, { recursive: true });
    await writeFile(join(plain, "SYSTEM_PROMPT.md"), "You read the graph.\n");
    await writeFile(join(plain, "INSTRUCTIONS.md"), "Read when asked.\n");
    await writeFile(
      join(plain, "agent.yaml"),
      (await readFile(join(agent, "agent.yaml"), "utf8"))
        .replace("name: butler", "name: plain")
        .split("    policy:")[0]!,
    );
    await writeFile(join(project.dir, ".pluto/pluto.yaml"), "policy:\n  default: ask\n");
    server = await startServe({ cwd: project.dir, env });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
    await project?.cleanup();
  });

  it("pauses on an ask tool without running it, then runs it exactly once after approval", async () => {
    fake.enqueue({ toolCalls: [createEntity("call_alice", "Alice")] });
    const paused = await startRun("s-approve");
    expect(paused).toMatchObject({ status: "awaiting-approval", session_id: "s-approve" });
    expect(await stored("Alice")).toBe(0);

    const pending = await jsonOf(await fetch(`${server.url}/api/v1/sessions/s-approve/approvals`));
    expect(pending).toMatchObject({
      session_id: "s-approve",
      agent: "butler",
      approvals: [
        {
          tool_call_id: "call_alice",
          tool_name: "memory__create_entities",
          input: createEntity("call_alice", "Alice").input,
          reason: "Writes to the knowledge graph",
          run_id: paused.run_id,
        },
      ],
    });

    fake.enqueue({ text: "Saved Alice." });
    const approved = await decide("s-approve", "call_alice", { decision: "approve" });
    expect(approved.status).toBe(200);
    const continued = await jsonOf(approved);
    expect(continued).toMatchObject({ status: "completed", output: "Saved Alice.", session_id: "s-approve" });
    expect(continued.run_id).not.toBe(paused.run_id);
    expect(await stored("Alice")).toBe(1);
    // The model saw the tool's real result, not a refusal.
    const seen = JSON.stringify(fake.requests.at(-1)?.body);
    expect(seen).toContain("call_alice");
    expect(seen).not.toContain("was not run");

    const again = await decide("s-approve", "call_alice", { decision: "approve" });
    expect(again.status).toBe(409);
    expect((await jsonOf(again)).error.code).toBe("APPROVAL_DECIDED");
    expect(await stored("Alice")).toBe(1);
    const none = await jsonOf(await fetch(`${server.url}/api/v1/sessions/s-approve/approvals`));
    expect(none.approvals).toEqual([]);
  });

  it("tells the model a denied call was refused, and nothing runs", async () => {
    fake.enqueue({ toolCalls: [createEntity("call_bob", "Bob")] });
    expect(await startRun("s-deny")).toMatchObject({ status: "awaiting-approval" });
    fake.enqueue({ text: "Understood, not saved." });
    const denied = await decide("s-deny", "call_bob", { decision: "deny", reason: "not today" });
    expect(await jsonOf(denied)).toMatchObject({ status: "completed", output: "Understood, not saved." });
    const seen = JSON.stringify(fake.requests.at(-1)?.body);
    expect(seen).toContain("the user refused this call of memory__create_entities");
    expect(seen).toContain("not today");
    expect(await stored("Bob")).toBe(0);
  });

  it("refuses a deny rule's call (matched by the MCP server's destructive annotation) at once, with the policy's reason, and the run goes on", async () => {
    fake.enqueue(
      { toolCalls: [{ id: "call_del", name: "memory__delete_entities", input: { entityNames: ["Alice"] } }] },
      { text: "I may not delete." },
    );
    const run = await startRun("s-policy-deny", "forget Alice");
    expect(run).toMatchObject({ status: "completed", output: "I may not delete." });
    const seen = JSON.stringify(fake.requests.at(-1)?.body);
    expect(seen).toContain("the tool policy refused this call of memory__delete_entities");
    expect(seen).toContain("Nothing is ever forgotten");
    expect(await stored("Alice")).toBe(1);
  });

  it("applies pluto.yaml policy.default to an agent without a policy (here: ask)", async () => {
    fake.enqueue({ toolCalls: [{ id: "call_plain", name: "memory__read_graph", input: {} }] });
    const run = await jsonOf(
      await post("/api/v1/agents/plain/runs", { input: "read", session_id: "s-plain" }),
    );
    expect(run).toMatchObject({ status: "awaiting-approval" });
    const pending = await jsonOf(await fetch(`${server.url}/api/v1/sessions/s-plain/approvals`));
    expect(pending.approvals).toMatchObject([
      { tool_call_id: "call_plain", tool_name: "memory__read_graph" },
    ]);
    expect(pending.approvals[0].reason).toBeUndefined();
  });

  it("answers 404 for forged ids and unknown sessions, and 400 for a bad decision", async () => {
    fake.enqueue({ toolCalls: [createEntity("call_carol", "Carol")] });
    expect(await startRun("s-forged")).toMatchObject({ status: "awaiting-approval" });
    const forged = await decide("s-forged", "call_forged", { decision: "approve" });
    expect(forged.status).toBe(404);
    expect((await jsonOf(forged)).error.code).toBe("APPROVAL_NOT_FOUND");
    // Another session's call id is just as unknown here.
    const foreign = await decide("s-forged", "call_alice", { decision: "approve" });
    expect(foreign.status).toBe(404);
    const unknownSession = await decide("no-such-session", "call_carol", { decision: "approve" });
    expect(unknownSession.status).toBe(404);
    expect((await jsonOf(unknownSession)).error.code).toBe("SESSION_NOT_FOUND");
    const bad = await decide("s-forged", "call_carol", { decision: "maybe" });
    expect(bad.status).toBe(400);
    expect(await stored("Carol")).toBe(0);
  });

  it("takes one of two concurrent decisions on the same call: the call runs once", async () => {
    fake.enqueue({ toolCalls: [createEntity("call_dora", "Dora")] });
    expect(await startRun("s-race")).toMatchObject({ status: "awaiting-approval" });
    fake.enqueue({ text: "Saved Dora." });
    const answers = await Promise.all([
      decide("s-race", "call_dora", { decision: "approve" }),
      decide("s-race", "call_dora", { decision: "approve" }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    expect(await stored("Dora")).toBe(1);
  });

  it("runs allowed calls of the step at once and decides several waiting calls one by one, streaming the continuation", async () => {
    fake.enqueue({
      toolCalls: [
        createEntity("call_eve", "Eve"),
        { id: "call_read", name: "memory__read_graph", input: {} },
        createEntity("call_finn", "Finn"),
      ],
    });
    expect(await startRun("s-several")).toMatchObject({ status: "awaiting-approval" });
    const events = await jsonOf(await fetch(`${server.url}/api/v1/sessions/s-several/events`));
    const results = events.events.filter((event: { type: string }) => event.type === "tool-result");
    expect(results.map((event: { toolCallId: string }) => event.toolCallId)).toEqual(["call_read"]);

    const first = await jsonOf(await decide("s-several", "call_finn", { decision: "deny" }));
    expect(first).toMatchObject({ status: "awaiting-approval" });
    const left = await jsonOf(await fetch(`${server.url}/api/v1/sessions/s-several/approvals`));
    expect(left.approvals.map((approval: { tool_call_id: string }) => approval.tool_call_id)).toEqual([
      "call_eve",
    ]);
    expect(await stored("Eve")).toBe(0);

    fake.enqueue({ text: "Saved Eve, not Finn." });
    const streamed = await decide("s-several", "call_eve", { decision: "approve", stream: true });
    expect(streamed.status).toBe(200);
    expect(streamed.headers.get("content-type")).toContain("text/event-stream");
    const frames = parseSse(await streamed.text());
    const types = frames.map((frame) => frame.event);
    expect(types[0]).toBe("tool-approval-response");
    expect(types).toContain("run-start");
    expect(types.at(-1)).toBe("run-end");
    expect(JSON.parse(frames.at(-1)!.data)).toMatchObject({
      status: "completed",
      output: "Saved Eve, not Finn.",
    });
    const toolResults = frames
      .filter((frame) => frame.event === "tool-result")
      .map((frame) => JSON.parse(frame.data));
    expect(toolResults.map((event) => [event.toolCallId, event.isError])).toEqual([
      ["call_eve", false],
      ["call_finn", true],
    ]);
    expect(await stored("Eve")).toBe(1);
    expect(await stored("Finn")).toBe(0);
  });

  it("does not run an ask tool started through the OpenAI-compatible route", async () => {
    fake.enqueue({ toolCalls: [createEntity("call_gus", "Gus")] });
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-pluto-session-id": "s-openai" },
      body: JSON.stringify({ model: "butler", messages: [{ role: "user", content: "remember Gus" }] }),
    });
    expect(response.status).toBe(200);
    await response.text();
    expect(await stored("Gus")).toBe(0);
    const pending = await jsonOf(await fetch(`${server.url}/api/v1/sessions/s-openai/approvals`));
    expect(pending.approvals.map((approval: { tool_call_id: string }) => approval.tool_call_id)).toEqual([
      "call_gus",
    ]);
  });

  it("keeps a pending approval across a kill -9 and restart of pluto serve", async () => {
    fake.enqueue({ toolCalls: [createEntity("call_hal", "Hal")] });
    expect(await startRun("s-crash")).toMatchObject({ status: "awaiting-approval" });
    await server.kill();
    server = await startServe({ cwd: project.dir, env });
    expect(await stored("Hal")).toBe(0);
    fake.enqueue({ text: "Saved Hal." });
    const continued = await jsonOf(await decide("s-crash", "call_hal", { decision: "approve" }));
    expect(continued).toMatchObject({ status: "completed", output: "Saved Hal." });
    expect(await stored("Hal")).toBe(1);
  });

  it("pauses `pluto run` with exit code 2 and the commands to decide; `pluto approve` continues it", async () => {
    fake.enqueue({ toolCalls: [createEntity("call_ivy", "Ivy")] });
    const run = await runPluto(["run", "butler", "remember Ivy", "--session", "s-cli"], {
      cwd: project.dir,
      env,
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stdout + run.stderr).toContain("pluto approve s-cli call_ivy");
    expect(run.stdout + run.stderr).toContain("pluto deny s-cli call_ivy");
    expect(await stored("Ivy")).toBe(0);

    fake.enqueue({ text: "Saved Ivy." });
    const approve = await runPluto(["approve", "s-cli", "call_ivy"], {
      cwd: project.dir,
      env,
      timeoutMs: 60_000,
    });
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toContain("Saved Ivy.");
    expect(await stored("Ivy")).toBe(1);

    const twice = await runPluto(["deny", "s-cli", "call_ivy"], { cwd: project.dir, env });
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain("APPROVAL_DECIDED");
  });

  it("asks inline in `pluto chat`: y runs the call once, n refuses it", async () => {
    fake.enqueue(
      { toolCalls: [createEntity("call_jo", "Jo")] },
      { text: "Saved Jo." },
      { toolCalls: [createEntity("call_kim", "Kim")] },
      { text: "Kim not saved." },
    );
    const chat = await runPluto(["chat", "butler", "--session", "s-chat"], {
      cwd: project.dir,
      env,
      input: "remember Jo\ny\nremember Kim\nn\n/exit\n",
      timeoutMs: 60_000,
    });
    expect(chat.code, chat.stderr).toBe(0);
    expect(chat.stderr).toContain('Allow memory__create_entities {"entities":[{"name":"Jo"');
    expect(chat.stderr).toContain("(Writes to the knowledge graph) [y/N]");
    expect(chat.stdout).toContain("Saved Jo.");
    expect(chat.stdout).toContain("Kim not saved.");
    expect(await stored("Jo")).toBe(1);
    expect(await stored("Kim")).toBe(0);
  });
});
