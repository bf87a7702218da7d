import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import { corpusPath } from "../../support/corpus.js";

/**
 * The Agent Protocol v1 OpenAPI file from the corpus (`../shared/corpus/agent-protocol/openapi.yml`)
 * turned into validators with zod 4's `z.fromJSONSchema` (target `openapi-3.0`, so `nullable` works).
 * Two adjustments, both stricter than the raw file: `#/components/schemas/…` refs are rewritten to
 * `#/definitions/…` (the only local ref form `fromJSONSchema` resolves), and `default` keywords are
 * dropped, because zod turns a property with a default into an optional one while the spec lists
 * `artifacts` and `is_last` as required.
 */

/** Path of the spec, from the repository root. */
export const SPEC_PATH = corpusPath("agent-protocol/openapi.yml");

interface Operation {
  responses: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, Operation["responses"][string]> };
}

/** The parsed spec. */
export const spec = parse(readFileSync(SPEC_PATH, "utf8")) as OpenApiDocument;

function withoutDefaults(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutDefaults);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== "default" && key !== "example")
      .map(([key, inner]) => [key, withoutDefaults(inner)]),
  );
}

const definitions = withoutDefaults(
  JSON.parse(JSON.stringify(spec.components.schemas).replaceAll("#/components/schemas/", "#/definitions/")),
);

function validator(schema: unknown): z.ZodType {
  const rewritten = JSON.parse(JSON.stringify(schema).replaceAll("#/components/schemas/", "#/definitions/"));
  return z.fromJSONSchema(
    { ...(withoutDefaults(rewritten) as object), definitions } as Parameters<typeof z.fromJSONSchema>[0],
    { defaultTarget: "openapi-3.0" },
  );
}

/** A validator for one schema of `components.schemas` (e.g. `Task`). */
export function schemaValidator(name: string): z.ZodType {
  return validator({ $ref: `#/components/schemas/${name}` });
}

/** Turns `/ap/v1/agent/tasks/{task_id}` into a regular expression matching concrete paths. */
function templatePattern(template: string): RegExp {
  return new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
}

const templates = Object.keys(spec.paths).map((template) => ({
  template,
  pattern: templatePattern(template),
}));

/** The spec's path template for a concrete path under `/ap/v1` or its `/api/v1` alias. */
export function templateOf(path: string): string | undefined {
  const canonical = path.replace(/^\/api\/v1\//, "/ap/v1/");
  return templates.find((candidate) => candidate.pattern.test(canonical))?.template;
}

/** What the spec says about one response: its media type and schema, or nothing (a status the spec does not list). */
export function responseSpec(
  method: string,
  path: string,
  status: number,
): { mediaType: string; schema: unknown } | undefined {
  const template = templateOf(path);
  if (template === undefined) throw new Error(`No Agent Protocol path matches ${path}`);
  const operation = spec.paths[template]?.[method.toLowerCase()];
  if (operation === undefined) throw new Error(`The spec has no ${method} ${template}`);
  let response = operation.responses[String(status)];
  if (response?.$ref !== undefined) {
    response = spec.components.responses[response.$ref.replace("#/components/responses/", "")];
  }
  const [mediaType, content] = Object.entries(response?.content ?? {})[0] ?? [];
  return mediaType === undefined ? undefined : { mediaType, schema: content?.schema };
}

const cache = new Map<string, z.ZodType>();

/**
 * Validates a response against the spec: JSON bodies with the operation's schema for that status,
 * binary downloads by content type. Statuses the spec does not list (400, 401, 409, 413) must carry
 * Pluto's error format. @returns the parsed JSON body (or the bytes of a download).
 * @throws Error naming every schema violation.
 */
export async function validateResponse(method: string, path: string, response: Response): Promise<unknown> {
  const described = responseSpec(method, path, response.status);
  const type = response.headers.get("content-type") ?? "";
  if (described?.mediaType === "application/octet-stream") {
    if (!type.startsWith("application/octet-stream"))
      throw new Error(`Expected a binary download, got ${type}`);
    return new Uint8Array(await response.arrayBuffer());
  }
  if (!type.startsWith("application/json"))
    throw new Error(`Expected JSON from ${method} ${path}, got ${type}`);
  const body: unknown = await response.json();
  if (response.status >= 400) plutoError.parse(body);
  if (described === undefined) {
    if (response.status < 400) throw new Error(`The spec lists no ${response.status} for ${method} ${path}`);
    return body;
  }
  const key = `${method} ${templateOf(path)} ${response.status}`;
  let schema = cache.get(key);
  if (schema === undefined) {
    schema = validator(described.schema);
    cache.set(key, schema);
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new Error(
      `${method} ${path} ${response.status} does not match the spec: ${JSON.stringify(result.error.issues)}\n${JSON.stringify(body)}`,
    );
  }
  return body;
}

/** Pluto's error format (DESIGN.md, Errors) plus the top-level `message` of the spec's `NotFound`. */
export const plutoError = z.object({
  error: z.object({
    code: z.string().regex(/^[A-Z_]+$/),
    message: z.string().min(1),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
  message: z.string().min(1).optional(),
});
