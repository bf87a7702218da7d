import { swaggerUI } from "@hono/swagger-ui";
import { Hono } from "hono";
import { createOpenApiDocument, type OpenApiDocumentOptions } from "./openapi-document.js";

/** Where the document is served; `/docs` points Swagger UI at it. */
export const OPENAPI_PATH = "/openapi.json";
/** Where the interactive documentation page is served. */
export const DOCS_PATH = "/docs";

/**
 * `GET /openapi.json` (the OpenAPI 3.1 document of `createOpenApiDocument`) and `GET /docs` (Swagger UI
 * through @hono/swagger-ui, reading `/openapi.json`; its scripts come from the jsDelivr CDN), mounted at
 * `/`. Both are public: mark them so in the app's auth (`isPublicPath`). The document is built on the
 * first request and the serialised JSON kept for the life of these routes.
 */
export function openApiRoutes(options: OpenApiDocumentOptions = {}): Hono {
  const routes = new Hono();
  let serialised: string | undefined;
  routes.get(OPENAPI_PATH, (context) => {
    serialised ??= JSON.stringify(createOpenApiDocument(options));
    context.header("cache-control", "public, max-age=300");
    return context.body(serialised, 200, { "content-type": "application/json; charset=utf-8" });
  });
  routes.get(DOCS_PATH, swaggerUI({ url: OPENAPI_PATH, title: "Pluto API" }));
  return routes;
}
