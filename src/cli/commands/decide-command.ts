import { type CliIo, type GlobalOptions, openRuntime } from "../cli-context.js";
import { followRun } from "../follow-run.js";

/**
 * `pluto approve SESSION CALL_ID` / `pluto deny SESSION CALL_ID [--reason TEXT]`: decides one tool call
 * waiting for approval in a session of the default tenant, then follows the continued run like
 * `pluto run` (same output and exit codes).
 * @throws PlutoError `SESSION_NOT_FOUND`, `APPROVAL_NOT_FOUND`, `APPROVAL_DECIDED` (printed with exit 1).
 */
export async function decideCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { session: string; toolCallId: string; approved: boolean; reason?: string; json: boolean },
): Promise<number> {
  const runtime = await openRuntime(io, globals);
  try {
    return await followRun(io, runtime, {
      json: options.json,
      start: (listener) =>
        runtime.runs.decide({
          sessionId: options.session,
          toolCallId: options.toolCallId,
          approved: options.approved,
          ...(options.reason === undefined ? {} : { reason: options.reason }),
          listener,
        }),
    });
  } finally {
    await runtime.close();
  }
}
