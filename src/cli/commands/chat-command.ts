import { createInterface } from "node:readline";
import type { SessionEvent } from "../../core/events.js";
import type { SessionKey } from "../../services/session/session-store.js";
import { type CliIo, type GlobalOptions, openRuntime } from "../cli-context.js";
import { createEventRenderer } from "../render-events.js";

const HELP = "Commands: /new (start a new session), /reset (erase this session's history), /exit (quit).";

/**
 * `pluto chat AGENT`: an interactive conversation. Reads one message per line from stdin (a TTY or a
 * pipe), streams each answer, shows tool calls. `/new`, `/reset` and `/exit` control the session;
 * `--session ID` resumes an earlier one. Ctrl-C aborts the current answer; at the prompt it exits.
 */
export async function chatCommand(
  io: CliIo,
  globals: GlobalOptions,
  options: { agent: string; session: string | undefined },
): Promise<number> {
  const runtime = await openRuntime(io, globals);
  const interactive = io.stdin.isTTY === true;
  const render = createEventRenderer({ out: io.stdout, err: io.stderr, color: io.stderr.isTTY === true });
  let sessionId = options.session;
  let activeRun: string | undefined;
  let exitCode = 0;
  try {
    const agent = await runtime.agents.get(options.agent);
    io.stderr.write(`Chatting with ${agent.name} (${agent.model}). ${HELP}\n`);
    if (sessionId !== undefined) io.stderr.write(`Resuming session ${sessionId}.\n`);

    const lines = createInterface({ input: io.stdin, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
    const prompt = () => {
      if (interactive) io.stdout.write("you› ");
    };
    const onSignal = () => {
      if (activeRun !== undefined) runtime.runs.abort(activeRun);
      else lines.close();
    };
    process.on("SIGINT", onSignal);
    prompt();
    try {
      for await (const raw of lines) {
        const line = raw.trim();
        if (line === "") {
          prompt();
          continue;
        }
        if (line === "/exit" || line === "/quit") break;
        if (line === "/new") {
          sessionId = undefined;
          io.stderr.write("Started a new session.\n");
          prompt();
          continue;
        }
        if (line === "/reset") {
          if (sessionId !== undefined) {
            const key: SessionKey = { tenant: "default", agent: agent.name, session: sessionId };
            await runtime.sessions.delete(key);
          }
          io.stderr.write("This session's history is erased.\n");
          prompt();
          continue;
        }
        if (line.startsWith("/") && !line.includes(" ")) {
          io.stderr.write(`Unknown command ${line}. ${HELP}\n`);
          prompt();
          continue;
        }
        if (interactive) io.stdout.write(`${agent.name}› `);
        const pending: SessionEvent[] = [];
        let runId = "";
        const handle = await runtime.runs.start({
          agent: agent.name,
          input: raw,
          ...(sessionId === undefined ? {} : { sessionId }),
          listener: (events) => {
            for (const event of events) {
              if (runId === "") pending.push(event);
              else if (event.runId === runId) render(event);
            }
          },
        });
        runId = handle.runId;
        activeRun = runId;
        for (const event of pending.splice(0)) if (event.runId === runId) render(event);
        sessionId = handle.key.session;
        const end = await handle.result;
        handle.unsubscribe();
        activeRun = undefined;
        exitCode = end.status === "completed" ? 0 : 1;
        prompt();
      }
    } finally {
      process.off("SIGINT", onSignal);
      lines.close();
    }
    if (sessionId !== undefined)
      io.stderr.write(
        `Session ${sessionId} (resume with: pluto chat ${agent.name} --session ${sessionId})\n`,
      );
    return interactive ? 0 : exitCode;
  } finally {
    await runtime.close();
  }
}
