import { PlutoError } from "../../core/errors.js";
import type { SessionEvent } from "../../core/events.js";
import { DEFAULT_TENANT } from "../../core/scope.js";
import type { SessionKey } from "./session-store.js";

/**
 * The filesystem session log format (DESIGN.md, State layout; docs/state.md): UTF-8 JSON Lines.
 * Line 1 is the header `{"type":"session","version":1,"id":…,"agent":…,"tenant":…,"createdAt":…}`;
 * every further line is one event with its `seq` first, line `n + 1` holding `seq` n.
 * Every line ends with "\n". Only the final line can be torn by a crash (see {@link inspectLog}).
 */

/** The header line's content. */
export interface SessionHeader {
  type: "session";
  version: 1;
  id: string;
  agent: string;
  tenant: string;
  /** ISO-8601. */
  createdAt: string;
}

/** The current log format version; newer versions are refused rather than misread. */
export const SESSION_LOG_VERSION = 1;

const NEWLINE = 0x0a;

/** The header line, newline included. */
export function encodeHeader(header: Omit<SessionHeader, "type" | "version">): string {
  const line: SessionHeader = { type: "session", version: SESSION_LOG_VERSION, ...header };
  return `${JSON.stringify({ type: line.type, version: line.version, id: line.id, agent: line.agent, tenant: line.tenant, createdAt: line.createdAt })}\n`;
}

/** What {@link inspectLog} finds in a log file. */
export interface LogLayout {
  /** The header, or `undefined` when the file holds no complete header (empty, or torn while being created). */
  header: SessionHeader | undefined;
  /** Byte ranges `[start, end)` of the event lines (without "\n"), event `seq` n at index n - 1. */
  events: [number, number][];
  /** Bytes from the start of the file up to the end of the last valid line; the rest is torn. */
  validBytes: number;
  /** True when the file ends in a torn line that must be cut off before the next append. */
  torn: boolean;
}

/**
 * The error for a broken line. Names the session and its log relative to the data directory, never
 * the server's absolute path: the message reaches HTTP clients.
 */
function corrupt(key: SessionKey, line: number, problem: string): PlutoError {
  const file = `${key.tenant === DEFAULT_TENANT ? "" : `tenants/${key.tenant}/`}sessions/${key.agent}/${key.session}.jsonl`;
  return new PlutoError(
    "SESSION_CORRUPT",
    `Session "${key.session}" of agent "${key.agent}" has a broken log: line ${line} ${problem}. Fix or remove that line by hand in ${file} under the data directory (later events keep their seq, so lines must stay numbered 1, 2, 3…), or restore the file from a backup.`,
    { details: { agent: key.agent, session: key.session, line } },
  );
}

function parseLine(buffer: Buffer, start: number, end: number): unknown {
  try {
    return JSON.parse(buffer.toString("utf8", start, end));
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Splits a log file into lines and checks its structure without parsing every event: the header
 * and the last event are parsed, the rest is found by position.
 *
 * Torn-line rule: bytes after the last "\n" are a torn write and ignored; when the file ends with
 * "\n" but its last line is not a JSON object, that line is torn too (a crash can leave garbage, such
 * as NUL bytes, in the last block). Only the final line is ever treated as torn.
 * @param key the session the log belongs to, for error messages.
 * @throws PlutoError `SESSION_CORRUPT` naming the session and 1-based line when any other line is broken
 * (bad header, newer format version, last event's `seq` not equal to its position).
 */
export function inspectLog(buffer: Buffer, key: SessionKey): LogLayout {
  const lines: [number, number][] = [];
  let start = 0;
  for (let end = buffer.indexOf(NEWLINE); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
    lines.push([start, end]);
    start = end + 1;
  }
  let torn = start < buffer.length;
  const last = lines.at(-1);
  if (!torn && last !== undefined && !isObject(parseLine(buffer, last[0], last[1]))) {
    lines.pop();
    torn = true;
  }
  const headerLine = lines[0];
  if (headerLine === undefined)
    return { header: undefined, events: [], validBytes: 0, torn: buffer.length > 0 };
  const header = parseLine(buffer, headerLine[0], headerLine[1]);
  if (!isObject(header) || header.type !== "session" || typeof header.createdAt !== "string") {
    throw corrupt(key, 1, 'is not a session header ({"type":"session","version":1,…})');
  }
  if (header.version !== SESSION_LOG_VERSION) {
    throw corrupt(
      key,
      1,
      `has format version ${JSON.stringify(header.version)}; this Pluto reads version ${SESSION_LOG_VERSION} (upgrade Pluto)`,
    );
  }
  const events = lines.slice(1);
  const lastEvent = events.at(-1);
  if (lastEvent !== undefined) checkEvent(buffer, lastEvent, events.length, key);
  const validBytes = (lines.at(-1)?.[1] ?? -1) + 1;
  return { header: header as unknown as SessionHeader, events, validBytes, torn };
}

/**
 * Parses the event at `range`, which must hold `seq`.
 * @throws PlutoError `SESSION_CORRUPT` naming line `seq + 1`.
 */
export function checkEvent(
  buffer: Buffer,
  range: [number, number],
  seq: number,
  key: SessionKey,
): SessionEvent {
  const value = parseLine(buffer, range[0], range[1]);
  if (!isObject(value)) throw corrupt(key, seq + 1, "is not a JSON object");
  if (value.seq !== seq) {
    throw corrupt(key, seq + 1, `has seq ${JSON.stringify(value.seq)} where ${seq} belongs`);
  }
  if (typeof value.type !== "string") throw corrupt(key, seq + 1, "has no event type");
  return value as unknown as SessionEvent;
}
