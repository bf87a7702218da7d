import type { SessionEvent } from "../../core/events.js";
import { type CliIo, type GlobalOptions, openRuntime } from "../cli-context.js";
import { createEventRenderer, exitCodeForStatus } from "../render-events.js";

/**
 * `pluto run AGENT "prompt"`: one turn. Streams the answer to stdout (or every event as JSONL with
 * `--json`); the exit code reflects the run's status (see `exitCodeForStatus`). Ctrl-C aborts the run.
 */
export async function runCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { agent: string; prompt: string; session: string | undefined; json: boolean },
): Promise<number> {
  const runtime = await openRuntime(io, globals);
  try {
    const render = options.json
      ? (event: SessionEvent) => io.stdout.write(`${JSON.stringify(event)}\n`)
      : createEventRenderer({ out: io.stdout, err: io.stderr, color: io.stderr.isTTY === true });
    let runId = "";
    const pending: SessionEvent[] = [];
    const handle = await runtime.runs.start({
      agent: options.agent,
      input: options.prompt,
      ...(options.session === undefined ? {} : { sessionId: options.session }),
      listener: (events) => {
        for (const event of events) {
          if (runId === "") pending.push(event);
          else if (event.runId === runId) render(event);
        }
      },
    });
    runId = handle.runId;
    for (const event of pending.splice(0)) if (event.runId === runId) render(event);
    const onSignal = () => runtime.runs.abort(handle.runId);
    process.once("SIGINT", onSignal);
    const end = await handle.result.finally(() => process.off("SIGINT", onSignal));
    handle.unsubscribe();
    io.stderr.write(`session: ${handle.key.session}\n`);
    return exitCodeForStatus(end.status);
  } finally {
    await runtime.close();
  }
}
