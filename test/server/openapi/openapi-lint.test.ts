import { createConfig, lintFromString, type NormalizedProblem } from "@redocly/openapi-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createOpenApiDocument } from "../../../src/server/openapi/openapi-document.js";
import { createFullApp } from "./openapi-harness.js";

/**
 * Warnings of Redocly's `recommended` ruleset that the document keeps on purpose, as
 * `rule pointer`. Each describes the API as it is; "fixing" them would mean documenting answers the
 * server never gives.
 */
const ACCEPTED_WARNINGS = [
  // Health checks and the two documentation routes are public GETs without input: they have no 4xx answer.
  "operation-4xx-response #/paths/~1healthz/get/responses",
  "operation-4xx-response #/paths/~1readyz/get/responses",
  "operation-4xx-response #/paths/~1openapi.json/get/responses",
  "operation-4xx-response #/paths/~1docs/get/responses",
  // The MCP servers are stateless: GET (server-to-client stream) and DELETE (session end) always answer
  // 405, as the MCP specification allows; there is no 2xx to document.
  "operation-2xx-response #/paths/~1mcp~1{agent}/get/responses",
  "operation-2xx-response #/paths/~1mcp~1{agent}/delete/responses",
  // The login-link exchange succeeds with 303 See Other (cookie set, token removed from the URL).
  "operation-2xx-response #/paths/~1login/get/responses",
  // The WebSocket endpoint succeeds with 101 Switching Protocols.
  "operation-2xx-response #/paths/~1api~1v1~1ws/get/responses",
];

async function lint(document: unknown): Promise<NormalizedProblem[]> {
  const config = await createConfig({ extends: ["recommended"] });
  return lintFromString({ source: JSON.stringify(document), absoluteRef: "openapi.json", config });
}

function describeProblems(problems: readonly NormalizedProblem[]): string[] {
  return problems.map((problem) => `${problem.ruleId} ${problem.location[0]?.pointer ?? "?"}`);
}

describe("the OpenAPI document under Redocly's recommended rules", () => {
  let full: Awaited<ReturnType<typeof createFullApp>>;
  beforeAll(async () => {
    full = await createFullApp({ authToken: "secret-token" });
  });
  afterAll(() => full.close());

  it("has no errors and only the accepted warnings (the document as served at /openapi.json)", async () => {
    const response = await full.app.request("/openapi.json");
    expect(response.status).toBe(200);
    const problems = await lint(await response.json());
    const errors = problems.filter((problem) => problem.severity === "error");
    expect(
      errors.map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`),
    ).toEqual([]);
    const warnings = describeProblems(problems.filter((problem) => problem.severity === "warn"));
    expect(warnings.sort()).toEqual([...ACCEPTED_WARNINGS].sort());
  });

  it("lints the same with a public URL in servers", async () => {
    const problems = await lint(createOpenApiDocument({ publicUrl: "https://agents.example.org/" }));
    expect(problems.filter((problem) => problem.severity === "error")).toEqual([]);
  });

  it("is caught by the linter when broken (the check is real)", async () => {
    const document = createOpenApiDocument() as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const operation = document.paths["/api/v1/agents"]?.get;
    if (operation === undefined) throw new Error("GET /api/v1/agents missing");
    delete operation.summary;
    operation.operationId = "createRun";
    const rules = describeProblems(await lint(document)).map((problem) => problem.split(" ")[0]);
    expect(rules).toContain("operation-summary");
    expect(rules).toContain("operation-operationId-unique");
  });
});
