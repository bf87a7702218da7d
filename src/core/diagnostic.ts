import path from "node:path";

/**
 * One problem found while loading a user-authored file (agent.yaml, pluto.yaml, SKILL.md, a prompt file).
 * Loaders collect every diagnostic instead of stopping at the first one (pi-mono's `{ skills, diagnostics }`).
 */
export interface Diagnostic {
  /** Absolute path of the file the problem is in (or of the file that is missing). */
  file: string;
  /** 1-based line of the offending node, or of its nearest existing parent for a missing key. */
  line?: number;
  /** 1-based column on {@link line}. */
  column?: number;
  /** Dotted key path inside the file, e.g. `spec.limits.max_steps` or `spec.tools.mcp.0.name`. */
  path?: string;
  /** What is wrong, in one sentence. */
  message: string;
  /** How to fix it, in one sentence. */
  fix: string;
  /**
   * `error` makes the file unusable; `warning` is reported but the file still loads (for example a skill
   * whose name does not match its folder). @default "error" when absent.
   */
  severity?: "error" | "warning";
}

/** True when the diagnostic blocks loading (`severity` absent or `error`). */
export function isErrorDiagnostic(diagnostic: Diagnostic): boolean {
  return diagnostic.severity !== "warning";
}

/** Options for {@link formatDiagnostic}. */
export interface FormatDiagnosticOptions {
  /** When set, `file` is printed relative to this directory (if it lies below it). */
  relativeTo?: string;
}

/**
 * Renders a diagnostic the way compilers do, so editors and terminals can link to it:
 * `FILE:LINE:COL: message\n  fix: …` (`FILE:LINE: …` without a column, `FILE: …` without a line).
 * Warnings get a `warning: ` prefix before the message.
 */
export function formatDiagnostic(diagnostic: Diagnostic, options: FormatDiagnosticOptions = {}): string {
  let file = diagnostic.file;
  if (options.relativeTo !== undefined) {
    const relative = path.relative(options.relativeTo, file);
    if (relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative)) file = relative;
  }
  let location = file;
  if (diagnostic.line !== undefined) {
    location += `:${diagnostic.line}`;
    if (diagnostic.column !== undefined) location += `:${diagnostic.column}`;
  }
  const prefix = diagnostic.severity === "warning" ? "warning: " : "";
  return `${location}: ${prefix}${diagnostic.message}\n  fix: ${diagnostic.fix}`;
}

/** Formats a list of diagnostics, one block per diagnostic, separated by newlines. */
export function formatDiagnostics(
  diagnostics: readonly Diagnostic[],
  options: FormatDiagnosticOptions = {},
): string {
  return diagnostics.map((diagnostic) => formatDiagnostic(diagnostic, options)).join("\n");
}

/** Orders diagnostics by file, then line, then column; stable for equal positions. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}

/**
 * A short reason for a failed filesystem call, for diagnostic messages: "not found", "permission denied",
 * "it is a directory, not a file", …; other errors give their message.
 */
export function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "ENOENT":
      return "not found";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "it is a directory, not a file";
    case "ENOTDIR":
      return "a parent path is not a folder";
    case "ELOOP":
      return "too many symbolic links";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
