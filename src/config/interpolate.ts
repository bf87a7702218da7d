import { isAlias, isMap, isPair, isScalar, isSeq, Scalar } from "yaml";
import type { Diagnostic } from "../core/diagnostic.js";
import { formatKeyPath, positionOf, type YamlSource } from "./yaml-source.js";

/**
 * Environment variable interpolation for pluto.yaml (DESIGN.md, State layout), in the style of Docker Compose:
 * - `${VAR}` is replaced by the variable's value; an unset variable is an error.
 * - `${VAR:-default}` uses `default` when the variable is unset or empty (the default is literal text and
 *   cannot contain `}`).
 * - `$${` is an escape for a literal `${`. A `$` not followed by `{` is kept as is (`$VAR` is not expanded).
 * Variable names are `[A-Za-z_][A-Za-z0-9_]*`.
 */

/** Environment variables by name; `undefined` means unset. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Outcome of {@link interpolate}. */
export type InterpolationResult =
  | { ok: true; value: string; changed: boolean }
  | { ok: false; message: string; fix: string; variable?: string };

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?$/;

/** Expands `${VAR}` and `${VAR:-default}` in `text` using `env`. Never throws. */
export function interpolate(text: string, env: Environment): InterpolationResult {
  if (!text.includes("$")) return { ok: true, value: text, changed: false };
  let value = "";
  let changed = false;
  let index = 0;
  while (index < text.length) {
    const dollar = text.indexOf("$", index);
    if (dollar === -1) {
      value += text.slice(index);
      break;
    }
    value += text.slice(index, dollar);
    if (text.startsWith("$${", dollar)) {
      value += "${";
      changed = true;
      index = dollar + 3;
      continue;
    }
    if (!text.startsWith("${", dollar)) {
      value += "$";
      index = dollar + 1;
      continue;
    }
    const close = text.indexOf("}", dollar + 2);
    if (close === -1) {
      return {
        ok: false,
        message: `Unclosed "\${" in ${JSON.stringify(text.slice(dollar, dollar + 40))}.`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shows the literal syntax to the user
        fix: 'Close it with "}" (as in ${VAR} or ${VAR:-default}), or write "$${" for a literal "${".',
      };
    }
    const inner = text.slice(dollar + 2, close);
    const match = REFERENCE.exec(inner);
    if (match === null) {
      return {
        ok: false,
        message: `Invalid variable reference "\${${inner.slice(0, 60)}}".`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: shows the literal syntax to the user
        fix: 'Use ${NAME} or ${NAME:-default} with NAME made of letters, digits and "_" (not starting with a digit), or write "$${" for a literal "${".',
      };
    }
    const name = match[1] ?? "";
    const fallback = match[2];
    const current = env[name];
    if (fallback !== undefined && (current === undefined || current === "")) value += fallback;
    else if (current !== undefined) value += current;
    else {
      return {
        ok: false,
        variable: name,
        message: `Environment variable ${name} is not set.`,
        fix: `Set ${name} in the environment, or give a default with \${${name}:-value}.`,
      };
    }
    changed = true;
    index = close + 1;
  }
  return { ok: true, value, changed };
}

/**
 * Interpolates every string value of a parsed YAML document in place (keys are left alone) and returns a
 * diagnostic, with the key path and line, for each failure. A plain (unquoted) value that contained a
 * reference is re-typed after expansion: `port: ${PORT:-7400}` becomes the number 7400, `true`/`false`
 * become booleans, and a value that expands to nothing removes its key (so `token: ${TOKEN:-}` means
 * "unset unless TOKEN is set"). Quoted values always stay strings.
 */
export function interpolateDocument(
  source: YamlSource,
  env: Environment,
  restore: (value: string) => string = (value) => value,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const visit = (node: unknown, path: PropertyKey[]): "remove" | undefined => {
    if (isAlias(node)) return undefined;
    if (isMap(node)) {
      node.items = node.items.filter((pair) => {
        if (!isPair(pair)) return true;
        const key = isScalar(pair.key) ? String(pair.key.value) : "?";
        return visit(pair.value, [...path, key]) !== "remove";
      });
      return undefined;
    }
    if (isSeq(node)) {
      node.items.forEach((item, index) => {
        visit(item, [...path, index]);
      });
      return undefined;
    }
    if (!isScalar(node) || typeof node.value !== "string") return undefined;
    const raw = restore(node.value);
    node.value = raw;
    const result = interpolate(raw, env);
    if (!result.ok) {
      const where = formatKeyPath(path);
      diagnostics.push({
        file: source.file,
        ...(node.range ? positionOf(source, node.range[0]) : {}),
        path: where,
        message: `${result.message.replace(/\.$/, "")} (used by ${where}).`,
        fix: result.fix,
      });
      return undefined;
    }
    if (!result.changed) return undefined;
    const plain = node.type === Scalar.PLAIN || node.type === undefined;
    if (plain && raw.includes("${")) {
      if (result.value.trim() === "" && typeof path[path.length - 1] === "string") return "remove";
      node.value = retype(result.value);
    } else {
      node.value = result.value;
    }
    return undefined;
  };
  visit(source.document.contents, []);
  return diagnostics;
}

function retype(value: string): string | number | boolean {
  const trimmed = value.trim();
  if (trimmed === "true") return true;
  if (trimmed === "false") return false;
  if (/^[-+]?\d+$/.test(trimmed) && Number.isSafeInteger(Number(trimmed))) return Number(trimmed);
  if (/^[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?$/.test(trimmed)) return Number(trimmed);
  return value;
}

const PLACEHOLDER_START = "\u2062";
const PLACEHOLDER_FILL = "\u2063";

/**
 * Hides every `${…}` in raw YAML text behind a placeholder of the same length, so that
 * `{ backend: postgres, url: ${DATABASE_URL} }` (a flow map, where `{` would otherwise open a nested
 * map) parses, and every line and column stays where it was. `restore` puts the original text back
 * into a scalar's value before interpolation. Text that already holds the placeholder characters is
 * left untouched.
 */
export function protectInterpolations(text: string): { text: string; restore: (value: string) => string } {
  if (text.includes(PLACEHOLDER_START) || text.includes(PLACEHOLDER_FILL))
    return { text, restore: (value) => value };
  const tokens: string[] = [];
  const protectedText = text.replace(/\$\{[^}\n]*\}/g, (token, offset: number) => {
    if (offset > 0 && text[offset - 1] === "$") return token;
    const index = tokens.push(token) - 1;
    const label = `${PLACEHOLDER_START}${index.toString(36)}`;
    return label.length > token.length ? token : label.padEnd(token.length, PLACEHOLDER_FILL);
  });
  const pattern = new RegExp(`${PLACEHOLDER_START}([0-9a-z]+)${PLACEHOLDER_FILL}*`, "g");
  return {
    text: protectedText,
    restore: (value) =>
      value.includes(PLACEHOLDER_START)
        ? value.replace(pattern, (match, index: string) => tokens[Number.parseInt(index, 36)] ?? match)
        : value,
  };
}
