import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { CreateAgentBody, ReplaceAgentBody } from "../../../src/server/admin/admin-agent-routes.js";
import { CreateKeyBody } from "../../../src/server/admin/admin-key-routes.js";
import { LoginLinkBody } from "../../../src/server/admin/admin-login-link-routes.js";
import {
  StepRequestBody,
  TaskRequestBody,
} from "../../../src/server/agent-protocol/agent-protocol-schemas.js";
import { CreateJobBody, PauseBody } from "../../../src/server/jobs/job-schemas.js";
import { ChatCompletionBody } from "../../../src/server/openai/chat-completion-schema.js";
import { createOpenApiDocument } from "../../../src/server/openapi/openapi-document.js";
import { CreateRunBody } from "../../../src/server/schemas.js";
import { createFullApp, type OpenApiDocumentShape } from "./openapi-harness.js";

/**
 * Entries of `app.routes` that are middleware, not routes (Hono lists `app.use` as method ALL):
 * authentication, body limits and rate limits on `/*`, the OpenAI and MCP groups' own auth and body
 * limits, and the admin group's role check.
 */
const MIDDLEWARE = new Set(["ALL /*", "ALL /v1/*", "ALL /mcp/*", "ALL /api/v1/admin/*"]);

/**
 * Routes served by one catch-all handler, with the documented path prefix that describes them: the A2A
 * HTTP+JSON binding dispatches `/a2a/{agent}/rest/…` itself (`a2a/rest-transport.ts`), and the document
 * lists each of its operations (`message:send`, `tasks/{id}`, …) under that prefix.
 */
const CATCH_ALL = new Map([["ALL /a2a/:agent/rest/*", "/a2a/{agent}/rest/"]]);

const METHODS = ["get", "post", "put", "delete", "patch"];

/** A regular expression matching the concrete paths of a Hono route path (`:name` segments, `*`). */
function honoPattern(path: string): RegExp {
  const escaped = path.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${escaped.replace(/:[A-Za-z_]+/g, "[^/]+").replace(/\*/g, ".*")}$`);
}

describe("the OpenAPI document covers the app", () => {
  let full: Awaited<ReturnType<typeof createFullApp>>;
  let document: OpenApiDocumentShape;
  beforeAll(async () => {
    full = await createFullApp();
    document = (await (await full.app.request("/openapi.json")).json()) as OpenApiDocumentShape;
  });
  afterAll(() => full.close());

  const routesOf = () =>
    full.app.routes
      .map((route) => ({ method: route.method, path: route.path }))
      .filter((route) => !MIDDLEWARE.has(`${route.method} ${route.path}`));

  it("documents every route the Hono app registers", () => {
    const missing: string[] = [];
    const routes = routesOf();
    expect(routes.length).toBeGreaterThan(40);
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      const prefix = CATCH_ALL.get(key);
      if (prefix !== undefined) {
        if (!Object.keys(document.paths).some((path) => path.startsWith(prefix))) missing.push(key);
        continue;
      }
      if (route.method === "ALL") {
        missing.push(`${key} (an unexpected ALL route: list it as middleware or a catch-all above)`);
        continue;
      }
      const template = route.path.replace(/:([A-Za-z_]+)/g, "{$1}");
      if (document.paths[template]?.[route.method.toLowerCase()] === undefined) missing.push(key);
    }
    expect(missing).toEqual([]);
  });

  it("documents no operation the app does not serve", () => {
    const routes = routesOf().map((route) => ({ method: route.method, pattern: honoPattern(route.path) }));
    const unserved: string[] = [];
    for (const [template, item] of Object.entries(document.paths)) {
      const concrete = template.replace(/\{[^}]+\}/g, "x1");
      for (const method of Object.keys(item).filter((key) => METHODS.includes(key))) {
        const served = routes.some(
          (route) =>
            (route.method === method.toUpperCase() || route.method === "ALL") && route.pattern.test(concrete),
        );
        if (!served) unserved.push(`${method.toUpperCase()} ${template}`);
      }
    }
    expect(unserved).toEqual([]);
  });

  it("has a unique operationId and a summary for every operation", () => {
    const ids: string[] = [];
    for (const item of Object.values(document.paths)) {
      for (const operation of Object.values(item)) ids.push(operation.operationId ?? "(none)");
    }
    expect(ids).not.toContain("(none)");
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("marks exactly the public routes as needing no credentials", () => {
    const publicOperations: string[] = [];
    for (const [template, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (Array.isArray(operation.security) && operation.security.length === 0) {
          publicOperations.push(`${method.toUpperCase()} ${template}`);
        }
      }
    }
    expect(publicOperations.sort()).toEqual(
      [
        "GET /healthz",
        "GET /readyz",
        "GET /openapi.json",
        "GET /docs",
        "GET /login",
        "GET /.well-known/agent-card.json",
        "GET /.well-known/agent.json",
        "GET /a2a/{agent}/.well-known/agent-card.json",
        "GET /a2a/{agent}/.well-known/agent.json",
      ].sort(),
    );
  });
});

describe("request bodies come from the schemas the routes validate with", () => {
  const document = createOpenApiDocument() as unknown as OpenApiDocumentShape;

  /** The JSON Schema of a request body in the document, with a `$ref` resolved to its component. */
  function requestSchema(method: string, template: string, mediaType = "application/json"): unknown {
    const schema = document.paths[template]?.[method]?.requestBody?.content[mediaType]?.schema as
      | { $ref?: string }
      | undefined;
    if (schema?.$ref === undefined) return schema;
    return document.components.schemas[schema.$ref.replace("#/components/schemas/", "")];
  }

  /** zod's own JSON Schema of `schema` as a request (input), without the `$schema` dialect line. */
  function zodJsonSchema(schema: z.ZodType): unknown {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input" });
    return rest;
  }

  it("POST /api/v1/agents/{agent}/runs is z.toJSONSchema(CreateRunBody)", () => {
    const body =
      document.paths["/api/v1/agents/{agent}/runs"]?.post?.requestBody?.content["application/json"];
    expect(body?.schema).toEqual({ $ref: "#/components/schemas/CreateRunBody" });
    expect(requestSchema("post", "/api/v1/agents/{agent}/runs")).toEqual(zodJsonSchema(CreateRunBody));
    // The exact constraints the route enforces, spelled out once as a guard against vacuous equality.
    expect(requestSchema("post", "/api/v1/agents/{agent}/runs")).toMatchObject({
      type: "object",
      required: ["input"],
      additionalProperties: false,
      properties: { input: { type: "string", minLength: 1, maxLength: 200_000 } },
    });
  });

  it.each([
    ["post", "/v1/chat/completions", ChatCompletionBody],
    ["post", "/ap/v1/agent/tasks", TaskRequestBody],
    ["post", "/api/v1/agent/tasks", TaskRequestBody],
    ["post", "/ap/v1/agent/tasks/{task_id}/steps", StepRequestBody],
    ["post", "/api/v1/admin/agents", CreateAgentBody],
    ["put", "/api/v1/admin/agents/{name}", ReplaceAgentBody],
    ["post", "/api/v1/admin/keys", CreateKeyBody],
    ["post", "/api/v1/admin/login-links", LoginLinkBody],
    ["post", "/api/v1/jobs", CreateJobBody],
    ["post", "/api/v1/admin/pause", PauseBody],
  ] as const)("%s %s is the route's own schema", (method, template, schema) => {
    expect(requestSchema(method, template)).toEqual(zodJsonSchema(schema));
  });

  it("every JSON request body is a named component", () => {
    for (const [template, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const schema = operation.requestBody?.content["application/json"]?.schema as
          | { $ref?: string }
          | undefined;
        if (schema !== undefined)
          expect(schema.$ref, `${method} ${template}`).toMatch(/^#\/components\/schemas\//);
      }
    }
  });
});
