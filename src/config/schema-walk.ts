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

/** `{ min, max, integer }` of a number schema (bounds are `undefined` when not set). */
export function numberRange(
  schema: z.ZodType | undefined,
): { min?: number; max?: number; integer: boolean } | undefined {
  if (!(schema instanceof z.ZodNumber)) return undefined;
  const range: { min?: number; max?: number; integer: boolean } = { integer: schema.isInt };
  if (schema.minValue !== null && Number.isFinite(schema.minValue)) range.min = schema.minValue;
  if (schema.maxValue !== null && Number.isFinite(schema.maxValue)) range.max = schema.maxValue;
  return range;
}
