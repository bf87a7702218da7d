import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { AgentDefinition } from "../../agents/agent-definition.js";
import type { RunEndEvent, SessionEvent } from "../../core/events.js";
import type { RunManager } from "../../runs/run-manager.js";
import { MAX_INPUT_CHARS } from "../schemas.js";
import { refusedToolResult, runOutputSchema, runToolResult } from "./run-tool-result.js";

/** The tool's name on every agent's MCP server. */
export const SEND_MESSAGE_TOOL = "send_message";

const inputSchema = {
  message: z.string().min(1).max(MAX_INPUT_CHARS).describe("The message for the agent (plain text)."),
  session_id: z
    .string()
    .min(1)
    .max(128)
    .optional()
    .describe("Continue this conversation: the session_id of an earlier result. Omit to start a new one."),
};

/**
 * Registers `send_message { message, session_id? }` on `server`: runs `agent` on the message (in that
 * session, or a new one) and answers its final text, with `structuredContent`
 * `{ session_id, run_id, status, usage, error? }`. A failed or aborted run, or a refused start (bad
 * session id, a session of another agent), is an `isError` result whose text names the Pluto error code.
 * A run waiting for a tool approval is not an error: `status` is `awaiting-approval`, `approvals` lists
 * the pending calls and the text names their ids and `decide_approval` (see `run-tool-result.ts`).
 * When the client sends a `progressToken`, each chunk of the answer is sent as `notifications/progress`
 * (`progress` counts chunks, `message` is the chunk). The run is not aborted when the client goes away:
 * it finishes and stays in the session.
 */
export function registerSendMessageTool(
  server: McpServer,
  options: { agent: AgentDefinition; runs: RunManager; tenant?: string },
): void {
  const { agent, runs } = options;
  server.registerTool(
    SEND_MESSAGE_TOOL,
    {
      title: `Message ${agent.name}`,
      description: `Send a message to the Pluto agent "${agent.name}"${agent.description === "" ? "" : ` (${agent.description})`} and get its answer. Pass the session_id of an earlier result to continue that conversation.`,
      inputSchema,
      outputSchema: runOutputSchema,
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
    },
    async (args, extra): Promise<CallToolResult> => {
      const progressToken = extra._meta?.progressToken;
      let runId: string | undefined;
      const early: SessionEvent[] = [];
      let chunks = 0;
      let notifications: Promise<unknown> = Promise.resolve();
      const forward = (event: SessionEvent) => {
        if (progressToken === undefined || event.runId !== runId || event.type !== "text-delta") return;
        chunks += 1;
        const params = { progressToken, progress: chunks, message: event.text };
        notifications = notifications
          .then(() => extra.sendNotification({ method: "notifications/progress", params }))
          .catch(() => {});
      };
      try {
        const handle = await runs.start({
          agent: agent.name,
          input: args.message,
          ...(args.session_id === undefined ? {} : { sessionId: args.session_id }),
          ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
          ...(progressToken === undefined
            ? {}
            : {
                listener: (events: readonly SessionEvent[]) => {
                  // Events may arrive before `start` returns the run id; hold them until it is known.
                  if (runId === undefined) early.push(...events);
                  else for (const event of events) forward(event);
                },
              }),
        });
        runId = handle.runId;
        for (const event of early.splice(0)) forward(event);
        let end: RunEndEvent;
        try {
          end = await handle.result;
        } finally {
          handle.unsubscribe();
        }
        await notifications;
        return await runToolResult(runs, handle, end);
      } catch (error) {
        return refusedToolResult(error);
      }
    },
  );
}
