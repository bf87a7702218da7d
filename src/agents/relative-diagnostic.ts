import path from "node:path";
import type { Diagnostic } from "../core/diagnostic.js";

/**
 * A diagnostic as a tenant may see it: `file` relative to the agent folder (`/`-separated), and the
 * folder's absolute path removed from the message and fix, so no server path leaks.
 */
export function relativeDiagnostic(diagnostic: Diagnostic, folder: string): Diagnostic {
  const relative = path.relative(folder, diagnostic.file);
  const file =
    relative === ""
      ? "."
      : relative.startsWith("..") || path.isAbsolute(relative)
        ? path.basename(diagnostic.file)
        : relative;
  const scrub = (text: string) => text.split(`${folder}${path.sep}`).join("").split(folder).join(".");
  return {
    ...diagnostic,
    file: file.split(path.sep).join("/"),
    message: scrub(diagnostic.message),
    fix: scrub(diagnostic.fix),
  };
}
