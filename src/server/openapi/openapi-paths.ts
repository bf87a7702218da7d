import { z } from "zod";
import type { OpenApiBuilder } from "./openapi-builder.js";

/** Registers `GET /openapi.json` and `GET /docs` (both public; see `openapi-routes.ts`). */
export function registerOpenApiPaths(builder: OpenApiBuilder): void {
  builder.path({
    method: "get",
    path: "/openapi.json",
    operationId: "getOpenApiDocument",
    summary: "This OpenAPI 3.1 document",
    tags: ["Documentation"],
    security: [],
    responses: {
      200: {
        description: "The document.",
        content: { "application/json": { schema: z.looseObject({ openapi: z.string() }) } },
      },
    },
  });
  builder.path({
    method: "get",
    path: "/docs",
    operationId: "getApiDocs",
    summary: "Interactive API documentation (Swagger UI)",
    tags: ["Documentation"],
    security: [],
    responses: {
      200: {
        description: "An HTML page rendering `/openapi.json` with Swagger UI.",
        content: { "text/html": { schema: z.string() } },
      },
    },
  });
}
