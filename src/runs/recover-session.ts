import type { RunEndEvent, SessionEvent } from "../core/events.js";
import { ZERO_USAGE } from "../core/events.js";

/**
 * Finds a run that was cut off (a `run-start` with no `run-end` after it, e.g. after `kill -9`) and
 * returns the `run-end` event that marks it failed with code `RUN_INTERRUPTED`, or `undefined` when
 * the log is clean. Called whenever a session is touched, before a new run starts.
 */
export function interruptedRunEnd(events: readonly SessionEvent[], now: Date): RunEndEvent | undefined {
  let open: SessionEvent | undefined;
  let steps = 0;
  for (const event of events) {
    if (event.type === "run-start") {
      open = event;
      steps = 0;
    } else if (event.type === "step-start") {
      steps = event.step;
    } else if (event.type === "run-end") {
      open = undefined;
    }
  }
  if (open === undefined) return undefined;
  return {
    type: "run-end",
    runId: open.runId,
    time: now.toISOString(),
    status: "failed",
    usage: ZERO_USAGE,
    steps,
    error: {
      code: "RUN_INTERRUPTED",
      message:
        "This run was cut off (the process stopped before it finished). Send the message again to retry.",
    },
  };
}
