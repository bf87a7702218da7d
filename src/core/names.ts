import { PlutoError } from "./errors.js";

/** One path segment: starts with a letter or digit, then letters, digits, `.`, `_`, `-`; at most 128 chars. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** What a name is used for; appears in error messages. */
export type NameKind = "agent" | "session" | "artifact" | "tenant" | "run" | "task" | "memory document";

/**
 * Checks a single-segment name (agent, session, tenant, run id) before it reaches a path or a key.
 * Rejects empty names, `.`/`..`, separators, absolute paths, NUL and anything outside {@link SEGMENT}.
 * @throws PlutoError `INVALID_NAME` naming the kind and the rule.
 */
export function assertSafeName(kind: NameKind, name: string): string {
  if (typeof name !== "string" || !SEGMENT.test(name) || name.includes("..")) {
    throw new PlutoError(
      "INVALID_NAME",
      `Invalid ${kind} name ${JSON.stringify(String(name).slice(0, 80))}: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, with no '..' or '/'.`,
      { details: { kind, name: String(name).slice(0, 200) } },
    );
  }
  return name;
}

/**
 * Checks a relative path of safe segments separated by `/` (artifact names such as `reports/q1.md`).
 * At most 16 segments and 512 characters; no absolute paths, no `.` or `..` segments, no backslashes.
 * @throws PlutoError `INVALID_NAME`.
 */
export function assertSafePath(kind: NameKind, path: string): string {
  const segments = typeof path === "string" ? path.split("/") : [];
  const ok =
    typeof path === "string" &&
    path.length <= 512 &&
    segments.length <= 16 &&
    segments.every((segment) => SEGMENT.test(segment) && !segment.includes(".."));
  if (!ok) {
    throw new PlutoError(
      "INVALID_NAME",
      `Invalid ${kind} path ${JSON.stringify(String(path).slice(0, 80))}: use relative segments of letters, digits, '.', '_' or '-' joined by '/', with no '..', no leading '/', at most 16 segments.`,
      { details: { kind, name: String(path).slice(0, 200) } },
    );
  }
  return path;
}

/** True when {@link assertSafeName} would accept `name`. */
export function isSafeName(name: string): boolean {
  return SEGMENT.test(name) && !name.includes("..");
}
