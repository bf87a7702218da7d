import type { SessionEvent } from "../core/events.js";

/** Where the renderer writes: answer text to `out`, progress (tool calls, errors) to `err`. */
export interface RenderTarget {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** Use ANSI colours for progress lines. */
  color: boolean;
}

const MAX_PREVIEW = 160;

function preview(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const line = (text ?? "").replace(/\s+/g, " ");
  return line.length > MAX_PREVIEW ? `${line.slice(0, MAX_PREVIEW)}…` : line;
}

/**
 * Renders run events for a person at a terminal: answer text streams to stdout as it arrives; tool
 * calls, tool results and failures go to stderr as one-line summaries, so `pluto run … > file`
 * captures only the answer.
 */
export function createEventRenderer(target: RenderTarget): (event: SessionEvent) => void {
  const dim = (text: string) => (target.color ? `\x1b[2m${text}\x1b[0m` : text);
  const red = (text: string) => (target.color ? `\x1b[31m${text}\x1b[0m` : text);
  let midLine = false;
  const endLine = () => {
    if (midLine) target.out.write("\n");
    midLine = false;
  };
  return (event) => {
    switch (event.type) {
      case "text-delta":
        target.out.write(event.text);
        midLine = !event.text.endsWith("\n");
        break;
      case "tool-call":
        endLine();
        target.err.write(`${dim(`→ ${event.toolName}(${preview(event.input)})`)}\n`);
        break;
      case "tool-result":
        target.err.write(
          `${event.isError ? red(`✗ ${event.toolName}: ${preview(event.content)}`) : dim(`← ${event.toolName}: ${preview(event.content)}`)}\n`,
        );
        break;
      case "run-end":
        endLine();
        if (event.status !== "completed") {
          const reason = event.error ? `${event.error.code}: ${event.error.message}` : event.status;
          target.err.write(`${red(`Run ${event.status}: ${reason}`)}\n`);
        }
        break;
      default:
        break;
    }
  };
}

/** Process exit code for a run status: completed 0, failed 1, awaiting-approval 2, aborted 130. */
export function exitCodeForStatus(status: string): number {
  switch (status) {
    case "completed":
      return 0;
    case "awaiting-approval":
      return 2;
    case "aborted":
      return 130;
    default:
      return 1;
  }
}
