import type { AgentDefinition } from "../agents/agent-definition.js";
import { errorMessage, isPlutoError, PlutoError } from "../core/errors.js";
import { type RunEndEvent, ZERO_USAGE } from "../core/events.js";
import type { SessionWriter } from "../executor/session-writer.js";

/**
 * Records a run that could not start (an MCP server down, memory unreadable) as a `run-start` and a
 * failed `run-end`, so JSON callers get a status and SSE streams their last frame instead of waiting
 * forever. `continues` is kept on the run-start of a continuation after approvals.
 */
export async function failBeforeStart(
  writer: SessionWriter,
  run: { agent: AgentDefinition; runId: string; input: string; continues?: string | undefined },
  error: unknown,
  now: Date,
): Promise<RunEndEvent> {
  const failure = isPlutoError(error)
    ? error
    : new PlutoError("INTERNAL", `The run could not start: ${errorMessage(error)}`, { cause: error });
  const time = now.toISOString();
  const { agent, runId } = run;
  writer.write({
    type: "run-start",
    runId,
    time,
    agent: agent.name,
    input: run.input,
    model: agent.model,
    ...(run.continues === undefined ? {} : { continues: run.continues }),
  });
  const end: RunEndEvent = {
    type: "run-end",
    runId,
    time,
    status: "failed",
    usage: ZERO_USAGE,
    steps: 0,
    error: { code: failure.code, message: failure.message },
  };
  writer.write(end);
  await writer.flush();
  return end;
}
