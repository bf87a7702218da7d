import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { AgentDefinition } from "../../agents/agent-definition.js";
import { PlutoError } from "../../core/errors.js";
import type { RunManager } from "../../runs/run-manager.js";
import {
  DECIDE_APPROVAL_TOOL,
  refusedToolResult,
  runOutputSchema,
  runToolResult,
} from "./run-tool-result.js";

const inputSchema = {
  session_id: z.string().min(1).max(128).describe("The session_id of the result that is awaiting approval."),
  tool_call_id: z
    .string()
    .min(1)
    .max(256)
    .describe("One of the tool_call_id values in that result's approvals."),
  decision: z.enum(["approve", "deny"]),
  reason: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .describe("Why (recorded in the session; a denial's reason reaches the model)."),
};

/**
 * Registers `decide_approval {session_id, tool_call_id, decision, reason?}` on `server`: decides one
 * pending tool approval of a session of `agent` in `tenant` through `RunManager.decide` (the same as
 * `POST /api/v1/sessions/{s}/approvals/{id}`) and answers like `send_message` with how the continued
 * run ended (still `awaiting-approval` while other calls of the step wait). Refusals are `isError`
 * results naming the code: `SESSION_NOT_FOUND` (also for another agent's session), `APPROVAL_NOT_FOUND`,
 * `APPROVAL_DECIDED`.
 */
export function registerDecideApprovalTool(
  server: McpServer,
  options: { agent: AgentDefinition; runs: RunManager; tenant?: string },
): void {
  const { agent, runs } = options;
  server.registerTool(
    DECIDE_APPROVAL_TOOL,
    {
      title: `Decide a tool approval of ${agent.name}`,
      description: `Approve or deny a tool call that the Pluto agent "${agent.name}" is waiting on (a send_message result with status awaiting-approval lists them), and get the continued answer.`,
      inputSchema,
      outputSchema: runOutputSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    },
    async (args): Promise<CallToolResult> => {
      try {
        const tenant = options.tenant;
        const key = await runs.findSession(args.session_id, tenant);
        if (key === undefined || key.agent !== agent.name) {
          throw new PlutoError(
            "SESSION_NOT_FOUND",
            `No session ${JSON.stringify(args.session_id)} of agent ${agent.name}. Pass the session_id of the send_message result.`,
          );
        }
        const handle = await runs.decide({
          sessionId: args.session_id,
          toolCallId: args.tool_call_id,
          approved: args.decision === "approve",
          ...(tenant === undefined ? {} : { tenant }),
          ...(args.reason === undefined ? {} : { reason: args.reason }),
        });
        return await runToolResult(runs, handle, await handle.result);
      } catch (error) {
        return refusedToolResult(error);
      }
    },
  );
}
