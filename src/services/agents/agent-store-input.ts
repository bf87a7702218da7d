import { PlutoError } from "../../core/errors.js";
import { assertSafeName, assertSafePath } from "../../core/names.js";
import {
  AGENT_STORE_MAX_BYTES,
  AGENT_STORE_MAX_FILES,
  AGENT_STORE_MAX_PAGE,
  type AgentStoreFiles,
  type AgentStorePutOptions,
} from "./agent-store.js";

/** A checked `AgentStore.put` call, shared by every backend so they refuse the same input. */
export interface CheckedAgentPut {
  tenant: string;
  name: string;
  /** The files with sorted keys (a plain object of strings, detached from the caller's). */
  files: AgentStoreFiles;
  /** `JSON.stringify(files)`. */
  filesJson: string;
  expectedVersion: number | undefined;
}

/**
 * Checks the arguments of `AgentStore.put`: safe tenant and agent names, a plain object of at most
 * {@link AGENT_STORE_MAX_FILES} files, each path a safe relative path, each text a string, at most
 * {@link AGENT_STORE_MAX_BYTES} UTF-8 bytes together, and `expectedVersion` a non-negative integer.
 * @throws PlutoError `INVALID_NAME`, `BAD_REQUEST` or `PAYLOAD_TOO_LARGE` saying what to change.
 */
export function checkAgentPut(
  tenant: string,
  name: string,
  files: AgentStoreFiles,
  options: AgentStorePutOptions = {},
): CheckedAgentPut {
  assertSafeName("tenant", tenant);
  assertSafeName("agent", name);
  if (files === null || typeof files !== "object" || Array.isArray(files)) {
    throw new PlutoError("BAD_REQUEST", `The files of agent "${name}" must be an object of path → text.`);
  }
  const paths = Object.keys(files).sort();
  if (paths.length > AGENT_STORE_MAX_FILES) {
    throw new PlutoError(
      "BAD_REQUEST",
      `Agent "${name}" has ${paths.length} files; at most ${AGENT_STORE_MAX_FILES} are stored. Merge or remove files.`,
      { details: { agent: name, count: paths.length, max: AGENT_STORE_MAX_FILES } },
    );
  }
  const checked: AgentStoreFiles = {};
  let bytes = 0;
  for (const file of paths) {
    assertSafePath("agent", file);
    const text = files[file];
    if (typeof text !== "string") {
      throw new PlutoError(
        "BAD_REQUEST",
        `File ${JSON.stringify(file)} of agent "${name}" must be a string.`,
        {
          details: { agent: name, file },
        },
      );
    }
    bytes += Buffer.byteLength(text, "utf8");
    checked[file] = text;
  }
  if (bytes > AGENT_STORE_MAX_BYTES) {
    throw new PlutoError(
      "PAYLOAD_TOO_LARGE",
      `Agent "${name}" has ${bytes} bytes of files; at most ${AGENT_STORE_MAX_BYTES} (4 MiB) are stored. Shorten or remove files.`,
      { details: { agent: name, bytes, max: AGENT_STORE_MAX_BYTES } },
    );
  }
  const expected = options.expectedVersion;
  if (expected !== undefined && (!Number.isSafeInteger(expected) || expected < 0)) {
    throw new PlutoError(
      "BAD_REQUEST",
      `expectedVersion must be a non-negative integer (0: the agent must not exist), got ${String(expected)}.`,
      { details: { agent: name, expectedVersion: String(expected) } },
    );
  }
  return { tenant, name, files: checked, filesJson: JSON.stringify(checked), expectedVersion: expected };
}

/**
 * Checks the paging of `AgentStore.list`. @returns `{ offset, limit }` with defaults 0 and 100.
 * @throws PlutoError `BAD_REQUEST` for a negative or fractional offset, or a limit outside 1..1000.
 */
export function checkAgentListOptions(options: { offset?: number; limit?: number } = {}): {
  offset: number;
  limit: number;
} {
  const offset = options.offset ?? 0;
  const limit = options.limit ?? 100;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new PlutoError("BAD_REQUEST", `offset must be a non-negative integer (got ${String(offset)}).`, {
      details: { field: "offset" },
    });
  }
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > AGENT_STORE_MAX_PAGE) {
    throw new PlutoError(
      "BAD_REQUEST",
      `limit must be an integer from 1 to ${AGENT_STORE_MAX_PAGE} (got ${String(limit)}); page with offset.`,
      { details: { field: "limit" } },
    );
  }
  return { offset, limit };
}

/** The `SESSION_CONFLICT` error of a put whose `expectedVersion` did not match (`actual` 0: absent). */
export function agentConflict(name: string, expected: number, actual: number): PlutoError {
  return new PlutoError(
    "SESSION_CONFLICT",
    actual === 0
      ? `Agent "${name}" does not exist (expected version ${expected}); read it again before writing.`
      : `Agent "${name}" is at version ${actual}, not ${expected}: someone else changed it. Read it again and retry.`,
    { details: { agent: name, expectedVersion: expected, actualVersion: actual } },
  );
}
