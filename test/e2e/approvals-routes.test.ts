import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeModel, startFakeModel } from "../support/fake-model/fake-model.js";
import { createEntityCall, writeMemoryApprovalAgent } from "../support/memory-approval-project.js";
import { type ServeProcess, startServe, tempProject } from "../support/pluto-process.js";

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
});
