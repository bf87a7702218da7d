import { PlutoError } from "../../core/errors.js";
import { RUN_EVENT_TYPES, type RunEvent, type SessionEvent } from "../../core/events.js";
import { assertSafeName } from "../../core/names.js";
import type { AppendOptions, ReadOptions, SessionKey } from "./session-store.js";

/**
 * Input checks shared by every {@link SessionStore} backend, so that all of them reject the same
 * bad input with the same codes before anything is written.
 */

/**
 * Validates the three names of a session key.
 * @returns a plain copy `{ tenant, agent, session }` (extra properties dropped).
 * @throws PlutoError `INVALID_NAME` when any of them is not a safe single-segment name.
 */
export function checkSessionKey(key: SessionKey): SessionKey {
  return {
    tenant: assertSafeName("tenant", key?.tenant),
    agent: assertSafeName("agent", key?.agent),
    session: assertSafeName("session", key?.session),
  };
}

/** A non-negative safe integer, or `BAD_REQUEST` naming the option. */
function checkCount(name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new PlutoError(
      "BAD_REQUEST",
      `${name} must be a non-negative integer, got ${JSON.stringify(value)}.`,
      {
        details: { option: name },
      },
    );
  }
  return value;
}

/**
 * Validates an append's events and options: `events` must be an array of objects whose `type` is one
 * of {@link RUN_EVENT_TYPES}; `expectedSeq` a non-negative integer.
 * @returns the expected sequence number.
 * @throws PlutoError `BAD_REQUEST`.
 */
export function checkAppend(events: RunEvent[], options: AppendOptions): number {
  if (!Array.isArray(events)) {
    throw new PlutoError("BAD_REQUEST", "append() needs an array of events; pass [] to append nothing.");
  }
  events.forEach((event, index) => {
    const type = (event as { type?: unknown } | null)?.type;
    if (typeof event !== "object" || event === null || !RUN_EVENT_TYPES.includes(type as RunEvent["type"])) {
      throw new PlutoError(
        "BAD_REQUEST",
        `Event ${index} has no known type (${JSON.stringify(type)}); use one of: ${RUN_EVENT_TYPES.join(", ")}.`,
        { details: { index } },
      );
    }
  });
  return checkCount("expectedSeq", options?.expectedSeq);
}

/**
 * Resolves {@link ReadOptions} to concrete numbers.
 * @returns `after` (default 0) and `limit` (default `Infinity`).
 * @throws PlutoError `BAD_REQUEST` for negative or non-integer values.
 */
export function checkReadOptions(options: ReadOptions | undefined): { after: number; limit: number } {
  const after = options?.after === undefined ? 0 : checkCount("after", options.after);
  const limit = options?.limit === undefined ? Number.POSITIVE_INFINITY : checkCount("limit", options.limit);
  return { after, limit };
}

/**
 * The error an append gets when `expectedSeq` is stale.
 * @returns PlutoError `SESSION_CONFLICT` with details `{ expectedSeq, actualSeq }`.
 */
export function sessionConflict(key: SessionKey, expectedSeq: number, actualSeq: number): PlutoError {
  return new PlutoError(
    "SESSION_CONFLICT",
    `Session "${key.session}" of agent "${key.agent}" is at seq ${actualSeq}, not ${expectedSeq}: another writer appended first. Read the new events and retry with expectedSeq ${actualSeq}.`,
    { details: { expectedSeq, actualSeq, session: key.session, agent: key.agent } },
  );
}

/**
 * The stored form of an event: `line` is its JSON with `seq` as the first field (log lines read
 * `{"seq":1,"type":…}`), `event` a fresh parse of that line, so every backend returns exactly what a
 * JSON round-trip keeps (fields that are `undefined` disappear). A `seq` on the input is overwritten.
 */
export function encodeEvent(event: RunEvent, seq: number): { line: string; event: SessionEvent } {
  const line = JSON.stringify(Object.assign({ seq }, event, { seq }));
  return { line, event: JSON.parse(line) as SessionEvent };
}
