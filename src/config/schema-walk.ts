import { z } from "zod";

/**
 * Helpers that look inside zod 4 schemas (classic API) so diagnostics can name the valid keys at a path,
 * the range of a number and the description of a field. Only the wrappers Pluto's schemas use are
 * understood: optional, nullable, default, prefault, readonly, pipe (input side), object, array, record.
 */

/** A schema with its wrappers removed, plus the first description found on the way in. */
export interface UnwrappedSchema {
  schema: z.ZodType;
  description?: string;
}

/** Removes optional/nullable/default/prefault/readonly/pipe wrappers, collecting the outermost description. */
export function unwrapSchema(schema: z.ZodType): UnwrappedSchema {
  let current: z.ZodType = schema;
  let description = current.description;
  for (let depth = 0; depth < 32; depth += 1) {
    let inner: z.ZodType | undefined;
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault ||
      current instanceof z.ZodReadonly
    ) {
      inner = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      inner = current.in as z.ZodType;
    }
    if (inner === undefined) break;
    current = inner;
    description ??= current.description;
  }
  return description === undefined ? { schema: current } : { schema: current, description };
}

/** The schema that validates the value at `path` (object keys, array indexes, record keys), if known. */
export function schemaAtPath(root: z.ZodType, path: readonly PropertyKey[]): UnwrappedSchema | undefined {
  let current = unwrapSchema(root);
  for (const segment of path) {
    const schema = current.schema;
    let next: z.ZodType | undefined;
    if (schema instanceof z.ZodObject) {
      next = typeof segment === "string" ? (schema.shape as Record<string, z.ZodType>)[segment] : undefined;
    } else if (schema instanceof z.ZodArray) {
      next = schema.element as z.ZodType;
    } else if (schema instanceof z.ZodRecord) {
      next = schema.valueType as z.ZodType;
    }
    if (next === undefined) return undefined;
    current = unwrapSchema(next);
  }
  return current;
}

/** The keys an object schema accepts at `path`, or `undefined` when the schema there is not an object. */
export function objectKeysAtPath(root: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  const found = schemaAtPath(root, path);
  if (found === undefined || !(found.schema instanceof z.ZodObject)) return undefined;
  return Object.keys(found.schema.shape);
}

/** The bounds of a number schema; a bound is absent when unset or beyond the safe integer range. */
export interface NumberRange {
  min?: number;
  /** True when `min` itself is not allowed (`.positive()`, `.gt()`). */
  minExclusive?: boolean;
  max?: number;
  maxExclusive?: boolean;
  integer: boolean;
}

/** Reads the bounds of a number schema from its `greater_than` / `less_than` checks. */
export function numberRange(schema: z.ZodType | undefined): NumberRange | undefined {
  if (!(schema instanceof z.ZodNumber)) return undefined;
  const range: NumberRange = { integer: schema.isInt };
  const usable = (value: unknown): value is number =>
    typeof value === "number" && Number.isFinite(value) && Math.abs(value) < Number.MAX_SAFE_INTEGER;
  for (const check of schema._zod.def.checks ?? []) {
    const definition = check._zod.def as { check?: string; value?: unknown; inclusive?: boolean };
    if (!usable(definition.value)) continue;
    if (definition.check === "greater_than" && (range.min === undefined || definition.value >= range.min)) {
      range.min = definition.value;
      range.minExclusive = definition.inclusive === false;
    } else if (
      definition.check === "less_than" &&
      (range.max === undefined || definition.value <= range.max)
    ) {
      range.max = definition.value;
      range.maxExclusive = definition.inclusive === false;
    }
  }
  return range;
}

/** "from 1 to 1000", "greater than 0 and at most 3600", "at least 0", … for a {@link NumberRange}. */
export function describeNumberRange(range: NumberRange): string {
  if (range.min !== undefined && range.max !== undefined && !range.minExclusive && !range.maxExclusive) {
    return `from ${range.min} to ${range.max}`;
  }
  const parts: string[] = [];
  if (range.min !== undefined)
    parts.push(range.minExclusive ? `greater than ${range.min}` : `of at least ${range.min}`);
  if (range.max !== undefined) {
    const text = range.maxExclusive ? `less than ${range.max}` : `at most ${range.max}`;
    parts.push(parts.length === 0 && !range.maxExclusive ? `of ${text}` : text);
  }
  return parts.join(" and ");
}
