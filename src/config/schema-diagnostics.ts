import type { z } from "zod";
import type { Diagnostic } from "../core/diagnostic.js";
import { closestMatch } from "./closest-match.js";
import { describeNumberRange, numberRange, objectKeysAtPath, schemaAtPath } from "./schema-walk.js";
import { formatKeyPath, locateYamlPath, valueAtPath, type YamlSource } from "./yaml-source.js";

/** Options for {@link schemaIssueDiagnostics}. */
export interface SchemaIssueDiagnosticsOptions {
  /** The issues of a failed `safeParse`. */
  issues: readonly z.core.$ZodIssue[];
  /** The YAML the data came from (positions). */
  source: YamlSource;
  /** The plain data that was validated (to quote received values). */
  data: unknown;
  /** The schema that was used (to list valid keys, ranges and descriptions). */
  schema: z.ZodType;
  /** Where users can read about every key, appended to generic fixes, e.g. `docs/agent-format.md`. */
  docs: string;
}

/**
 * Turns zod issues into diagnostics with the file, line and column of the offending node (or of the
 * nearest existing parent for a missing key), a message naming the key path, and a fix.
 * Unknown keys produce one diagnostic per key with the closest valid key suggested.
 * Custom issues may carry `params.fix`; otherwise the fix comes from the field's description.
 */
export function schemaIssueDiagnostics(options: SchemaIssueDiagnosticsOptions): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  for (const issue of options.issues) diagnostics.push(...issueDiagnostics(issue, options));
  return diagnostics;
}

function issueDiagnostics(issue: z.core.$ZodIssue, options: SchemaIssueDiagnosticsOptions): Diagnostic[] {
  const { source, data, schema } = options;
  const path = issue.path;
  const where = formatKeyPath(path);
  const field = schemaAtPath(schema, path);
  const described = field?.description === undefined ? "" : ` (${field.description.replace(/\.$/, "")})`;
  const value = valueAtPath(data, path);
  const base = (message: string, fix: string, at: "key" | "value" = "value"): Diagnostic => {
    const location = locateYamlPath(source, path, { at });
    const diagnostic: Diagnostic = {
      file: source.file,
      line: location.line,
      column: location.column,
      message,
      fix,
    };
    if (path.length > 0) diagnostic.path = where;
    return diagnostic;
  };

  switch (issue.code) {
    case "unrecognized_keys": {
      const valid = objectKeysAtPath(schema, path) ?? [];
      return issue.keys.map((key) => {
        const keyPath = [...path, key];
        const location = locateYamlPath(source, keyPath, { at: "key" });
        const suggestion = closestMatch(key, valid);
        const nested = suggestion === undefined ? nestedKeyMatch(schema, path, valid, key) : undefined;
        const scope = path.length === 0 ? "at the top level" : `in ${where}`;
        const list = valid.length > 0 ? `Valid keys here: ${valid.join(", ")}.` : "No keys are allowed here.";
        let fix = `Remove "${key}". ${list}`;
        if (suggestion !== undefined)
          fix = `Did you mean "${suggestion}"? Rename "${key}" to "${suggestion}". ${list}`;
        else if (nested !== undefined) {
          fix = `Did you mean "${nested.parent}.${nested.key}"? Move it under "${nested.parent}:"${nested.key === key ? "" : ` as "${nested.key}"`}. ${list}`;
        }
        return {
          file: source.file,
          line: location.line,
          column: location.column,
          path: formatKeyPath(keyPath),
          message: `Unknown key "${key}" ${scope}.`,
          fix,
        };
      });
    }
    case "invalid_type": {
      const missing = value === undefined && !locateYamlPath(source, path).found;
      if (missing) {
        const key = String(path[path.length - 1] ?? "");
        const parent = path.length <= 1 ? "at the top level" : `under "${formatKeyPath(path.slice(0, -1))}"`;
        return [
          base(
            `Missing required key "${where}".`,
            `Add "${key}:" ${parent}${described}. See ${options.docs}.`,
          ),
        ];
      }
      if (value === null && issue.expected === "object") {
        return [
          base(`"${where}" is empty.`, `Add keys under "${where}" or remove the key. See ${options.docs}.`),
        ];
      }
      return [
        base(
          `"${where}" must be ${article(issue.expected)}, but it is ${describeValue(value)}.`,
          `Change "${where}" to ${article(issue.expected)}${described}.${issue.expected === "string" && value !== null && typeof value !== "object" ? " Quote the value if it looks like a number or boolean." : ""}`,
        ),
      ];
    }
    case "too_small":
    case "too_big": {
      if (issue.origin === "number" || issue.origin === "int") {
        const range = numberRange(field?.schema) ?? { integer: issue.origin === "int" };
        const kind = range.integer || issue.origin === "int" ? "a whole number" : "a number";
        const limit = issue.code === "too_small" ? issue.minimum : issue.maximum;
        const relation =
          issue.code === "too_small"
            ? issue.inclusive === false
              ? `but it must be greater than ${limit}`
              : `below the minimum of ${limit}`
            : issue.inclusive === false
              ? `but it must be less than ${limit}`
              : `above the maximum of ${limit}`;
        const bounds = describeNumberRange(range);
        return [
          base(
            `"${where}" is ${describeValue(value)}, ${relation}.`,
            `Set "${where}" to ${kind}${bounds === "" ? "" : ` ${bounds}`}${described}.`,
          ),
        ];
      }
      if (issue.origin === "string") {
        if (issue.code === "too_small") {
          return [base(`"${where}" must not be empty.`, `Give "${where}" a value${described}.`)];
        }
        return [
          base(
            `"${where}" is longer than ${issue.maximum} characters.`,
            `Shorten "${where}" to at most ${issue.maximum} characters.`,
          ),
        ];
      }
      if (issue.code === "too_small") {
        return [
          base(
            `"${where}" needs at least ${issue.minimum} item(s).`,
            `Add items to "${where}" or remove the key.`,
          ),
        ];
      }
      return [
        base(
          `"${where}" has more than ${issue.maximum} items.`,
          `Keep at most ${issue.maximum} items in "${where}".`,
        ),
      ];
    }
    case "invalid_value": {
      const allowed = issue.values.map((allowedValue) => JSON.stringify(allowedValue));
      const suggestion =
        typeof value === "string"
          ? closestMatch(
              value,
              issue.values.filter((entry): entry is string => typeof entry === "string"),
            )
          : undefined;
      const custom = issue.message.startsWith("Invalid") ? undefined : issue.message;
      return [
        base(
          custom === undefined
            ? `"${where}" is ${describeValue(value)}, which is not allowed.`
            : `"${where}" is ${describeValue(value)}: ${custom.replace(/\.$/, "")}.`,
          `${suggestion === undefined ? "" : `Did you mean "${suggestion}"? `}Use ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(", ")}`}${described}.`,
        ),
      ];
    }
    case "custom": {
      const params = issue.params as { fix?: unknown } | undefined;
      const fix = typeof params?.fix === "string" ? params.fix : `Fix "${where}"${described}.`;
      return [base(prefixed(where, issue.message), fix)];
    }
    case "invalid_format":
      return [base(prefixed(where, issue.message), `Fix "${where}"${described}.`)];
    case "invalid_key":
      return [
        base(
          `"${where}" has an invalid key: ${issue.issues.map((inner) => inner.message).join("; ")}.`,
          `Rename the key${described}.`,
        ),
      ];
    case "invalid_element":
      return [base(`"${where}" has an invalid entry.`, `Fix the entry${described}.`)];
    default:
      return [base(prefixed(where, issue.message), `Fix "${where}"${described}. See ${options.docs}.`)];
  }
}

/** A close key one level down (`temperature` written directly under `spec` belongs in `spec.parameters`). */
function nestedKeyMatch(
  schema: z.ZodType,
  path: readonly PropertyKey[],
  valid: readonly string[],
  key: string,
): { parent: string; key: string } | undefined {
  for (const parent of valid) {
    const childKeys = objectKeysAtPath(schema, [...path, parent]);
    const match = childKeys === undefined ? undefined : closestMatch(key, childKeys);
    if (match !== undefined) return { parent, key: match };
  }
  return undefined;
}

function prefixed(where: string, message: string): string {
  const text = message.endsWith(".") ? message : `${message}.`;
  return `"${where}": ${text}`;
}

function article(expected: string): string {
  if (expected === "int") return "a whole number";
  if (expected === "array") return "a list";
  if (expected === "object") return "a mapping (key: value pairs)";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** A short, safe rendering of a received value for messages (strings are quoted and cut at 60 chars). */
export function describeValue(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "empty (null)";
  if (typeof value === "string") {
    const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value;
    return JSON.stringify(shown);
  }
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  return String(value);
}
