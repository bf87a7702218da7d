import { join, relative, resolve, sep } from "node:path";
import { PlutoError } from "../../core/errors.js";
import { assertSafeName } from "../../core/names.js";
import { DEFAULT_TENANT, type Scope } from "../../core/scope.js";

/** The three state areas of a data directory (DESIGN.md, State layout). */
export type StateArea = "sessions" | "memory" | "artifacts";

/**
 * The directory holding one agent's state of one area:
 * `<dataDir>/<area>/<agent>` for the default tenant, `<dataDir>/tenants/<tenant>/<area>/<agent>` otherwise.
 * @throws PlutoError `INVALID_NAME` when the tenant or agent is not a safe name.
 */
export function scopeDirectory(dataDir: string, scope: Scope, area: StateArea): string {
  const tenant = assertSafeName("tenant", scope?.tenant);
  const agent = assertSafeName("agent", scope?.agent);
  const root = resolve(dataDir);
  return tenant === DEFAULT_TENANT ? join(root, area, agent) : join(root, "tenants", tenant, area, agent);
}

/**
 * Joins an already validated relative path onto `root` and checks that the result stays strictly
 * inside `root` (defence in depth behind the name checks).
 * @throws PlutoError `INVALID_NAME` when it would escape.
 */
export function resolveInside(root: string, relativePath: string): string {
  const base = resolve(root);
  const path = resolve(base, relativePath);
  const rest = relative(base, path);
  if (rest === "" || rest.startsWith(`..${sep}`) || rest === ".." || resolve(rest) === rest) {
    throw new PlutoError(
      "INVALID_NAME",
      `Path ${JSON.stringify(relativePath)} leaves its directory; use a relative name.`,
      {
        details: { name: relativePath },
      },
    );
  }
  return path;
}
