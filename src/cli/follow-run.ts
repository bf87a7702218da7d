import type { SessionEvent } from "../core/events.js";
import { sessionApprovals } from "../executor/pending-approvals.js";
import type { SessionListener } from "../runs/event-bus.js";
import type { RunHandle } from "../runs/run-manager.js";
import type { Runtime } from "../runtime.js";
import type { CliIo } from "./cli-context.js";
import { createEventRenderer, exitCodeForStatus } from "./render-events.js";

/**
 * Queues a run (`start` receives the listener to subscribe before it is queued), renders its events
 * (text, or JSONL with `json`), aborts it on Ctrl-C and, when it ends `awaiting-approval`, prints each
 * waiting call with the `pluto approve` / `pluto deny` commands that decide it.
 * @returns the exit code for the run's status (see `exitCodeForStatus`: 2 while awaiting approval).
 */
export async function followRun(
  io: CliIo,
  runtime: Runtime,
  options: { json: boolean; start: (listener: SessionListener) => Promise<RunHandle> },
): Promise<number> {
  const render = options.json
    ? (event: SessionEvent) => io.stdout.write(`${JSON.stringify(event)}\n`)
    : createEventRenderer({ out: io.stdout, err: io.stderr, color: io.stderr.isTTY === true });
  let runId = "";
  const pending: SessionEvent[] = [];
  const handle = await options.start((events) => {
    for (const event of events) {
      if (runId === "") pending.push(event);
      else if (event.runId === runId) render(event);
    }
  });
  runId = handle.runId;
  for (const event of pending.splice(0)) if (event.runId === runId) render(event);
  const onSignal = () => runtime.runs.abort(handle.runId);
  process.once("SIGINT", onSignal);
  const end = await handle.result.finally(() => process.off("SIGINT", onSignal));
  handle.unsubscribe();
  const session = handle.key.session;
  io.stderr.write(`session: ${session}\n`);
  if (end.status === "awaiting-approval") {
    const { entries } = sessionApprovals(await runtime.runs.touch(handle.key));
    for (const { request } of entries.filter((entry) => entry.response === undefined)) {
      io.stderr.write(
        `waiting for approval: ${request.toolName} ${JSON.stringify(request.input)}${request.reason === undefined ? "" : ` (${request.reason})`}\n` +
          `  approve: pluto approve ${session} ${request.toolCallId}\n` +
          `  deny:    pluto deny ${session} ${request.toolCallId}\n`,
      );
    }
  }
  return exitCodeForStatus(end.status);
}
