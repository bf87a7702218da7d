import { OpenAPIRegistry, type ResponseConfig, type RouteConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { PlutoError } from "../../core/errors.js";

/** A JSON Schema reference to a component, `{ $ref: "#/components/schemas/<name>" }`. */
export interface SchemaReference {
  $ref: string;
}

/**
 * Which side of the wire a schema describes. Request bodies are converted as zod *inputs* (what a
 * client may send: defaults optional), responses as *outputs* (what the server sends).
 */
export type SchemaDirection = "request" | "response";

/** The error body formats of Pluto's API families. */
export type ErrorFormat = "pluto" | "agent-protocol" | "openai";

/** Component names of the error bodies, by format (the schemas are in `error-schemas.ts`). */
const ERROR_COMPONENTS: Record<ErrorFormat, string> = {
  pluto: "Error",
  "agent-protocol": "AgentProtocolError",
  openai: "OpenAiError",
};

/** What each error status means in a response description. */
const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Malformed request: bad JSON, wrong content type, schema violation (`details.issues`) or an unsafe name.",
  401: "Missing or wrong credential (`UNAUTHORIZED`).",
  403: "The caller's role may not do this (`FORBIDDEN`), the `Host` is not one the server answers to (`HOST_NOT_ALLOWED`), or a page of another origin tried to change state (`ORIGIN_NOT_ALLOWED`).",
  404: "No such agent, session, run, task, artifact or key in the caller's tenant.",
  409: "Conflict: the session belongs to another agent or is busy (`SESSION_CONFLICT`).",
  413: "The body is larger than `server.max_body_bytes` (`PAYLOAD_TOO_LARGE`).",
  422: "The agent definition does not load (`AGENT_INVALID`, `details.diagnostics`).",
  429: "Rate, concurrent-run or open-stream limit of the tenant reached (`LIMIT_EXCEEDED`, with `Retry-After`).",
  500: "Internal error; details are in the server log only.",
  502: "The model provider failed (`MODEL_ERROR`).",
  503: "A backend (PostgreSQL, Redis, S3) is unreachable (`BACKEND_UNAVAILABLE`), or the server holds its most open streams (`SERVER_BUSY`, with `Retry-After`).",
};

/**
 * Collects an OpenAPI 3.1 document: paths go into a zod-to-openapi `OpenAPIRegistry` (so path,
 * query and header parameters are converted from zod objects), and named schemas become
 * `components.schemas` converted by zod's own `z.toJSONSchema` (JSON Schema 2020-12, the dialect of
 * OpenAPI 3.1) from the very schema objects given — the ones the routes validate with. Schemas are
 * kept in registries local to this builder, so nothing global (zod's `globalRegistry`, the zod
 * prototype) is touched and any number of documents can be built in one process.
 */
export class OpenApiBuilder {
  /** The zod-to-openapi registry the paths are registered in. */
  readonly registry = new OpenAPIRegistry();
  private readonly schemas = new Map<string, { schema: z.ZodType; direction: SchemaDirection }>();

  /**
   * A reference to component `name`, whose schema is `schema` converted as a request (zod input) or a
   * response (zod output). Naming the same schema twice is fine; one name for two different schemas
   * is a programming error.
   * @throws PlutoError `INTERNAL` when `name` is already taken by another schema or direction.
   */
  schema(name: string, schema: z.ZodType, direction: SchemaDirection): SchemaReference {
    const known = this.schemas.get(name);
    if (known === undefined) this.schemas.set(name, { schema, direction });
    else if (known.schema !== schema || known.direction !== direction) {
      throw new PlutoError("INTERNAL", `OpenAPI component ${name} is defined twice; give one a new name.`);
    }
    return { $ref: `#/components/schemas/${name}` };
  }

  /** Registers one operation (zod-to-openapi's `RouteConfig`; `path` uses `{param}` templates). */
  path(route: RouteConfig): void {
    this.registry.registerPath(route);
  }

  /**
   * Error responses for `statuses`, each an `application/json` body of the given format, described
   * from {@link ERROR_DESCRIPTIONS}.
   */
  errors(format: ErrorFormat, ...statuses: number[]): Record<string, ResponseConfig> {
    const schema = { $ref: `#/components/schemas/${ERROR_COMPONENTS[format]}` };
    const responses: Record<string, ResponseConfig> = {};
    for (const status of statuses) {
      responses[String(status)] = {
        description: ERROR_DESCRIPTIONS[status] ?? "Error.",
        content: { "application/json": { schema } },
      };
    }
    return responses;
  }

  /**
   * Converts the named schemas (one `z.toJSONSchema` pass per direction over a local zod registry, so
   * components reference each other by `$ref`) and registers them as `components.schemas`. Call once,
   * after every path is registered.
   */
  registerComponents(): void {
    for (const direction of ["request", "response"] as const) {
      const local = z.registry<{ id: string }>();
      for (const [name, entry] of this.schemas) {
        if (entry.direction === direction) local.add(entry.schema, { id: name });
      }
      const converted = z.toJSONSchema(local, {
        target: "draft-2020-12",
        io: direction === "request" ? "input" : "output",
        unrepresentable: "any",
        uri: (id) => `#/components/schemas/${id}`,
      });
      for (const [name, jsonSchema] of Object.entries(converted.schemas)) {
        this.registry.registerComponent("schemas", name, componentSchema(jsonSchema));
      }
    }
  }
}

/**
 * A converted schema as an OpenAPI component: without `$schema` (the document's dialect applies) and
 * `$id` (a component is addressed by its `$ref`, and an `$id` would change how refs inside resolve).
 */
export function componentSchema(jsonSchema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, $id: _id, ...rest } = jsonSchema;
  return rest;
}
