import { type CliIo, type GlobalOptions, openRuntime } from "../cli-context.js";
import { followRun } from "../follow-run.js";

/**
 * `pluto run AGENT "prompt"`: one turn. Streams the answer to stdout (or every event as JSONL with
 * `--json`); the exit code reflects the run's status (see `exitCodeForStatus`: 2 when a tool call waits
 * for approval, with the `pluto approve` / `pluto deny` commands printed). Ctrl-C aborts the run.
 */
export async function runCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { agent: string; prompt: string; session: string | undefined; json: boolean },
): Promise<number> {
  const runtime = await openRuntime(io, globals);
  try {
    return await followRun(io, runtime, {
      json: options.json,
      start: (listener) =>
        runtime.runs.start({
          agent: options.agent,
          input: options.prompt,
          ...(options.session === undefined ? {} : { sessionId: options.session }),
          listener,
        }),
    });
  } finally {
    await runtime.close();
  }
}
