import { PlutoError } from "../../core/errors.js";
import { assertSafeName, isSafeName } from "../../core/names.js";
import type { TaskInput, TaskProtocol, TaskRecord } from "./task-store.js";

/**
 * Input checks shared by every {@link TaskStore} backend, so that all of them reject the same bad
 * input with the same codes before anything is written.
 */

/** The protocols a task may belong to (`TaskProtocol`). */
export const TASK_PROTOCOLS: readonly TaskProtocol[] = ["agent-protocol", "a2a"];

/** Largest `data` a task may carry, serialised as JSON, in bytes (1 MiB, from `TaskRecord.data`). */
export const MAX_TASK_DATA_BYTES = 1024 * 1024;

/** Default and largest page size of `TaskStore.list`. */
export const DEFAULT_TASK_LIST_LIMIT = 100;

/**
 * Validates a task id with the same rule as every other name (`assertSafeName`); the error names the
 * kind "task" (core's `NameKind` has no such entry, so the check is spelled with `isSafeName`).
 * @throws PlutoError `INVALID_NAME`.
 */
export function checkTaskId(id: string): string {
  if (typeof id !== "string" || !isSafeName(id)) {
    throw new PlutoError(
      "INVALID_NAME",
      `Invalid task id ${JSON.stringify(String(id).slice(0, 80))}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, with no '..' or '/'.`,
      { details: { kind: "task", name: String(id).slice(0, 200) } },
    );
  }
  return id;
}

/** Validates a protocol name. @throws PlutoError `BAD_REQUEST` naming the known protocols. */
export function checkTaskProtocol(protocol: TaskProtocol): TaskProtocol {
  if (!TASK_PROTOCOLS.includes(protocol)) {
    throw new PlutoError(
      "BAD_REQUEST",
      `Unknown task protocol ${JSON.stringify(protocol)}; use one of: ${TASK_PROTOCOLS.join(", ")}.`,
      { details: { protocol: String(protocol).slice(0, 80) } },
    );
  }
  return protocol;
}

/** A non-negative safe integer, or `BAD_REQUEST` naming the option. */
export function checkTaskCount(name: string, value: unknown): number {
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

/** An ISO-8601 timestamp string (as `Date.parse` reads it). @throws PlutoError `BAD_REQUEST`. */
function checkTimestamp(name: string, value: unknown): string {
  if (typeof value !== "string" || Number.isNaN(Date.parse(value))) {
    throw new PlutoError(
      "BAD_REQUEST",
      `${name} must be an ISO-8601 time such as "2025-01-31T12:00:00.000Z".`,
      {
        details: { field: name },
      },
    );
  }
  return value;
}

/**
 * Validates a task about to be written and serialises its data once.
 * @returns a plain copy of the input (extra properties dropped) and the JSON text of `data`.
 * @throws PlutoError `INVALID_NAME` for an unsafe tenant, id, agent or session; `BAD_REQUEST` for an
 * unknown protocol, a bad `createdAt`, a non-object `data`, a bad `expectedVersion`, or `data` above
 * {@link MAX_TASK_DATA_BYTES}.
 */
export function checkTaskPut(
  tenant: string,
  task: TaskInput,
  options: { expectedVersion: number },
): { tenant: string; task: TaskInput; dataJson: string; expectedVersion: number } {
  const checkedTenant = assertSafeName("tenant", tenant);
  const id = checkTaskId(task?.id);
  const protocol = checkTaskProtocol(task.protocol);
  const agent = assertSafeName("agent", task.agent);
  const session = assertSafeName("session", task.session);
  const createdAt = checkTimestamp("createdAt", task.createdAt);
  const expectedVersion = checkTaskCount("expectedVersion", options?.expectedVersion);
  const data = task.data;
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new PlutoError("BAD_REQUEST", "Task data must be a JSON object; wrap other values in one.", {
      details: { id },
    });
  }
  let dataJson: string;
  try {
    dataJson = JSON.stringify(data);
  } catch (error) {
    throw new PlutoError("BAD_REQUEST", "Task data must be JSON-serialisable (no cycles, no BigInt).", {
      details: { id },
      cause: error,
    });
  }
  const bytes = Buffer.byteLength(dataJson);
  if (bytes > MAX_TASK_DATA_BYTES) {
    throw new PlutoError(
      "BAD_REQUEST",
      `Task data is ${bytes} bytes serialised; the limit is ${MAX_TASK_DATA_BYTES}. Keep large content in artifacts or the session log.`,
      { details: { id, bytes, limit: MAX_TASK_DATA_BYTES } },
    );
  }
  return {
    tenant: checkedTenant,
    task: { id, protocol, agent, session, createdAt, data: JSON.parse(dataJson) as Record<string, unknown> },
    dataJson,
    expectedVersion,
  };
}

/**
 * Resolves `TaskStore.list` options to concrete values.
 * @returns `offset` (default 0), `limit` (any non-negative integer, default
 * {@link DEFAULT_TASK_LIST_LIMIT}) and the optional agent filter.
 * @throws PlutoError `BAD_REQUEST` for negative or non-integer numbers, `INVALID_NAME` for a bad agent.
 */
export function checkTaskListOptions(
  options: { agent?: string; offset?: number; limit?: number } | undefined,
): {
  agent: string | undefined;
  offset: number;
  limit: number;
} {
  return {
    agent: options?.agent === undefined ? undefined : assertSafeName("agent", options.agent),
    offset: options?.offset === undefined ? 0 : checkTaskCount("offset", options.offset),
    limit: options?.limit === undefined ? DEFAULT_TASK_LIST_LIMIT : checkTaskCount("limit", options.limit),
  };
}

/**
 * The error a put gets when `expectedVersion` is stale.
 * @returns PlutoError `SESSION_CONFLICT` with details `{ expectedVersion, actualVersion, task, protocol }`.
 */
export function taskConflict(task: TaskInput, expectedVersion: number, actualVersion: number): PlutoError {
  return new PlutoError(
    "SESSION_CONFLICT",
    `Task "${task.id}" (${task.protocol}) is at version ${actualVersion}, not ${expectedVersion}: another writer changed it first. Read it again and retry with expectedVersion ${actualVersion}.`,
    { details: { expectedVersion, actualVersion, task: task.id, protocol: task.protocol } },
  );
}

/** The record a successful put stores: the input plus the next version and the write time. */
export function nextTaskRecord(task: TaskInput, version: number): TaskRecord {
  return { ...task, version, updatedAt: new Date().toISOString() };
}

/** Sorts records oldest first by `createdAt`, then by id so the order is total. */
export function compareTasksByAge(a: TaskRecord, b: TaskRecord): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
