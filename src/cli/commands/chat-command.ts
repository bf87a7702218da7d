import { createInterface } from "node:readline";
import type { RunEndEvent, SessionEvent } from "../../core/events.js";
import { sessionApprovals } from "../../executor/pending-approvals.js";
import type { SessionListener } from "../../runs/event-bus.js";
import type { RunHandle } from "../../runs/run-manager.js";
import type { SessionKey } from "../../services/session/session-store.js";
import { type CliIo, type GlobalOptions, openRuntime } from "../cli-context.js";
import { createEventRenderer } from "../render-events.js";

const HELP = "Commands: /new (start a new session), /reset (erase this session's history), /exit (quit).";

/**
 * `pluto chat AGENT`: an interactive conversation. Reads one message per line from stdin (a TTY or a
 * pipe), streams each answer, shows tool calls. `/new`, `/reset` and `/exit` control the session;
 * `--session ID` resumes an earlier one. Ctrl-C aborts the current answer; at the prompt it exits.
 * A tool call that waits for approval is shown with its input and asked about inline: `y` runs it,
 * anything else refuses it (the model is told), then the answer goes on.
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
    const input = lines[Symbol.asyncIterator]();
    const nextLine = async (): Promise<string | undefined> => {
      const next = await input.next();
      return next.done === true ? undefined : next.value;
    };
    /** Queues a run (a message or a decision), renders its events, and resolves with its end. */
    const follow = async (start: (listener: SessionListener) => Promise<RunHandle>): Promise<RunEndEvent> => {
      const pending: SessionEvent[] = [];
      let runId = "";
      const handle = await start((events) => {
        for (const event of events) {
          if (runId === "") pending.push(event);
          else if (event.runId === runId) render(event);
        }
      });
      runId = handle.runId;
      activeRun = runId;
      for (const event of pending.splice(0)) if (event.runId === runId) render(event);
      sessionId = handle.key.session;
      const end = await handle.result.finally(() => {
        handle.unsubscribe();
        activeRun = undefined;
      });
      return end;
    };
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
      for (let raw = await nextLine(); raw !== undefined; raw = await nextLine()) {
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
        const message = raw;
        let end = await follow((listener) =>
          runtime.runs.start({
            agent: agent.name,
            input: message,
            ...(sessionId === undefined ? {} : { sessionId }),
            listener,
          }),
        );
        // Ask about each waiting call inline; every answer but y/yes refuses it.
        while (end.status === "awaiting-approval" && sessionId !== undefined) {
          const session = sessionId;
          const key: SessionKey = { tenant: "default", agent: agent.name, session };
          const waiting = sessionApprovals(await runtime.runs.touch(key)).entries.find(
            (entry) => entry.response === undefined,
          );
          if (waiting === undefined) break;
          const { request } = waiting;
          io.stderr.write(
            `\nAllow ${request.toolName} ${JSON.stringify(request.input)}?${request.reason === undefined ? "" : ` (${request.reason})`} [y/N] `,
          );
          const answer = (await nextLine())?.trim().toLowerCase();
          // End of input decides nothing: the call keeps waiting for `pluto approve` or the HTTP API.
          if (answer === undefined) break;
          const approved = answer === "y" || answer === "yes";
          end = await follow((listener) =>
            runtime.runs.decide({ sessionId: session, toolCallId: request.toolCallId, approved, listener }),
          );
        }
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
